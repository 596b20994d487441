// The float64 gradcheck sweep: every row of the op table with a gradient
// column, on every one of its samples, first order and (where the row says
// so) second order through create_graph.
#include "sweep.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// The first-order gradients of Σ u·f(xs) as one scalar Σ_i Σ v_i·g_i, with
// fixed weights u and v_i: its gradient is the second-order VJP.
Tensor projected_gradient(const OpInfo& row, const Sample& s, const std::vector<std::size_t>& at,
                          const std::vector<Tensor>& xs) {
  const Tensor y = to_dtype(call_with(row, s, at, xs), f64);
  const Tensor loss = sum(y * projection(y.shape(), y.dtype(), 1));
  if (!loss.requires_grad()) return zeros({}, f64);  // nothing reaches the inputs (p = 1 dropout)
  const std::vector<Tensor> g = grad({loss}, xs, {}, {.create_graph = true, .allow_unused = true});
  Tensor total = zeros({}, f64);
  for (std::size_t i = 0; i < g.size(); ++i) total = total + sum(g[i] * projection(g[i].shape(), f64, 2 + i));
  return total;
}

}  // namespace

TEST_CASE("gradcheck sweep: every differentiable row, every sample, float64, first and second order") {
  int first = 0, second = 0;
  for (const OpInfo& row : op_table()) {
    if (!row.has_gradient()) continue;
    const std::vector<std::size_t> at = differentiable_positions(row);
    for (const Sample& s : row.samples(f64)) {
      INFO(describe(row, s, f64));
      std::vector<Tensor> xs;
      for (std::size_t i : at) xs.push_back(s.inputs[i]);
      // A result in float32 (to_dtype's "to float32") is read back in float64.
      auto f = [&](const std::vector<Tensor>& v) { return to_dtype(call_with(row, s, at, v), f64); };
      try {
        CHECK_GRADCHECK_INPUTS(at.size(), gradcheck(f, xs, s.gradcheck));
      } catch (const std::exception& e) {
        FAIL_CHECK("first order threw: " << std::string(e.what()));
      }
      ++first;
      if (!row.second_order) continue;
      auto g = [&](const std::vector<Tensor>& v) { return projected_gradient(row, s, at, v); };
      try {
        CHECK_GRADCHECK_INPUTS(at.size(), gradcheck(g, xs, s.gradcheck));
      } catch (const std::exception& e) {
        FAIL_CHECK("second order threw: " << std::string(e.what()));
      }
      ++second;
    }
  }
  MESSAGE(first << " first-order and " << second << " second-order gradchecks");
  CHECK(first > 200);
  CHECK(second > 150);
}
