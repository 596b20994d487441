// Custom autograd functions (include/tapegrad/autodiff/function.hpp).
//
// Note [Custom functions]
// A custom function is one record, like a primitive op: forward runs under
// NoGrad (its ops record nothing), and a CustomNode with an edge per tensor
// input takes its place on the tape. Its VJP calls the user's backward with
// the gradient of each output and hands back one gradient per tensor input.
// - Saved tensors are detail::Saved, so the version and set_data checks and
//   the weak hold on leaves (Note [Leaves held weakly]) apply as to any op;
//   tape_report counts them (collect_saved).
// - Under create_graph the engine records the backward pass, so a backward
//   written in taped ops differentiates again: saved() hands back the inputs
//   themselves. A function marked once_differentiable runs its backward
//   under NoGrad and each gradient it returns gets a record whose VJP
//   throws: the refusal comes when, and only when, someone differentiates
//   that gradient (as PyTorch's @once_differentiable does).
// - The engine gives a record one output gradient. One differentiable output
//   is the CustomNode's own output. Several are packed: the CustomNode's
//   output is their values flattened and concatenated (all of one float
//   dtype), and each output's record places its gradient at its offset in
//   that vector (a concat with zeros, taped, so second derivatives work); the
//   CustomNode slices them out again. An output without gradient gets zeros
//   there; a non-differentiable output (an integer tensor, or one passed to
//   mark_non_differentiable) gets no record and an undefined gradient.
// - The name (interned, so records can point to it) and the caller's line
//   (the site of apply()) are the record's, so errors, DetectAnomaly, to_dot
//   and tape_report show them like any op's.
#include "tapegrad/autodiff/function.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <set>

#include "node.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg {
namespace detail {

struct CustomState {
  std::string name;
  std::vector<Saved> saved;
  std::vector<bool> needs;  // per tensor input
  std::vector<const TensorImpl*> non_differentiable;
  bool in_forward = true;
};

struct CustomAccess {
  static CustomState& state(const FunctionCtx& ctx) { return *ctx.state_; }
};

namespace {

// A name that lives as long as the program: records point to their name.
const char* intern(std::string_view name) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> names;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = names.find(name);
  if (it == names.end()) it = names.emplace(name).first;
  return it->c_str();
}

struct OutputSlot {
  Shape shape;
  Dtype dtype;
  bool differentiable = false;
  std::int64_t offset = 0;  // in the packed gradient
};

class CustomNode final : public Node {
 public:
  CustomNode(const char* name, const Site& site, const Shape& out_shape, Dtype out_dtype, FunctionCtx ctx,
             CustomBackward backward, bool once, std::vector<OutputSlot> outputs, bool packed)
      : Node(name, site, out_shape, out_dtype), ctx_(std::move(ctx)), backward_(std::move(backward)), once_(once),
        outputs_(std::move(outputs)), packed_(packed) {}

  void vjp(const Tensor& grad, VjpContext& vctx) override {
    CustomState& state = CustomAccess::state(*ctx_);
    for (std::size_t i = 0; i < state.needs.size(); ++i) state.needs[i] = vctx.needs(i);
    std::vector<Tensor> grads(outputs_.size());
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      const OutputSlot& slot = outputs_[k];
      if (!slot.differentiable) continue;
      grads[k] = packed_ ? reshape(slice(grad, 0, slot.offset, slot.offset + slot.shape.numel()), slot.shape) : grad;
    }
    const bool refuse_again = once_ && vctx.create_graph();
    std::vector<Tensor> result;
    if (refuse_again) {
      NoGrad plain;
      result = backward_(*ctx_, std::move(grads));
    } else {
      result = backward_(*ctx_, std::move(grads));
    }
    if (result.size() != vctx.size()) {
      throw GraphError(with_site(std::string("backward of the custom function '") + name + "' returned " +
                                     std::to_string(result.size()) + " gradients for its " +
                                     std::to_string(vctx.size()) + " tensor inputs (one each, undefined for none)",
                                 site));
    }
    for (std::size_t i = 0; i < result.size(); ++i) {
      if (!result[i].defined() || !vctx.needs(i)) continue;
      vctx.set(i, refuse_again ? refusing(result[i]) : std::move(result[i]));
    }
  }

  void collect_saved(std::vector<Tensor>& out) const override {
    if (!ctx_) return;
    SavedCollector collector(out);
    [[maybe_unused]] const std::vector<Saved> copy(CustomAccess::state(*ctx_).saved);  // each reports itself
  }

 protected:
  void release_saved() override {
    ctx_.reset();
    backward_ = nullptr;
  }

 private:
  // `g` with a record whose VJP refuses (see Note [Custom functions]).
  Tensor refusing(const Tensor& g) const {
    const char* op = name;
    const Site where = site;
    auto refuse = [op, where](const Tensor&, VjpContext&) {
      throw GraphError(with_site(std::string("backward: the custom function '") + op +
                                     "' is once_differentiable: its backward is not written in taped ops, so "
                                     "the gradient it returned cannot be differentiated again",
                                 where));
    };
    Tensor out = alias(g, g.shape());
    auto node = std::make_shared<LambdaNode<decltype(refuse)>>(intern(std::string(op) + " (once differentiable)"),
                                                               site, g.shape(), g.dtype(), std::move(refuse));
    attach(out, std::move(node));
    return out;
  }

  std::optional<FunctionCtx> ctx_;
  CustomBackward backward_;
  bool once_;
  std::vector<OutputSlot> outputs_;
  bool packed_;
};

}  // namespace

std::string type_name(const std::type_info& type) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && demangled ? demangled : type.name();
  std::free(demangled);
  // Where the user wrote it, an anonymous namespace does not show.
  constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (std::size_t at = out.find(kAnonymous); at != std::string::npos; at = out.find(kAnonymous))
    out.erase(at, kAnonymous.size());
  return out;
}

}  // namespace detail

using detail::CustomAccess;
using detail::CustomState;

FunctionCtx::FunctionCtx() : state_(std::make_shared<CustomState>()) {}

void FunctionCtx::save_for_backward(const std::vector<Tensor>& tensors) {
  if (!state_->in_forward) {
    throw GraphError("save_for_backward: the custom function '" + name() + "' can only save tensors in forward");
  }
  state_->saved.assign(tensors.begin(), tensors.end());
}

std::vector<Tensor> FunctionCtx::saved() const {
  std::vector<Tensor> out;
  out.reserve(state_->saved.size());
  for (const detail::Saved& s : state_->saved) out.push_back(s.get());
  return out;
}

bool FunctionCtx::needs_input_grad(std::size_t i) const {
  if (i >= state_->needs.size()) {
    throw std::out_of_range("needs_input_grad: the custom function '" + name() + "' has " +
                            std::to_string(state_->needs.size()) + " tensor inputs, asked for input " +
                            std::to_string(i));
  }
  return state_->needs[i];
}

void FunctionCtx::mark_non_differentiable(const std::vector<Tensor>& outputs) {
  for (const Tensor& t : outputs)
    if (t.defined()) state_->non_differentiable.push_back(t.impl());
}

const std::string& FunctionCtx::name() const { return state_->name; }

std::vector<Tensor> custom_op(std::string_view name, const std::vector<Tensor>& inputs, const CustomForward& forward,
                              const CustomBackward& backward, CustomOptions options, Site site) {
  const char* op = detail::intern(name);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      throw InvalidArgument(std::string("custom function '") + op + "': tensor input " + std::to_string(i) +
                                " is undefined",
                            site);
    }
  }
  FunctionCtx ctx;
  CustomState& state = CustomAccess::state(ctx);
  state.name = op;
  for (const Tensor& t : inputs) state.needs.push_back(is_grad_enabled() && detail::needs_grad(t));
  const bool records = detail::should_record_list(inputs);
  std::vector<Tensor> outs;
  {
    NoGrad plain;
    outs = forward(ctx, inputs);
  }
  state.in_forward = false;
  if (outs.empty()) throw InvalidArgument(std::string("custom function '") + op + "': forward returned no tensor", site);
  std::vector<detail::OutputSlot> slots(outs.size());
  std::int64_t total = 0;
  std::optional<Dtype> dtype;
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (!outs[k].defined()) {
      throw InvalidArgument(std::string("custom function '") + op + "': forward returned an undefined output " +
                                std::to_string(k),
                            site);
    }
    detail::OutputSlot& slot = slots[k];
    slot.shape = outs[k].shape();
    slot.dtype = outs[k].dtype();
    const auto& marked = state.non_differentiable;
    slot.differentiable = records && is_floating(slot.dtype) &&
                          std::find(marked.begin(), marked.end(), outs[k].impl()) == marked.end();
    outs[k] = detail::alias(outs[k], slot.shape);  // a fresh handle: forward may return an input itself
    if (!slot.differentiable) continue;
    if (dtype && *dtype != slot.dtype) {
      throw DtypeError(with_site(std::string("custom function '") + op + "': its differentiable outputs mix " +
                                     dtype_name(*dtype) + " and " + dtype_name(slot.dtype) +
                                     "; return one float dtype, or mark the others non-differentiable",
                                 site));
    }
    dtype = slot.dtype;
    slot.offset = total;
    total += slot.shape.numel();
  }
  if (!dtype) return outs;  // nothing to differentiate
  const std::size_t differentiable = static_cast<std::size_t>(
      std::count_if(slots.begin(), slots.end(), [](const detail::OutputSlot& s) { return s.differentiable; }));
  const bool packed = differentiable > 1;
  std::size_t single = 0;
  while (!slots[single].differentiable) ++single;
  const Shape node_shape = packed ? Shape{total} : slots[single].shape;
  auto node = std::make_shared<detail::CustomNode>(op, site, node_shape, *dtype, ctx, backward,
                                                   options.once_differentiable, slots, packed);
  node->edges.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) node->edges[i] = detail::make_edge(inputs[i]);
  if (!packed) {
    detail::attach(outs[single], std::move(node));
    return outs;
  }
  for (std::size_t k = 0; k < slots.size(); ++k) {
    const detail::OutputSlot slot = slots[k];
    if (!slot.differentiable) continue;
    // Places output k's gradient at its offset in the packed gradient.
    auto place = [slot, total](const Tensor& g, detail::VjpContext& vctx) {
      std::vector<Tensor> pieces;
      if (slot.offset > 0) pieces.push_back(zeros({slot.offset}, g.dtype()));
      pieces.push_back(reshape(g, {slot.shape.numel()}));
      const std::int64_t after = total - slot.offset - slot.shape.numel();
      if (after > 0) pieces.push_back(zeros({after}, g.dtype()));
      vctx.set(0, pieces.size() == 1 ? pieces[0] : concat(pieces, 0));
    };
    auto output = std::make_shared<detail::LambdaNode<decltype(place)>>(
        detail::intern(std::string(op) + "[" + std::to_string(k) + "]"), site, slot.shape, slot.dtype, std::move(place));
    output->edges.resize(1);
    output->edges[0].node = node;
    detail::attach(outs[k], std::move(output));
  }
  return outs;
}

}  // namespace tg
