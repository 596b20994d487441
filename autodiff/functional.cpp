#include "tapegrad/autodiff/functional.hpp"

#include <unistd.h>

#include <limits>

#include "engine.hpp"
#include "kernels/loops.hpp"
#include "node.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg {

namespace {

std::string nth(const char* what, std::size_t i, const Tensor& t) {
  return std::string(what) + " " + std::to_string(i) + " " + t.shape().str();
}

Shape concat_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a.rank() + b.rank() > kMaxRank) {
    throw ShapeError(std::string(op) + ": the result's rank would exceed " + std::to_string(kMaxRank) + " (" +
                     a.str() + " + " + b.str() + ")");
  }
  Shape out = a;
  for (std::int64_t d : b) out.push_back(d);
  return out;
}

// The bytes of memory the machine has; 0 when it cannot tell.
std::int64_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  std::int64_t bytes = 0;
  return __builtin_mul_overflow(static_cast<std::int64_t>(pages), static_cast<std::int64_t>(page_size), &bytes)
             ? std::numeric_limits<std::int64_t>::max()
             : bytes;
}

// The rows are kept until they are stacked, so a Jacobian takes twice its
// bytes: refused before the first backward when that passes the machine's
// memory, rather than gigabytes of rows later with an error from the op whose
// gradient happened not to fit.
void check_jacobian_fits(const Shape& shape, const Tensor& y, const Tensor& x, const char* op) {
  const std::int64_t bytes = detail::checked_bytes(shape, x.dtype());
  const std::int64_t memory = physical_memory();
  if (bytes != -2 && (memory == 0 || bytes <= memory / 2)) return;
  const std::string size = bytes == -2 ? "more bytes than int64 counts" : std::to_string(bytes) + " bytes";
  throw ShapeError(std::string(op) + ": the Jacobian of output " + y.shape().str() + " by input " + x.shape().str() +
                   " is " + shape.str() + " " + dtype_name(x.dtype()) + ", " + size +
                   ", built from one backward per output element and needing twice that: more than this machine's " +
                   std::to_string(memory) + " bytes of memory (" + op + " is meant for small functions)");
}

// Rows d y_i / d x for every element i of y, as (y.shape + x.shape).
Tensor jacobian_of(const Tensor& y, const Tensor& x, const char* op) {
  const Shape shape = concat_shapes(y.shape(), x.shape(), op);
  check_jacobian_fits(shape, y, x, op);
  if (!y.requires_grad()) return zeros(shape, x.dtype());
  std::vector<Tensor> rows;
  rows.reserve(static_cast<std::size_t>(y.numel()));
  for (std::int64_t i = 0; i < y.numel(); ++i) {
    Tensor seed = zeros(y.shape(), y.dtype());
    kernels::dispatch_any(seed.dtype(), [&](auto tag) { seed.mutable_data<decltype(tag)>()[i] = 1; });
    GradOptions options;
    options.retain_graph = true;
    options.allow_unused = true;
    rows.push_back(reshape(grad({y}, {x}, {seed}, options)[0].detach(), {-1}));
  }
  if (rows.empty()) return zeros(shape, x.dtype());
  return reshape(stack(rows, 0), shape);
}

Tensor fresh_leaf(const Tensor& x, const char* op) {
  if (!x.defined() || !is_floating(x.dtype())) {
    throw DtypeError(std::string(op) + ": x must be a defined float32 or float64 tensor");
  }
  Tensor leaf = x.detach();
  leaf.requires_grad_();
  return leaf;
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& seeds, GradOptions options) {
  if (outputs.empty()) throw InvalidArgument("grad: no outputs given");
  if (!seeds.empty() && seeds.size() != outputs.size()) {
    throw InvalidArgument("grad: " + std::to_string(seeds.size()) + " seeds for " + std::to_string(outputs.size()) +
                          " outputs");
  }
  detail::BackwardRequest request;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& y = outputs[i];
    if (!y.defined()) throw InvalidArgument("grad: output " + std::to_string(i) + " is undefined");
    if (!y.requires_grad()) {
      throw GraphError("grad: " + nth("output", i, y) +
                       " does not require grad: no input of the ops that made it requires grad, or it was "
                       "computed under NoGrad");
    }
    Tensor seed = seeds.empty() ? Tensor() : seeds[i];
    if (!seed.defined()) {
      if (y.numel() != 1) {
        throw GraphError("grad: " + nth("output", i, y) +
                         " is not a scalar; pass a seed of the same shape for it");
      }
      seed = ones(y.shape(), y.dtype());
    } else if (seed.shape() != y.shape() || seed.dtype() != y.dtype()) {
      throw ShapeError("grad: the seed " + seed.shape().str() + " " + dtype_name(seed.dtype()) + " does not match " +
                       nth("output", i, y) + " " + dtype_name(y.dtype()));
    }
    request.roots.push_back(y);
    request.seeds.push_back(seed);
  }
  std::vector<TensorImpl*> leaf_targets(inputs.size(), nullptr);
  std::vector<detail::Node*> node_targets(inputs.size(), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw InvalidArgument("grad: input " + std::to_string(i) + " is undefined");
    if (!x.requires_grad()) {
      throw GraphError("grad: " + nth("input", i, x) +
                       " does not require grad; call requires_grad_() on it before computing the outputs");
    }
    if (x.impl()->grad_fn) node_targets[i] = x.impl()->grad_fn.get();
    else leaf_targets[i] = x.impl();
  }

  std::vector<Tensor> results(inputs.size());
  std::vector<bool> reached(inputs.size(), false);
  auto add_result = [&](std::size_t i, const Tensor& g) {
    reached[i] = true;
    if (!g.defined()) return;
    results[i] = results[i].defined() ? add(results[i], g) : g;
  };
  request.on_leaf_reached = [&](TensorImpl* leaf) {
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (leaf_targets[i] == leaf) reached[i] = true;
  };
  request.on_leaf_grad = [&](TensorImpl* leaf, Tensor&& g) {
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (leaf_targets[i] == leaf) add_result(i, g);
  };
  request.on_node_grad = [&](detail::Node* node, const Tensor& g) {
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (node_targets[i] == node) add_result(i, g);
  };
  request.retain_graph = options.retain_graph;
  request.create_graph = options.create_graph;
  detail::run_backward(request);

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (results[i].defined()) continue;
    if (!reached[i] && !options.allow_unused) {
      throw GraphError("grad: " + nth("input", i, inputs[i]) +
                       " is not used by the outputs; pass {.allow_unused = true} to get zeros for it");
    }
    results[i] = zeros_like(inputs[i]);
  }
  return results;
}

Tensor grad(const Tensor& output, const Tensor& input, GradOptions options) {
  return grad(std::vector<Tensor>{output}, std::vector<Tensor>{input}, {}, options)[0];
}

Tensor jacobian(const TensorFn& f, const Tensor& x) {
  const Tensor leaf = fresh_leaf(x, "jacobian");
  const Tensor y = f(leaf);
  if (!y.defined()) throw InvalidArgument("jacobian: f returned an undefined tensor for x " + x.shape().str());
  return jacobian_of(y, leaf, "jacobian");
}

Tensor hessian(const TensorFn& f, const Tensor& x) {
  const Tensor leaf = fresh_leaf(x, "hessian");
  const Tensor y = f(leaf);
  if (!y.defined() || y.numel() != 1) {
    throw ShapeError("hessian: f must return a scalar, got " + (y.defined() ? y.shape().str() : std::string("undefined")));
  }
  if (!y.requires_grad()) {
    const Shape shape = concat_shapes(x.shape(), x.shape(), "hessian");
    check_jacobian_fits(shape, leaf, leaf, "hessian");  // the Jacobian of the gradient, shaped like x
    return zeros(shape, x.dtype());
  }
  GradOptions options;
  options.create_graph = true;
  options.allow_unused = true;
  const Tensor g = grad({y}, {leaf}, {}, options)[0];
  return jacobian_of(g, leaf, "hessian");
}

Tensor hvp(const TensorFn& f, const Tensor& x, const Tensor& v) {
  const Tensor leaf = fresh_leaf(x, "hvp");
  if (!v.defined() || v.shape() != x.shape() || v.dtype() != x.dtype()) {
    throw ShapeError("hvp: v must match x " + x.shape().str() + " " + dtype_name(x.dtype()) + ", got " +
                     (v.defined() ? v.shape().str() + " " + dtype_name(v.dtype()) : std::string("undefined")));
  }
  const Tensor y = f(leaf);
  if (!y.defined() || y.numel() != 1) {
    throw ShapeError("hvp: f must return a scalar, got " + (y.defined() ? y.shape().str() : std::string("undefined")));
  }
  if (!y.requires_grad()) return zeros_like(x);
  GradOptions first;
  first.create_graph = true;
  first.allow_unused = true;
  const Tensor g = grad({y}, {leaf}, {}, first)[0];
  if (!g.requires_grad()) return zeros_like(x);
  GradOptions second;
  second.allow_unused = true;
  return grad({sum(g * v.detach())}, {leaf}, {}, second)[0];
}

}  // namespace tg
