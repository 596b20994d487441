// The backward pass over recorded graphs. Private to the library.
#pragma once

#include <functional>
#include <vector>

#include "tensor_impl.hpp"

namespace tg::detail {

class Node;

struct BackwardRequest {
  std::vector<Tensor> roots;
  std::vector<Tensor> seeds;  // one per root, same shape
  bool retain_graph = false;
  bool create_graph = false;
  // Without callbacks, leaf gradients accumulate into .grad (backward()).
  // grad() sets them to capture the gradients of its inputs instead.
  std::function<void(TensorImpl*, Tensor&&)> on_leaf_grad;
  std::function<void(TensorImpl*)> on_leaf_reached;
  std::function<void(Node*, const Tensor&)> on_node_grad;
};

/// Runs the VJPs of every record reachable from the roots; see Note [Backward order].
void run_backward(const BackwardRequest& request);

/// dst += src, same shape and dtype, in place.
void add_into(Tensor& dst, const Tensor& src);

}  // namespace tg::detail
