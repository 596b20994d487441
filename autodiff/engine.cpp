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
#include "engine.hpp"

#include <optional>
#include <sstream>

#include "kernels/copy.hpp"
#include "node.hpp"
#include "tapegrad/autodiff/anomaly.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::detail {
namespace {

std::uint64_t next_visit_mark() {
  static thread_local std::uint64_t mark = 0;
  return ++mark;
}

std::string describe(const Node& node) {
  std::ostringstream out;
  out << "'" << node.name << "' with output " << node.out_shape.str();
  if (node.site.line() != 0) out << " (recorded at " << node.site.file_name() << ":" << node.site.line() << ")";
  return out.str();
}

bool uniquely_owned(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl()->storage->use_count() == 1 && !t.impl()->grad_fn;
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

// A leaf's .grad keeps its own buffer: a gradient shared with another tensor
// (add's VJP passes its input through) is copied before it is stored, since
// later steps accumulate into it in place.
void accumulate_leaf(TensorImpl& leaf, Tensor&& g, bool create_graph) {
  if (!leaf.grad.defined()) {
    leaf.grad = (create_graph || uniquely_owned(g)) ? std::move(g) : copy_values(g);
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
void check_leaf_grad(const Node& node, std::size_t input, const Tensor& g, const Edge& edge) {
  const TensorImpl& leaf = *edge.leaf;
  if (leaf.data_changes != edge.leaf_data_changes && (g.shape() != leaf.shape || g.dtype() != leaf.dtype)) {
    throw GraphError("backward: input " + std::to_string(input) + " of " + describe(node) +
                     " is a leaf that set_data() changed to " + leaf.shape.str() + " " +
                     dtype_name(leaf.dtype) + " after the op used it as " + g.shape().str() + " " +
                     dtype_name(g.dtype()) + "; run the forward pass again after set_data");
  }
  check_grad(node, input, g, leaf.shape, leaf.dtype);
}

}  // namespace

void run_backward(const BackwardRequest& request) {
  const bool create_graph = request.create_graph;
  const bool retain = request.retain_graph || create_graph;
  const bool anomaly = anomaly_flag();  // see Note [Anomaly detection]
  const std::uint64_t mark = next_visit_mark();

  // Discover the reachable records and count each one's consumers.
  std::vector<std::shared_ptr<Node>> reached;
  struct Cleanup {
    std::vector<std::shared_ptr<Node>>& nodes;
    ~Cleanup() {
      for (auto& node : nodes) {
        node->pending_grad = Tensor();
        release_node(std::move(node));
      }
    }
  } cleanup{reached};

  std::vector<Node*> stack;
  auto visit = [&](const std::shared_ptr<Node>& node) {
    if (node->visit_mark == mark) return;
    node->visit_mark = mark;
    node->pending_consumers = 0;
    reached.push_back(node);
    stack.push_back(node.get());
  };
  for (const Tensor& root : request.roots)
    if (root.impl()->grad_fn) visit(root.impl()->grad_fn);
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (node->released) {
      throw GraphError("backward: the records of " + describe(*node) +
                       " were already released by an earlier backward(); pass "
                       "{.retain_graph = true} to the first backward to run a second one");
    }
    for (std::size_t i = 0; i < node->edges.size(); ++i) {
      const Edge& edge = node->edges[i];
      if (edge.node) {
        visit(edge.node);
        ++edge.node->pending_consumers;
      } else if (edge.leaf && request.on_leaf_reached) {
        request.on_leaf_reached(edge.leaf.get());
      }
    }
  }

  // Seed the roots. A root that is itself a leaf takes its seed directly.
  for (std::size_t r = 0; r < request.roots.size(); ++r) {
    TensorImpl* root = request.roots[r].impl();
    Tensor seed = request.seeds[r];
    if (root->grad_fn) {
      accumulate(root->grad_fn->pending_grad, std::move(seed), create_graph);
    } else if (request.on_leaf_grad) {
      request.on_leaf_grad(root, std::move(seed));
    } else {
      accumulate_leaf(*root, std::move(seed), create_graph);
    }
  }

  std::vector<std::shared_ptr<Node>> ready;
  for (const auto& node : reached)
    if (node->pending_consumers == 0) ready.push_back(node);

  std::optional<EnableGrad> record_backward;
  std::optional<NoGrad> plain_backward;
  if (create_graph) record_backward.emplace(); else plain_backward.emplace();

  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    Tensor g = std::move(node->pending_grad);
    node->pending_grad = Tensor();
    if (request.on_node_grad) request.on_node_grad(node.get(), g);

    if (g.defined()) {
      // See Note [Accumulating in place]: the same conditions as accumulate()
      // and accumulate_leaf() below.
      VjpContext ctx(node, create_graph, {.records = !anomaly, .leaves = !anomaly && !request.on_leaf_grad});
      try {
        node->vjp(g, ctx);
      } catch (const AnomalyError& e) {
        rethrow_vjp_anomaly(*node, g, e);  // an op the VJP recorded (create_graph) found it
      } catch (const GraphError&) {
        throw;
      } catch (const std::exception& e) {
        throw GraphError("backward: the VJP of " + describe(*node) + " failed: " + e.what());
      }
      if (anomaly) [[unlikely]] check_backward_anomaly(*node, g, ctx);
      for (std::size_t i = 0; i < node->edges.size(); ++i) {
        Tensor& gi = ctx.grad(i);
        const Edge& edge = node->edges[i];
        if (!gi.defined() || !edge.active()) continue;
        if (edge.node) {
          check_grad(*node, i, gi, edge.node->out_shape, edge.node->out_dtype);
          accumulate(edge.node->pending_grad, std::move(gi), create_graph);
        } else {
          check_leaf_grad(*node, i, gi, edge);
          if (request.on_leaf_grad) {
            request.on_leaf_grad(edge.leaf.get(), std::move(gi));
          } else {
            accumulate_leaf(*edge.leaf, std::move(gi), create_graph);
          }
        }
      }
    }
    for (std::size_t i = 0; i < node->edges.size(); ++i) {
      const Edge& edge = node->edges[i];
      if (edge.node && --edge.node->pending_consumers == 0) ready.push_back(edge.node);
    }
    if (!retain) node->release();
  }
}

void add_into(Tensor& dst, const Tensor& src) { kernels::add_into(dst, src); }

}  // namespace tg::detail
