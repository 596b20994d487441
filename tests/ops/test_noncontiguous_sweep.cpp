// The non-contiguous sweep: every row of the op table, on a non-contiguous
// version of each sample input (make_noncontiguous), gives the same values
// and the same gradients as on the contiguous input.
#include "sweep.hpp"

using namespace tg;
using namespace tg::test;

namespace {

struct Outcome {
  Tensor value;
  std::vector<Tensor> grads;  // one per differentiable floating input
};

// The row on `inputs` (leaves, the differentiable floating ones requiring
// grad), and the gradients of Σ w·y for fixed weights w.
Outcome run(const OpInfo& row, const Sample& s, std::vector<Tensor> inputs) {
  std::vector<std::size_t> at;
  for (std::size_t i : differentiable_positions(row)) {
    if (!is_floating(inputs[i].dtype())) continue;
    inputs[i].requires_grad_();
    at.push_back(i);
  }
  Outcome out{row.call(inputs, s.args), {}};
  if (at.empty() || !out.value.requires_grad()) return out;
  sum(out.value * projection(out.value.shape(), out.value.dtype(), 3)).backward();
  for (std::size_t i : at) out.grads.push_back(inputs[i].grad().defined() ? inputs[i].grad() : zeros_like(inputs[i]));
  return out;
}

std::vector<Tensor> leaves(const std::vector<Tensor>& xs, bool noncontiguous) {
  std::vector<Tensor> out;
  for (const Tensor& x : xs) out.push_back(noncontiguous ? make_noncontiguous(x) : x.detach());
  return out;
}

// Whether `t`'s layout is not contiguous, once Tensor can say (strided
// views); until then nothing to check, and true.
template <class T>
bool laid_out_noncontiguously(const T& t) {
  if constexpr (requires { t.is_contiguous(); }) return !t.is_contiguous();
  else return true;
}

}  // namespace

TEST_CASE("make_noncontiguous keeps the shape, dtype and values; a leaf that requires grad when x does") {
  Generator gen(1);
  for (const Shape& shape : {Shape{2, 3}, Shape{4}, Shape{}, Shape{0, 3}, Shape{2, 1, 3}}) {
    for (Dtype dtype : {f32, f64, i64}) {
      INFO(shape.str() << " " << dtype_name(dtype));
      const Tensor x = dtype == i64 ? reshape(arange(0, static_cast<double>(shape.numel()), 1, i64), shape)
                                    : uniform(shape, -1, 1, gen, dtype);
      const Tensor y = make_noncontiguous(x);
      CHECK(y.shape() == x.shape());
      CHECK(y.dtype() == x.dtype());
      CHECK(y.is_leaf());
      CHECK(!y.requires_grad());
      CHECK(y.to_vector<double>() == x.to_vector<double>());
      // One element or none is contiguous in any layout.
      if (x.numel() > 1) CHECK(laid_out_noncontiguously(y));
    }
  }
  Tensor w = ones({2, 2});
  w.requires_grad_();
  const Tensor v = make_noncontiguous(w);
  CHECK(v.is_leaf());
  CHECK(v.requires_grad());
  // A new leaf: its gradient is its own, not w's.
  sum(v).backward();
  CHECK(v.grad().defined());
  CHECK(!w.grad().defined());
}

TEST_CASE("non-contiguous sweep: each row gives the same values and gradients on non-contiguous inputs") {
  int compared = 0;
  for (const OpInfo& row : op_table()) {
    if (!row.noncontiguous || row.arity == 0) continue;
    for (Dtype dtype : row.dtypes) {
      for (const Sample& s : row.samples(dtype)) {
        INFO(describe(row, s, dtype));
        const Outcome a = run(row, s, leaves(s.inputs, false));
        const Outcome b = run(row, s, leaves(s.inputs, true));
        REQUIRE(b.value.shape() == a.value.shape());
        CHECK(b.value.dtype() == a.value.dtype());
        check_values(b.value, a.value.to_vector<double>());
        REQUIRE(b.grads.size() == a.grads.size());
        for (std::size_t i = 0; i < a.grads.size(); ++i) {
          INFO("gradient of differentiable input " << i);
          REQUIRE(b.grads[i].shape() == a.grads[i].shape());
          check_values(b.grads[i], a.grads[i].to_vector<double>());
        }
        ++compared;
      }
    }
  }
  MESSAGE(compared << " samples compared");
  CHECK(compared > 300);
}
