// The perceptron: a forward pass of taped ops (harmless: nothing requires
// grad) and the learning rule as a plain loop, since it is not a gradient.
#include "tapegrad/nn/perceptron.hpp"

#include "layer_support.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

namespace {

double step_of(Step step, double activation) {
  if (activation > 0) return 1.0;
  if (step == Step::sign && activation < 0) return -1.0;
  return 0.0;  // heaviside below or on the threshold; sign on the boundary, a mistake for either class
}

}  // namespace

Perceptron::Perceptron(std::int64_t n, Step s, Dtype dtype) : Module("Perceptron"), inputs(n), step(s) {
  if (n <= 0) throw InvalidArgument("Perceptron: inputs must be positive, got " + std::to_string(n));
  if (!is_floating(dtype)) {
    throw DtypeError("Perceptron: the weight holds float32 or float64 values, got dtype " + std::string(dtype_name(dtype)));
  }
  weight = register_parameter("weight", zeros({n}, dtype), /*requires_grad=*/false);
}

Tensor Perceptron::forward(const Tensor& x) {
  detail::check_rank(x, 1, true, *this, [&] { return "an input (N, " + std::to_string(inputs) + ")"; });
  if (x.rank() > 2 || x.size(-1) != inputs) {
    throw ShapeError(detail::layer_name(*this) + ": expected an input (N, " + std::to_string(inputs) + ") or (" +
                     std::to_string(inputs) + ",), got " + x.shape().str());
  }
  const Tensor activation = x.rank() == 1 ? sum(x * weight) : matmul(x, reshape(weight, {inputs, 1}));
  const Tensor a = x.rank() == 1 ? activation : reshape(activation, {x.size(0)});
  return step == Step::heaviside ? heaviside(a) : sign(a);
}

std::string Perceptron::describe() const {
  return std::to_string(inputs) + " inputs, " + (step == Step::heaviside ? "heaviside" : "sign") + " step";
}

std::int64_t Perceptron::train_epoch(const Tensor& x, const Tensor& targets, double learning_rate) {
  const std::string layer = "Perceptron(" + describe() + ")::train_epoch";
  if (!x.defined() || x.rank() != 2) detail::throw_rank_error(x, layer, "x (N, " + std::to_string(inputs) + ")");
  if (x.size(1) != inputs) {
    throw ShapeError(layer + ": expected x (N, " + std::to_string(inputs) + "), got " + x.shape().str());
  }
  if (!targets.defined() || targets.shape() != Shape{x.size(0)}) {
    throw ShapeError(layer + ": expected targets (" + std::to_string(x.size(0)) + ",), one per row of x " +
                     x.shape().str() + ", got " + (targets.defined() ? targets.shape().str() : "undefined"));
  }
  const std::vector<double> xs = x.to_vector<double>();
  const std::vector<double> ts = targets.to_vector<double>();
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const bool valid = step == Step::heaviside ? ts[i] == 0 || ts[i] == 1 : ts[i] == -1 || ts[i] == 1;
    if (!valid) {
      throw InvalidArgument(layer + ": target " + std::to_string(i) + " is " + std::to_string(ts[i]) +
                            (step == Step::heaviside ? "; a heaviside perceptron takes targets in {0, 1}"
                                                     : "; a sign perceptron takes targets in {-1, 1}"));
    }
  }
  std::vector<double> w = weight.to_vector<double>();
  const auto n = static_cast<std::size_t>(inputs);
  std::int64_t mistakes = 0;
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const double* row = xs.data() + i * n;
    double activation = 0;
    for (std::size_t j = 0; j < n; ++j) activation += w[j] * row[j];
    const double error = ts[i] - step_of(step, activation);
    if (error == 0) continue;
    ++mistakes;
    for (std::size_t j = 0; j < n; ++j) w[j] += learning_rate * error * row[j];
  }
  NoGrad no_grad;  // the perceptron rule's result, not a taped step
  weight.copy_(from_vector(w, weight.shape(), f64));
  return mistakes;
}

PerceptronFit Perceptron::fit(const Tensor& x, const Tensor& targets, int max_epochs, double learning_rate) {
  PerceptronFit result;
  while (result.epochs < max_epochs) {
    const std::int64_t mistakes = train_epoch(x, targets, learning_rate);
    ++result.epochs;
    result.mistakes.push_back(mistakes);
    if (mistakes == 0) {
      result.converged = true;
      break;
    }
  }
  return result;
}

}  // namespace tg::nn
