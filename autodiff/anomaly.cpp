// Anomaly detection: the switch, and the checks node.cpp and engine.cpp call
// when it is on (see Note [Anomaly detection] in node.hpp).
#include "tapegrad/autodiff/anomaly.hpp"

#include <cmath>
#include <sstream>

#include "node.hpp"

namespace tg {

bool is_anomaly_enabled() { return detail::anomaly_flag(); }
void set_anomaly_enabled(bool enabled) { detail::anomaly_flag() = enabled; }

DetectAnomaly::DetectAnomaly(bool enabled) : previous_(detail::anomaly_flag()) { detail::anomaly_flag() = enabled; }
DetectAnomaly::~DetectAnomaly() { detail::anomaly_flag() = previous_; }

namespace detail {
namespace {

// The non-finite values of a tensor: how many, and the first.
struct NonFinite {
  std::int64_t count = 0;
  std::int64_t first = -1;
  double value = 0;
};

NonFinite scan(const TensorImpl& t) {
  NonFinite found;
  // In row-major order through the strides, so that `first` counts as the
  // tensor's own elements do, view or not.
  std::int64_t index = 0;
  auto run = [&](const auto* values) {
    kernels::for_each_run<1>(t.shape, {t.strides}, [&](const auto& off, std::int64_t n, const auto& step) {
      for (std::int64_t i = 0; i < n; ++i, ++index) {
        const auto v = values[off[0] + i * step[0]];
        if (std::isfinite(v)) continue;
        if (found.count++ == 0) {
          found.first = index;
          found.value = static_cast<double>(v);
        }
      }
    });
  };
  if (t.dtype == f32) run(t.base<float>());
  else if (t.dtype == f64) run(t.base<double>());
  return found;  // int64 values are always finite
}

NonFinite scan(const Tensor& t) { return t.defined() ? scan(*t.impl()) : NonFinite(); }

// "[3, 0]": the row-major index `flat` in `shape`.
std::string index_str(std::int64_t flat, const Shape& shape) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(shape.rank()));
  for (int a = shape.rank() - 1; a >= 0; --a) {
    index[static_cast<std::size_t>(a)] = flat % shape[a];
    flat /= shape[a];
  }
  std::string out = "[";
  for (std::size_t a = 0; a < index.size(); ++a) out += (a ? ", " : "") + std::to_string(index[a]);
  return out + "]";
}

// "-inf at [3, 0] of <what> (4, 1) float32 (1 of 4 values)".
std::string describe_found(const NonFinite& found, const std::string& what, const TensorImpl& t) {
  std::ostringstream out;
  out << found.value << " at " << index_str(found.first, t.shape) << " of " << what << " " << t.shape.str() << " "
      << dtype_name(t.dtype) << " (" << found.count << " of " << t.numel() << " values)";
  return out.str();
}

std::string quoted(const Node& node) { return std::string("'") + node.name + "'"; }

}  // namespace

void check_forward_anomaly(const Node& node, const TensorImpl& out) {
  const NonFinite found = scan(out);
  if (found.count == 0) return;
  std::string message = "anomaly detected in the forward pass: " + quoted(node) + " produced a non-finite value: " +
                        describe_found(found, "its output", out);
  // A leaf input that already holds NaN or Inf brought it in: say so.
  for (std::size_t i = 0; i < node.edges.size(); ++i) {
    const Edge& edge = node.edges[i];
    const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock();
    if (!leaf) continue;
    const NonFinite in = scan(*leaf);
    if (in.count > 0) {
      message += "; its input " + std::to_string(i) + " (a leaf) already held non-finite values: " +
                 describe_found(in, "the leaf", *leaf);
    }
  }
  throw AnomalyError(with_site(message, node.site), node.name, AnomalyError::Pass::forward);
}

namespace {

void check_incoming_anomaly(const Node& node, const Tensor& grad) {
  const NonFinite found = scan(grad);
  if (found.count == 0) return;
  throw AnomalyError(
      with_site("anomaly detected in the backward pass: the gradient arriving at the output of " + quoted(node) +
                    " is already non-finite: " + describe_found(found, "the gradient", *grad.impl()) +
                    "; every VJP that contributed to it returned finite values, so it is the seed of backward() "
                    "or a sum of gradients that overflowed",
                node.site),
      node.name, AnomalyError::Pass::backward);
}

}  // namespace

void rethrow_vjp_anomaly(const Node& node, const Tensor& grad, const std::exception& found) {
  check_incoming_anomaly(node, grad);
  // "'div' produced a non-finite value: ..." without its prefix and its site,
  // a line inside the VJP: the user's line is the one that recorded `node`.
  std::string inner = found.what();
  const std::string prefix = "anomaly detected in the forward pass: ";
  if (inner.starts_with(prefix)) inner.erase(0, prefix.size());
  if (const std::size_t at = inner.rfind(" [at "); at != std::string::npos) inner.erase(at);
  throw AnomalyError(with_site("anomaly detected in the backward pass: the VJP of " + quoted(node) + " (output " +
                                   node.out_shape.str() + ") computed a non-finite value in an op it recorded: " +
                                   inner,
                               node.site),
                     node.name, AnomalyError::Pass::backward);
}

void check_backward_anomaly(const Node& node, const Tensor& grad, VjpContext& ctx) {
  check_incoming_anomaly(node, grad);
  for (std::size_t i = 0; i < ctx.size(); ++i) {
    if (!node.edges[i].active()) continue;  // the engine drops it
    const Tensor& g = ctx.grad(i);
    const NonFinite found = scan(g);
    if (found.count == 0) continue;
    throw AnomalyError(with_site("anomaly detected in the backward pass: the VJP of " + quoted(node) + " (output " +
                                     node.out_shape.str() + ") returned a non-finite gradient for its input " +
                                     std::to_string(i) + ": " + describe_found(found, "the gradient", *g.impl()) +
                                     "; the gradient of its output was finite",
                                 node.site),
                       node.name, AnomalyError::Pass::backward);
  }
}

}  // namespace detail
}  // namespace tg
