#include "tapegrad/autodiff/gradcheck.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "tapegrad/autodiff/creation.hpp"
#include "tensor_impl.hpp"
#include "tapegrad/autodiff/functional.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg {

namespace {

std::vector<std::int64_t> unravel(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> pos(static_cast<std::size_t>(shape.rank()));
  for (int a = shape.rank() - 1; a >= 0; --a) {
    pos[static_cast<std::size_t>(a)] = shape[a] ? flat % shape[a] : 0;
    flat = shape[a] ? flat / shape[a] : 0;
  }
  return pos;
}

std::string position_str(const std::vector<std::int64_t>& pos) {
  std::string s = "[";
  for (std::size_t i = 0; i < pos.size(); ++i) s += (i ? ", " : "") + std::to_string(pos[i]);
  return s + "]";
}

// Σ w·f(xs) in float64. Grad mode stays as it is: f may itself call grad().
double projected(const MultiTensorFn& f, const std::vector<Tensor>& xs, const std::vector<double>& weights) {
  const std::vector<double> y = f(xs).to_vector<double>();
  double total = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) total += weights[i] * y[i];
  return total;
}

}  // namespace

namespace detail {

GradcheckReport gradcheck_vector(const MultiTensorFn& f, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options, std::vector<std::string> names) {
  if (inputs.empty()) throw InvalidArgument("gradcheck: no inputs given");
  if (!names.empty() && names.size() != inputs.size()) {
    throw InvalidArgument("gradcheck: " + std::to_string(names.size()) + " names for " +
                          std::to_string(inputs.size()) + " inputs");
  }
  // float64 leaves of our own, so perturbing them touches nothing of the caller's.
  std::vector<Tensor> xs;
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw InvalidArgument("gradcheck: input " + std::to_string(i) + " is undefined");
    if (is_floating(x.dtype())) {
      Tensor leaf = detail::copy_values(to_dtype(x.detach(), f64));
      leaf.requires_grad_();
      xs.push_back(leaf);
      checked.push_back(i);
    } else {
      xs.push_back(x);  // labels, indices: passed through, not checked
    }
  }

  return gradcheck_leaves(f, xs, checked, options, names);
}

GradcheckReport gradcheck_leaves(const MultiTensorFn& f, std::vector<Tensor> xs, const std::vector<std::size_t>& checked,
                                 const GradcheckOptions& options, const std::vector<std::string>& names) {
  const Tensor y = f(xs);
  if (!y.defined() || !is_floating(y.dtype())) {
    throw InvalidArgument("gradcheck: f must return a float tensor");
  }
  if (y.dtype() != f64) {
    throw DtypeError("gradcheck: f returned " + std::string(dtype_name(y.dtype())) +
                     " from float64 inputs; a constant inside f is probably float32 (create it with tg::f64)");
  }
  std::vector<double> weights(static_cast<std::size_t>(y.numel()), 1.0);
  if (y.numel() > 1) {
    Generator gen(options.seed);
    for (double& w : weights) w = gen.uniform() * 2.0 - 1.0;
  }

  std::vector<Tensor> analytic;
  std::vector<Tensor> wrt;
  for (std::size_t i : checked) wrt.push_back(xs[i]);
  if (y.requires_grad()) {
    const Tensor loss = sum(y * from_vector(weights, y.shape(), f64));
    GradOptions grad_options;
    grad_options.allow_unused = true;
    analytic = grad({loss}, wrt, {}, grad_options);
  } else {
    for (const Tensor& x : wrt) analytic.push_back(zeros_like(x));
  }

  GradcheckReport report;
  report.options = options;
  for (std::size_t c = 0; c < checked.size(); ++c) {
    const std::size_t i = checked[c];
    Tensor& x = xs[i];
    double* values = x.mutable_data<double>();
    const std::vector<double> exact = analytic[c].to_vector<double>();
    GradcheckEntry entry;
    entry.name = names.empty() ? "input " + std::to_string(i) : names[i];
    entry.shape = x.shape();
    double worst_score = -1.0;
    for (std::int64_t j = 0; j < x.numel(); ++j) {
      const double saved = values[j];
      values[j] = saved + options.eps;
      const double up = projected(f, xs, weights);
      values[j] = saved - options.eps;
      const double down = projected(f, xs, weights);
      values[j] = saved;
      const double numeric = (up - down) / (2.0 * options.eps);
      const double a = exact[static_cast<std::size_t>(j)];
      const double err = std::abs(a - numeric);
      const double tolerance = options.atol + options.rtol * std::abs(numeric);
      const bool bad = !(err <= tolerance);  // NaN counts as a failure
      if (bad) ++entry.failures;
      const double score = bad && std::isnan(err) ? INFINITY : err / tolerance;
      if (score > worst_score) {
        worst_score = score;
        entry.worst_index = j;
        entry.analytic = a;
        entry.numeric = numeric;
        entry.abs_error = err;
        entry.rel_error = err / std::max(std::abs(numeric), 1e-300);
      }
    }
    if (entry.worst_index >= 0) entry.worst_position = unravel(entry.worst_index, x.shape());
    report.entries.push_back(std::move(entry));
  }
  return report;
}

}  // namespace detail

bool GradcheckReport::ok() const {
  for (const GradcheckEntry& e : entries)
    if (!e.passed()) return false;
  return true;
}

std::string GradcheckReport::str() const {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "gradcheck %s: %zu input(s), eps %.0e, atol %.0e, rtol %.0e\n",
                ok() ? "passed" : "FAILED", entries.size(), options.eps, options.atol, options.rtol);
  out << line;
  std::snprintf(line, sizeof line, "  %-12s %-14s %-12s %14s %14s %10s %10s  %s\n", "input", "shape", "worst at",
                "analytic", "numeric", "abs err", "rel err", "failing");
  out << line;
  for (const GradcheckEntry& e : entries) {
    std::snprintf(line, sizeof line, "  %-12s %-14s %-12s %14.6e %14.6e %10.2e %10.2e  %lld/%lld\n", e.name.c_str(),
                  e.shape.str().c_str(), position_str(e.worst_position).c_str(), e.analytic, e.numeric, e.abs_error,
                  e.rel_error, static_cast<long long>(e.failures), static_cast<long long>(e.shape.numel()));
    out << line;
  }
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const GradcheckReport& report) { return out << report.str(); }

}  // namespace tg
