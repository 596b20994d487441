// lstm_cell (the fused LSTM step) against its composition of taped ops
// (slice, sigmoid, tanh, mul, add, concat): values in float32 and float64,
// with and without c_prev; the fused VJP and the taped VJP (create_graph)
// against the composition's gradients; float64 gradchecks to second order;
// empty shapes; every error.
#include <doctest/doctest.h>

#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// [h | c] as nn::LSTM wrote it before lstm_cell existed.
Tensor composed_cell(const Tensor& gates, const Tensor& c_prev) {
  const std::int64_t H = gates.size(1) / 4;
  const Tensor i = sigmoid(slice(gates, -1, 0, H));
  const Tensor f = sigmoid(slice(gates, -1, H, 2 * H));
  const Tensor g = tanh(slice(gates, -1, 2 * H, 3 * H));
  const Tensor o = sigmoid(slice(gates, -1, 3 * H, 4 * H));
  const Tensor c = c_prev.defined() ? f * c_prev + i * g : i * g;
  return concat({o * tanh(c), c}, -1);
}

// Gates with a spread of magnitudes (saturated gates included) and a c_prev.
struct Inputs {
  Tensor gates, c_prev, seed;
};
Inputs make_inputs(std::int64_t n, std::int64_t h, Dtype dtype, std::uint64_t seed) {
  Generator gen(seed);
  return {normal({n, 4 * h}, 0.0, 2.5, gen, dtype), randn({n, h}, gen, dtype), randn({n, 2 * h}, gen, dtype)};
}

// The gradients of Σ seed ⊙ cell(gates, c_prev) with respect to gates and (when defined) c_prev.
template <class Cell>
std::vector<Tensor> cell_grads(Cell cell, const Inputs& in, bool with_prev, bool create_graph) {
  const Tensor gates = in.gates.detach().requires_grad_();
  const Tensor c_prev = with_prev ? in.c_prev.detach().requires_grad_() : Tensor();
  const Tensor loss = sum(in.seed * cell(gates, c_prev));
  std::vector<Tensor> inputs{gates};
  if (with_prev) inputs.push_back(c_prev);
  return grad({loss}, inputs, {}, {.create_graph = create_graph});
}

}  // namespace

TEST_CASE("lstm_cell: values of [h | c] against the composition, float32 and float64, with and without c_prev") {
  for (Dtype dtype : {f32, f64}) {
    for (bool with_prev : {true, false}) {
      INFO(dtype_name(dtype) << (with_prev ? ", c_prev" : ", zero state"));
      // H = 13: the vector loops' remainders run too.
      const Inputs in = make_inputs(5, 13, dtype, 21);
      const Tensor c_prev = with_prev ? in.c_prev : Tensor();
      const Tensor hc = lstm_cell(in.gates, c_prev);
      CHECK(hc.shape() == Shape{5, 26});
      CHECK(hc.dtype() == dtype);
      check_values(hc, composed_cell(in.gates, c_prev).to_vector<double>());
    }
  }
  // One element by hand: i = σ(0) = 0.5, f = σ(ln 3) = 0.75, g = tanh(0.5), o = σ(−ln 3) = 0.25.
  const Tensor gates = tensor({0.0, std::log(3.0), 0.5, -std::log(3.0)}, {1, 4}, f64);
  const double c = 0.75 * 2.0 + 0.5 * std::tanh(0.5);
  check_values(lstm_cell(gates, tensor({2.0}, {1, 1}, f64)), {0.25 * std::tanh(c), c});
  check_values(lstm_cell(gates), {0.25 * std::tanh(0.5 * std::tanh(0.5)), 0.5 * std::tanh(0.5)});
}

TEST_CASE("lstm_cell: the fused VJP and the taped VJP (create_graph) give the composition's gradients") {
  for (Dtype dtype : {f32, f64}) {
    for (bool with_prev : {true, false}) {
      for (bool create_graph : {false, true}) {
        INFO(dtype_name(dtype) << (with_prev ? ", c_prev" : ", zero state") << ", create_graph " << create_graph);
        const Inputs in = make_inputs(4, 11, dtype, 22);
        const auto fused = cell_grads([](const Tensor& g, const Tensor& c) { return lstm_cell(g, c); }, in, with_prev,
                                      create_graph);
        const auto composed = cell_grads(composed_cell, in, with_prev, create_graph);
        REQUIRE(fused.size() == composed.size());
        for (std::size_t k = 0; k < fused.size(); ++k) {
          CHECK(fused[k].shape() == composed[k].shape());
          CHECK(fused[k].requires_grad() == create_graph);
          check_values(fused[k], composed[k].to_vector<double>(), 1e-5, 1e-12);
        }
      }
    }
  }
}

TEST_CASE("lstm_cell: float64 gradcheck of gates and c_prev, and of gates alone with a zero state") {
  const Inputs in = make_inputs(3, 4, f64, 23);
  CHECK_GRADCHECK_INPUTS(2, gradcheck([](Tensor& g, Tensor& c) { return lstm_cell(g, c); }, {in.gates, in.c_prev}));
  CHECK_GRADCHECK_INPUTS(1, gradcheck([](Tensor& g) { return lstm_cell(g); }, {in.gates}));
  // c_prev a constant: only the gates want a gradient.
  CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& g) { return lstm_cell(g, in.c_prev); }, {in.gates}));
}

TEST_CASE("lstm_cell: second order, gradcheck of the create_graph gradients") {
  const Inputs in = make_inputs(2, 3, f64, 24);
  const Tensor w = in.seed;
  CHECK_GRADCHECK_INPUTS(2, gradcheck([&](Tensor& g, Tensor& c) {
    const std::vector<Tensor> d = grad({sum(w * lstm_cell(g, c))}, {g, c}, {}, {.create_graph = true});
    return concat({reshape(d[0], {-1}), reshape(d[1], {-1})}, 0);
  }, {in.gates, in.c_prev}));
  CHECK_GRADCHECK_INPUTS(1, gradcheck([&](Tensor& g) {
    return grad(sum(w * lstm_cell(g)), g, {.create_graph = true});
  }, {in.gates}));
}

TEST_CASE("lstm_cell: records only when an input requires grad; empty batches and H = 0") {
  const Inputs in = make_inputs(2, 3, f32, 25);
  CHECK(lstm_cell(in.gates, in.c_prev).op_name().empty());
  const Tensor c_prev = in.c_prev.detach().requires_grad_();
  CHECK(lstm_cell(in.gates, c_prev).op_name() == "lstm_cell");
  {
    NoGrad guard;
    CHECK_FALSE(lstm_cell(in.gates, c_prev).requires_grad());
  }
  CHECK(lstm_cell(zeros({0, 8}), zeros({0, 2})).shape() == Shape{0, 4});
  const Tensor none = zeros({3, 0}).requires_grad_();
  const Tensor out = lstm_cell(none, zeros({3, 0}));
  CHECK(out.shape() == Shape{3, 0});
  sum(out).backward();
  CHECK(none.grad().shape() == Shape{3, 0});
}

TEST_CASE("lstm_cell errors name the op, the shapes and what was expected") {
  const Tensor gates = zeros({2, 8});
  CHECK_OP_ERROR(InvalidArgument, lstm_cell(Tensor(), zeros({2, 2})), "lstm_cell", "undefined");
  CHECK_OP_ERROR(DtypeError, lstm_cell(zeros({2, 8}, i64)), "lstm_cell", "int64");
  CHECK_OP_ERROR(ShapeError, lstm_cell(zeros({8})), "lstm_cell", "(N, 4H)", "(8,)");
  CHECK_OP_ERROR(ShapeError, lstm_cell(zeros({1, 2, 8})), "lstm_cell", "(N, 4H)", "(1, 2, 8)");
  CHECK_OP_ERROR(ShapeError, lstm_cell(zeros({2, 6})), "lstm_cell", "(N, 4H)", "(2, 6)");
  CHECK_OP_ERROR(ShapeError, lstm_cell(gates, zeros({2, 3})), "lstm_cell", "c_prev", "(2, 2)", "(2, 8)", "(2, 3)");
  CHECK_OP_ERROR(ShapeError, lstm_cell(gates, zeros({3, 2})), "lstm_cell", "c_prev", "(2, 2)", "(3, 2)");
  CHECK_OP_ERROR(ShapeError, lstm_cell(gates, zeros({4})), "lstm_cell", "c_prev", "(4,)");
  CHECK_OP_ERROR(DtypeError, lstm_cell(gates, zeros({2, 2}, f64)), "lstm_cell", "float32", "float64");
  CHECK_OP_ERROR(DtypeError, lstm_cell(gates, zeros({2, 2}, i64)), "lstm_cell", "int64");
}
