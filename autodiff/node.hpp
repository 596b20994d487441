// The tape's records. Private to the library.
//
// Note [Records and ownership]
// An op that records creates one Node: its name, the caller's source line,
// the output's shape and dtype, an edge per input, and the VJP closure with
// the tensors it saved. The output tensor owns its Node (grad_fn); a Node owns
// its input edges (the producing Node, or the leaf itself). Nothing points
// back from a Node to its output, so there is no shared_ptr cycle: when the
// last tensor of a graph goes away, the graph goes with it. A VJP that needs
// the op's output saves a detached alias of it (same storage, no record) and
// asks the context to reattach it when the backward pass is itself recorded.
//
// Note [Saved tensors]
// A VJP reads tensors the forward pass saw. If one of them is overwritten in
// place before backward runs (an optimizer step between two backward passes
// through a retained graph), the gradient would silently be wrong. Every
// write through Tensor::mutable_data() bumps the storage's version; a saved
// tensor remembers the version it was saved at and refuses to be read after
// a change, and the engine names the op whose VJP tried.
//
// Note [Saved tensors and set_data]
// A version belongs to a storage, but set_data() swaps the storage under a
// TensorImpl: a Saved holding that leaf would compare the new storage's
// version (which started at 0, or stands anywhere) with the number it took
// from the old one, and could find them equal. So a Saved also keeps the
// storage it saw (a StoragePtr: the very buffer, alive, so no address reuse
// can make a different buffer look like it) and get() refuses when the
// tensor now points to another one. Versions are then only ever compared
// within one storage, where they are monotone. An edge to a leaf keeps the
// leaf's set_data count at record time, so a gradient whose shape no longer
// matches the leaf is blamed on the set_data that changed it, not on the VJP.
//
// Note [Counting saved tensors]
// What a record saved lives inside its VJP closure, which nothing can look
// into. To count it (tape_report in graph.cpp), a record copies its closure
// while a SavedCollector is active: every detail::Saved in the copy reports
// its tensor as it is copied. Closures are only ever moved while recording,
// so the one thread_local test is in Saved's copy constructor, off the hot
// path. A tensor a closure keeps as a plain Tensor is not seen.
//
// Note [Anomaly detection]
// With tg::DetectAnomaly on, attach() checks every recorded output for NaN
// and Inf, and the engine checks every VJP's gradients (anomaly.cpp). Off,
// the cost is one thread_local bool test per record (three instructions), one
// per backward(), and a test of a local bool per record run by backward().
//
// Note [Accumulating in place]
// An input used many times (an RNN's weights at every step, the gate
// slices of one projection) receives one gradient per use, each summed into
// the one before. A VJP that can add its contribution where the sum already
// lives (a gemm with beta = 1, a slice's gradient added into its window)
// asks VjpContext::accumulated(i): it returns that sum when it is defined,
// is held by nothing else, and the backward pass is not recorded, anomaly
// detection is off and leaf gradients go to .grad (not to grad()'s
// capture). The VJP then leaves slot i empty. Off these conditions it gets
// null and returns its gradient as usual; both give the same sums.
//
// Note [Releasing a shared record]
// Several threads may run backward passes through one graph at once (Note
// [Thread model] in engine.cpp). A pass only reads a record (its edges, its
// saved tensors, its closure), but a pass without retain_graph releases each
// record it has run, and that must not pull the edges and saved tensors from
// under another pass still using them. So a record counts the passes that
// hold it (an atomic, taken while a pass discovers the record) and has a
// "release requested" bit: a pass that is done with the record lets go of
// it, asking for the release when it did not retain the graph, and whoever
// lets go last while the bit is set does the release. A pass that reaches a
// record whose release was asked for fails with the released-records error,
// as a second backward after a first without retain_graph does in one
// thread. Two atomic operations per record and pass; no lock.
//
// Note [Leaves held weakly]
// backward({.create_graph = true}) stores in a leaf's .grad a tensor whose
// records refer to the leaf again (its edge, its saved tensors): parameter ->
// .grad -> records -> parameter, a shared_ptr cycle that nothing freed (a
// model built, differentiated with create_graph and dropped stayed in memory
// for good). So a record refers to a leaf that requires grad only weakly:
// an edge holds a weak_ptr, and a Saved of such a leaf holds a weak_ptr and a
// detached alias of its values. That is safe because a leaf nobody holds any
// more is a leaf whose gradient nobody can read: an edge to it is skipped,
// and a VJP that reads its values gets the alias, the values the op used
// (an alias has no record and does not require grad, which is right for a
// tensor nobody can differentiate with respect to any more). A live leaf is
// handed out itself, so create_graph still differentiates with respect to
// it. What stays: a leaf that lives on keeps, in its .grad, the records of
// every create_graph backward that summed into it, as in PyTorch; zero_grad()
// or tg::grad() (which writes no .grad) let them go.
//
// Note [Iterative release]
// Destroying a chain of 100,000 records by plain destructors would recurse
// 100,000 deep. Every place that drops a Node (a TensorImpl's grad_fn, a
// Node's edges) hands it to release_node(), which destroys the last owner's
// Node in a loop on a per-thread list instead of recursing.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/autodiff/grad_mode.hpp"
#include "tensor_impl.hpp"

namespace tg::detail {

class Node;

/// Drops `node`; if this was the last owner, destroys it without recursion.
void release_node(std::shared_ptr<Node>&& node);

/// Where the gradient of one input goes: into the record that produced it,
/// or into a leaf's .grad. Both empty when the input does not require grad.
struct Edge {
  std::shared_ptr<Node> node;
  std::weak_ptr<TensorImpl> leaf;  // see Note [Leaves held weakly]
  /// The leaf's set_data count when the op used it (see Note [Saved tensors and set_data]).
  std::uint32_t leaf_data_changes = 0;
  bool active() const { return node || !leaf.expired(); }
};

/// Inline room for two inputs (most ops); more spill to the heap (concat).
class EdgeList {
 public:
  void resize(std::size_t n) {
    n_ = n;
    if (n > small_.size()) large_.resize(n);
  }
  std::size_t size() const { return n_; }
  Edge& operator[](std::size_t i) { return n_ > small_.size() ? large_[i] : small_[i]; }
  const Edge& operator[](std::size_t i) const {
    return n_ > small_.size() ? large_[i] : small_[i];
  }
  void clear();

 private:
  std::array<Edge, 2> small_;
  std::vector<Edge> large_;
  std::size_t n_ = 0;
};

/// A tensor a VJP keeps for the backward pass, with the version of its
/// storage at the time (see Note [Saved tensors]).
class Saved {
 public:
  Saved() = default;
  Saved(const Tensor& t);  // NOLINT: implicit, so captures read [x = Saved(x)] or saved(y)
  Saved(Saved&&) noexcept = default;
  Saved& operator=(Saved&&) noexcept = default;
  /// Reports the tensor to an active SavedCollector (see Note [Counting saved tensors]).
  Saved(const Saved& other);
  Saved& operator=(const Saved&) = default;
  /// The tensor; throws when it was modified in place since it was saved.
  Tensor get() const;
  bool defined() const { return tensor_.defined(); }

 private:
  Tensor tensor_;  // for a leaf that requires grad, a detached alias (Note [Leaves held weakly])
  std::weak_ptr<TensorImpl> leaf_;
  StoragePtr storage_;  // the buffer saved (see Note [Saved tensors and set_data])
  std::uint32_t version_ = 0;
};

/// Where a VJP may add input i's gradient in place (see Note [Accumulating
/// in place]).
struct InPlace {
  bool records = false;  // into the pending gradient of the producing record
  bool leaves = false;   // into a leaf's .grad
};

/// Gradients a VJP hands back, one slot per input.
class VjpContext {
 public:
  /// `pending[i]`: the gradient summed so far for input i's record in this
  /// backward pass (null for a leaf), when in_place.records allows adding to it.
  VjpContext(const std::shared_ptr<Node>& self, bool create_graph, InPlace in_place = {},
             Tensor* const* pending = nullptr);
  ~VjpContext() { unlock_leaves(); }
  VjpContext(const VjpContext&) = delete;
  VjpContext& operator=(const VjpContext&) = delete;
  /// Lets go of the leaves' locks accumulated() took (see Note [Thread model]).
  void unlock_leaves();
  /// Whether input i wants a gradient (skip the work otherwise).
  bool needs(std::size_t i) const;
  void set(std::size_t i, Tensor grad);
  /// The gradient input i has accumulated so far, when the VJP may add its
  /// contribution to it in place instead of calling set(i); null otherwise.
  Tensor* accumulated(std::size_t i);
  Tensor& grad(std::size_t i) { return grads_[i]; }
  std::size_t size() const { return grads_.size(); }
  bool create_graph() const { return create_graph_; }
  /// The op's output for use in its VJP: the saved detached alias, reattached
  /// to this record when the backward pass is being recorded.
  Tensor output(const Saved& saved) const;

 private:
  const std::shared_ptr<Node>& self_;
  bool create_graph_;
  InPlace in_place_;
  Tensor* const* pending_;
  std::vector<Tensor> grads_;
  std::vector<std::mutex*> locked_;
  std::vector<std::shared_ptr<TensorImpl>> kept_leaves_;
};

/// The lock that guards `leaf`'s .grad while a backward pass accumulates into
/// it (one of a fixed set of mutexes, chosen by the leaf's address).
std::mutex& leaf_lock(const TensorImpl* leaf);

/// While it lives, copies of Saved on this thread append their tensor to
/// `out` (see Note [Counting saved tensors]).
class SavedCollector {
 public:
  explicit SavedCollector(std::vector<Tensor>& out);
  ~SavedCollector();
  SavedCollector(const SavedCollector&) = delete;
  SavedCollector& operator=(const SavedCollector&) = delete;

 private:
  std::vector<Tensor>* previous_;
};

class Node {
 public:
  Node(const char* name, const Site& site, const Shape& out_shape, Dtype out_dtype);
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Computes the gradients of the inputs from `grad` (the gradient of the output).
  virtual void vjp(const Tensor& grad, VjpContext& ctx) = 0;
  /// Drops the saved tensors and the edges: the record can no longer run.
  void release();
  /// Appends the tensors the VJP saved (see Note [Counting saved tensors]).
  virtual void collect_saved(std::vector<Tensor>& out) const = 0;

  const char* name;
  Site site;
  Shape out_shape;
  Dtype out_dtype;
  EdgeList edges;
  bool released = false;
  /// Hooks on the output's gradient (register_hook, retain_grad of a non-leaf).
  std::unique_ptr<GradHooks> hooks;

  /// Counts a backward pass running through this record; false, and nothing
  /// counted, when its release was asked for (Note [Releasing a shared record]).
  bool hold();
  /// Ends a pass's hold; `release` asks for the release, which the last
  /// holder does.
  void let_go(bool release);

 protected:
  virtual void release_saved() = 0;

 private:
  static constexpr std::uint32_t kReleaseAsked = std::uint32_t{1} << 31;
  std::atomic<std::uint32_t> holds_{0};
};

template <class F>
class LambdaNode final : public Node {
 public:
  LambdaNode(const char* name, const Site& site, const Shape& out_shape, Dtype out_dtype, F&& fn)
      : Node(name, site, out_shape, out_dtype), fn_(std::move(fn)) {}
  void vjp(const Tensor& grad, VjpContext& ctx) override { (*fn_)(grad, ctx); }
  void collect_saved(std::vector<Tensor>& out) const override {
    if constexpr (std::is_copy_constructible_v<F>) {
      if (!fn_) return;
      SavedCollector collector(out);
      [[maybe_unused]] const F copy(*fn_);  // each Saved in it reports itself
    }
  }

 protected:
  void release_saved() override { fn_.reset(); }

 private:
  std::optional<F> fn_;
};

/// The calling thread's anomaly-detection switch (see Note [Anomaly detection]).
bool& anomaly_flag();
/// Throws AnomalyError when the recorded output `out` of `node` holds NaN or Inf.
void check_forward_anomaly(const Node& node, const TensorImpl& out);
/// Throws AnomalyError when `grad`, the gradient of `node`'s output, or a
/// gradient its VJP returned in `ctx`, holds NaN or Inf.
void check_backward_anomaly(const Node& node, const Tensor& grad, VjpContext& ctx);
/// Rethrows `found`, raised by an op that `node`'s VJP recorded, as an error
/// of that VJP (or of `grad`, when it was already non-finite).
[[noreturn]] void rethrow_vjp_anomaly(const Node& node, const Tensor& grad, const std::exception& found);

/// Per-thread counts behind tape_stats().
struct TapeCounters {
  std::int64_t live = 0;
  std::int64_t created = 0;
};
TapeCounters& tape_counters();

inline bool needs_grad(const Tensor& t) { return t.defined() && t.requires_grad(); }

/// True when an op with these inputs must record: grad mode is on and some
/// input requires grad.
template <class... Ts>
bool should_record(const Ts&... inputs) {
  return is_grad_enabled() && (needs_grad(inputs) || ...);
}
bool should_record_list(const std::vector<Tensor>& inputs);

/// The edge for one input.
Edge make_edge(const Tensor& input);

/// The op's output `t` for its VJP to keep: a detached alias (same storage, no
/// record, so no cycle), reattached by VjpContext::output.
Saved saved(const Tensor& t);

void attach(Tensor& out, std::shared_ptr<Node> node);

/// Records `out = op(inputs...)` with its VJP `fn(grad, ctx)`.
template <class F, class... Ts>
void record(const char* name, const Site& site, Tensor& out, F&& fn, const Ts&... inputs) {
  auto node = std::make_shared<LambdaNode<std::decay_t<F>>>(name, site, out.shape(), out.dtype(),
                                                            std::forward<F>(fn));
  node->edges.resize(sizeof...(Ts));
  std::size_t i = 0;
  ((node->edges[i++] = make_edge(inputs)), ...);
  attach(out, std::move(node));
}

template <class F>
void record_list(const char* name, const Site& site, Tensor& out, F&& fn,
                 const std::vector<Tensor>& inputs) {
  auto node = std::make_shared<LambdaNode<std::decay_t<F>>>(name, site, out.shape(), out.dtype(),
                                                            std::forward<F>(fn));
  node->edges.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) node->edges[i] = make_edge(inputs[i]);
  attach(out, std::move(node));
}

}  // namespace tg::detail
