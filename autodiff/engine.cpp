// The backward pass.
//
// Note [Backward order]
// The records reachable from the roots form a DAG. A first pass (an explicit
// stack, no recursion) finds them and counts, for each, how many reachable
// records consume its output. A record runs once all its consumers have run,
// i.e. once its output gradient is complete; its VJP then delivers gradients
// to its inputs' records, or to leaves. This is a topological order, as
// Stan's reverse order of construction is, and it works for graphs that
// several threads built or that mix several tapes.
//
// Note [Thread model]
// PyTorch's model, which users know: recording is per thread (grad mode,
// anomaly mode and the tape counters are thread_local); several threads may
// run backward passes through one graph at the same time, and accumulate
// into one leaf's .grad at the same time.
// - A pass keeps its bookkeeping (which records it reached, how many of each
//   one's consumers are still to run, the gradient summed so far) in its own
//   table (Pass below), never on the records: the records of a graph are
//   read-only during backward, so passes over a shared graph do not see each
//   other's sums.
// - Releasing a record that another pass still runs through is deferred to
//   the last pass holding it (Note [Releasing a shared record] in node.hpp).
//   To run several passes through one graph, every one but the last needs
//   retain_graph, as in one thread; a pass reaching a record already
//   released fails with the released-records error.
// - A leaf's .grad is summed under a lock (leaf_lock, a fixed set of mutexes
//   chosen by address), including a VJP's in-place sum (Note [Accumulating in
//   place]), which holds the lock until the VJP returns.
// What stays the caller's to order, as in PyTorch: reading or replacing a
// .grad (an optimizer step, zero_grad) while another thread's backward sums
// into it, and writing a tensor a record saved while a backward reads it.
#include "engine.hpp"

#include <mutex>
#include <optional>
#include <sstream>

#include "kernels/copy.hpp"
#include "node.hpp"
#include "tapegrad/autodiff/anomaly.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::detail {
namespace {

std::string describe(const Node& node) {
  std::ostringstream out;
  out << "'" << node.name << "' with output " << node.out_shape.str();
  if (node.site.line() != 0) out << " (recorded at " << node.site.file_name() << ":" << node.site.line() << ")";
  return out.str();
}

bool uniquely_owned(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl()->storage->use_count() == 1 && !t.impl()->grad_fn &&
         t.impl()->contiguous;
}

// acc += g. In place when acc's buffer is ours alone and nothing is recorded.
void accumulate(Tensor& acc, Tensor&& g, bool create_graph) {
  if (!acc.defined()) {
    acc = std::move(g);
  } else if (!create_graph && uniquely_owned(acc)) {
    add_into(acc, g);
  } else {
    acc = add(acc, g);
  }
}

// A leaf's .grad keeps its own, contiguous buffer: a gradient shared with
// another tensor (add's VJP passes its input through) or a view (permute's
// VJP) is copied before it is stored, since later steps accumulate into it in
// place and optimizers read it as one flat buffer (Note [Strided views]).
void accumulate_leaf(TensorImpl& leaf, Tensor&& g, bool create_graph) {
  if (!leaf.grad.defined()) {
    if (create_graph) leaf.grad = g.is_contiguous() ? std::move(g) : g.contiguous();
    else leaf.grad = uniquely_owned(g) ? std::move(g) : copy_values(g);
  } else if (!create_graph && !leaf.grad.impl()->grad_fn) {
    add_into(leaf.grad, g);
  } else {
    leaf.grad = add(leaf.grad, g);
  }
}

void check_grad(const Node& node, std::size_t input, const Tensor& g, const Shape& expected,
                Dtype dtype) {
  if (g.shape() != expected || g.dtype() != dtype) {
    throw GraphError("backward: the VJP of " + describe(node) + " returned a gradient of shape " +
                     g.shape().str() + " " + dtype_name(g.dtype()) + " for input " +
                     std::to_string(input) + " of shape " + expected.str() + " " +
                     dtype_name(dtype) + " (a bug in that op's VJP)");
  }
}

// A leaf that set_data() gave another shape or dtype after the op used it
// gets a gradient that no longer fits: that is the cause to name.
void check_leaf_grad(const Node& node, std::size_t input, const Tensor& g, const Edge& edge,
                     const TensorImpl& leaf) {
  if (leaf.data_changes != edge.leaf_data_changes && (g.shape() != leaf.shape || g.dtype() != leaf.dtype)) {
    throw GraphError("backward: input " + std::to_string(input) + " of " + describe(node) +
                     " is a leaf that set_data() changed to " + leaf.shape.str() + " " +
                     dtype_name(leaf.dtype) + " after the op used it as " + g.shape().str() + " " +
                     dtype_name(g.dtype()) + "; run the forward pass again after set_data");
  }
  check_grad(node, input, g, leaf.shape, leaf.dtype);
}

// The pre hooks of a record's output or of a leaf, in registration order,
// each on the gradient the one before left (Note [Hooks] in hooks.cpp).
Tensor run_pre_hooks(const GradHooks& hooks, Tensor g, const char* what) {
  if (hooks.pre->empty()) return g;
  const GradHooks::List<TensorHook> copy = *hooks.pre;  // a hook may remove itself
  for (const auto& [id, hook] : copy) {
    Tensor replaced = hook(g);
    if (!replaced.defined()) continue;
    if (replaced.shape() != g.shape() || replaced.dtype() != g.dtype()) {
      throw GraphError(std::string("backward: a hook registered on ") + what + " returned a gradient " +
                       replaced.shape().str() + " " + dtype_name(replaced.dtype()) + " for the gradient " +
                       g.shape().str() + " " + dtype_name(g.dtype()) + " (a replacement keeps the shape and dtype)");
    }
    g = std::move(replaced);
  }
  return g;
}

// A leaf with hooks: its gradient is summed over the pass apart from .grad,
// so that its hooks see the whole of it once (Note [Hooks]).
struct HookedLeaf {
  std::shared_ptr<TensorImpl> leaf;
  int consumers = 0;
  Tensor grad;
};

bool has_hooks(const TensorImpl& leaf) { return leaf.hooks && !leaf.hooks->empty(); }

// One backward pass's bookkeeping (see Note [Thread model]): per reached
// record, its consumers still to run and the gradient summed so far, found
// through an open-addressing table keyed by the record's address.
struct Pass {
  struct Entry {
    std::shared_ptr<Node> node;
    int consumers = 0;
    Tensor grad;
    bool held = true;  // this pass still holds the record (Note [Releasing a shared record])
  };
  std::vector<Entry> entries;
  std::vector<HookedLeaf> hooked;  // leaves with hooks this pass reaches; few, searched linearly
  std::vector<std::pair<Node*, std::uint32_t>> slots = std::vector<std::pair<Node*, std::uint32_t>>(64);

  Pass() = default;
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;
  // A pass left by an exception lets go of what it still holds, releasing nothing.
  ~Pass() {
    for (std::uint32_t e = 0; e < entries.size(); ++e) let_go(e, false);
    for (Entry& entry : entries) release_node(std::move(entry.node));
  }

  std::size_t slot_of(const Node* node) const {
    const auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(node)) * 0x9E3779B97F4A7C15ull;
    return static_cast<std::size_t>(h >> 32) & (slots.size() - 1);
  }
  // The entry of `node`, added when new (second: true).
  std::pair<std::uint32_t, bool> find_or_add(const std::shared_ptr<Node>& node) {
    if (2 * (entries.size() + 1) > slots.size()) grow();
    for (std::size_t s = slot_of(node.get());; s = (s + 1) & (slots.size() - 1)) {
      if (slots[s].first == node.get()) return {slots[s].second, false};
      if (!slots[s].first) {
        const auto index = static_cast<std::uint32_t>(entries.size());
        slots[s] = {node.get(), index};
        entries.emplace_back().node = node;
        return {index, true};
      }
    }
  }
  std::uint32_t index_of(const Node* node) const {
    for (std::size_t s = slot_of(node);; s = (s + 1) & (slots.size() - 1))
      if (slots[s].first == node) return slots[s].second;
  }
  std::size_t place(const Node* node) const {
    std::size_t s = slot_of(node);
    while (slots[s].first) s = (s + 1) & (slots.size() - 1);
    return s;
  }
  void grow() {
    std::vector<std::pair<Node*, std::uint32_t>> old(slots.size() * 2);
    old.swap(slots);
    for (const auto& [n, index] : old)
      if (n) slots[place(n)] = {n, index};
  }
  HookedLeaf* hooked_leaf(const TensorImpl* leaf) {
    for (HookedLeaf& h : hooked)
      if (h.leaf.get() == leaf) return &h;
    return nullptr;
  }
  void let_go(std::uint32_t e, bool release) {
    Entry& entry = entries[e];
    if (!entry.held) return;
    entry.held = false;
    entry.grad = Tensor();
    entry.node->let_go(release);
  }
};

}  // namespace

void run_backward(const BackwardRequest& request) {
  const bool create_graph = request.create_graph;
  const bool retain = request.retain_graph || create_graph;
  const bool anomaly = anomaly_flag();  // see Note [Anomaly detection]

  // Discover the reachable records, hold each (Note [Releasing a shared
  // record]) and count each one's consumers, in this pass's own table.
  Pass pass;
  std::vector<std::uint32_t> stack;
  auto visit = [&](const std::shared_ptr<Node>& node) -> std::uint32_t {
    const auto [index, inserted] = pass.find_or_add(node);
    if (inserted) {
      if (!node->hold()) {
        pass.entries[index].held = false;  // nothing to let go of
        throw GraphError("backward: the records of " + describe(*node) +
                         " were already released by an earlier backward(); pass "
                         "{.retain_graph = true} to the first backward to run a second one");
      }
      stack.push_back(index);
    }
    return index;
  };
  for (const Tensor& root : request.roots)
    if (root.impl()->grad_fn) visit(root.impl()->grad_fn);
  while (!stack.empty()) {
    Node& node = *pass.entries[stack.back()].node;
    stack.pop_back();
    for (std::size_t i = 0; i < node.edges.size(); ++i) {
      const Edge& edge = node.edges[i];
      if (edge.node) {
        ++pass.entries[visit(edge.node)].consumers;
      } else if (const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock()) {
        if (request.on_leaf_reached) request.on_leaf_reached(leaf.get());
        if (has_hooks(*leaf)) {
          HookedLeaf* h = pass.hooked_leaf(leaf.get());
          if (!h) h = &pass.hooked.emplace_back(HookedLeaf{leaf, 0, Tensor()});
          ++h->consumers;
        }
      }
    }
  }

  // A leaf with hooks, once its gradient is complete: the hooks, then .grad
  // (or grad()'s capture), then the post-accumulate hooks.
  auto finish_leaf = [&](const std::shared_ptr<TensorImpl>& leaf, Tensor g) {
    if (!g.defined()) return;
    g = run_pre_hooks(*leaf->hooks, std::move(g), ("the leaf " + leaf->shape.str()).c_str());
    if (request.on_leaf_grad) {
      request.on_leaf_grad(leaf.get(), std::move(g));
      return;
    }
    {
      std::lock_guard<std::mutex> lock(leaf_lock(leaf.get()));
      accumulate_leaf(*leaf, std::move(g), create_graph);
    }
    const GradHooks::List<PostAccumulateGradHook> post = *leaf->hooks->post;
    for (const auto& [id, hook] : post) hook(Tensor(leaf));
  };

  // Seed the roots. A root that is itself a leaf takes its seed directly.
  for (std::size_t r = 0; r < request.roots.size(); ++r) {
    TensorImpl* root = request.roots[r].impl();
    Tensor seed = request.seeds[r];
    if (root->grad_fn) {
      accumulate(pass.entries[pass.index_of(root->grad_fn.get())].grad, std::move(seed), create_graph);
    } else if (has_hooks(*root)) {
      finish_leaf(request.roots[r].impl_ptr(), std::move(seed));
    } else if (request.on_leaf_grad) {
      request.on_leaf_grad(root, std::move(seed));
    } else {
      accumulate_leaf(*root, std::move(seed), create_graph);
    }
  }

  std::vector<std::uint32_t> ready;
  for (std::uint32_t e = 0; e < pass.entries.size(); ++e)
    if (pass.entries[e].consumers == 0) ready.push_back(e);

  std::optional<EnableGrad> record_backward;
  std::optional<NoGrad> plain_backward;
  if (create_graph) record_backward.emplace(); else plain_backward.emplace();

  std::vector<Tensor*> pending;
  while (!ready.empty()) {
    const std::uint32_t e = ready.back();
    ready.pop_back();
    const std::shared_ptr<Node>& node = pass.entries[e].node;
    Tensor g = std::move(pass.entries[e].grad);
    pass.entries[e].grad = Tensor();
    if (node->hooks && g.defined()) [[unlikely]] {
      g = run_pre_hooks(*node->hooks, std::move(g), ("the output of " + describe(*node)).c_str());
      const std::shared_ptr<TensorImpl> retained = node->hooks->retained.lock();
      if (retained && !request.on_leaf_grad) {
        std::lock_guard<std::mutex> lock(leaf_lock(retained.get()));
        accumulate_leaf(*retained, Tensor(g), create_graph);
      }
    }
    if (request.on_node_grad) request.on_node_grad(node.get(), g);

    const std::size_t n_edges = node->edges.size();
    pending.assign(n_edges, nullptr);
    for (std::size_t i = 0; i < n_edges; ++i)
      if (const Edge& edge = node->edges[i]; edge.node) pending[i] = &pass.entries[pass.index_of(edge.node.get())].grad;

    if (g.defined()) {
      // See Note [Accumulating in place]: the same conditions as accumulate()
      // and accumulate_leaf() below.
      VjpContext ctx(node, create_graph, {.records = !anomaly, .leaves = !anomaly && !request.on_leaf_grad},
                     pending.data());
      try {
        node->vjp(g, ctx);
      } catch (const AnomalyError& e) {
        rethrow_vjp_anomaly(*node, g, e);  // an op the VJP recorded (create_graph) found it
      } catch (const GraphError&) {
        throw;
      } catch (const std::exception& e) {
        throw GraphError("backward: the VJP of " + describe(*node) + " failed: " + e.what());
      }
      ctx.unlock_leaves();
      if (anomaly) [[unlikely]] check_backward_anomaly(*node, g, ctx);
      for (std::size_t i = 0; i < n_edges; ++i) {
        Tensor& gi = ctx.grad(i);
        const Edge& edge = node->edges[i];
        if (!gi.defined()) continue;
        if (edge.node) {
          check_grad(*node, i, gi, edge.node->out_shape, edge.node->out_dtype);
          accumulate(*pending[i], std::move(gi), create_graph);
        } else if (const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock()) {  // gone: nobody can read its .grad
          check_leaf_grad(*node, i, gi, edge, *leaf);
          if (HookedLeaf* h = pass.hooked.empty() ? nullptr : pass.hooked_leaf(leaf.get())) {
            accumulate(h->grad, std::move(gi), create_graph);
          } else if (request.on_leaf_grad) {
            request.on_leaf_grad(leaf.get(), std::move(gi));
          } else {
            std::lock_guard<std::mutex> lock(leaf_lock(leaf.get()));
            accumulate_leaf(*leaf, std::move(gi), create_graph);
          }
        }
      }
    }
    for (std::size_t i = 0; i < n_edges; ++i) {
      const Edge& edge = node->edges[i];
      if (!edge.node) {
        if (pass.hooked.empty()) continue;
        const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock();
        if (HookedLeaf* h = leaf ? pass.hooked_leaf(leaf.get()) : nullptr; h && --h->consumers == 0)
          finish_leaf(h->leaf, std::move(h->grad));
        continue;
      }
      const std::uint32_t child = pass.index_of(edge.node.get());
      if (--pass.entries[child].consumers == 0) ready.push_back(child);
    }
    pass.let_go(e, /*release=*/!retain);
  }
}

void add_into(Tensor& dst, const Tensor& src) { kernels::add_into(dst, src); }

}  // namespace tg::detail
