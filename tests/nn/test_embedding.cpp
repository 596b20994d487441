// Embedding: lookups of any index shape, the N(0, 1) initialisation, the
// padding row (zero at init, no gradient), a float64 gradcheck of the table,
// dtype conversion, and every error.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;
using tg::test::check_values;
using tg::test::thrown;

namespace {

// Row r of a (rows, dim) table holds r·10 + j: easy to read back.
void fill_rows(nn::Embedding& e) {
  std::vector<double> v;
  for (std::int64_t r = 0; r < e.num_embeddings; ++r)
    for (std::int64_t j = 0; j < e.embedding_dim; ++j) v.push_back(static_cast<double>(r * 10 + j));
  tg::test::assign(e.weight, from_vector(v, {e.num_embeddings, e.embedding_dim}, f64));
}

Tensor indices(std::initializer_list<std::int64_t> values, const Shape& shape) {
  return from_vector(std::vector<std::int64_t>(values), shape);
}

}  // namespace

TEST_CASE("Embedding looks up rows: indices (...) -> (..., dim)") {
  nn::Embedding e(5, 3);
  fill_rows(e);
  const Tensor y = e(indices({4, 0, 2, 2, 1, 4}, {2, 3}));
  CHECK(y.shape() == Shape{2, 3, 3});
  CHECK(y.dtype() == f32);
  check_values(y, {40, 41, 42, 0, 1, 2, 20, 21, 22, 20, 21, 22, 10, 11, 12, 40, 41, 42});
  // A vector of indices, a scalar index, and a rank-3 batch.
  check_values(e(indices({3, 1}, {2})), {30, 31, 32, 10, 11, 12});
  const Tensor one = e(from_vector(std::vector<std::int64_t>{2}, Shape{}));
  CHECK(one.shape() == Shape{3});
  check_values(one, {20, 21, 22});
  CHECK(e(zeros({2, 1, 4}, i64)).shape() == Shape{2, 1, 4, 3});
}

TEST_CASE("the table starts N(0, 1) from the generator given, like PyTorch") {
  Generator a(7), b(7);
  nn::Embedding e(200, 50, {.generator = &a});
  CHECK(e.weight.shape() == Shape{200, 50});
  CHECK(e.parameter_count() == 200 * 50);
  CHECK(e.named_buffers().empty());
  CHECK(e.weight.requires_grad());
  CHECK(e.weight.to_vector<float>() == randn({200, 50}, b).to_vector<float>());
  const std::vector<double> w = e.weight.to_vector<double>();
  double s = 0, s2 = 0;
  for (double v : w) s += v, s2 += v * v;
  const double mean = s / static_cast<double>(w.size());
  CHECK(std::abs(mean) < 0.05);
  CHECK(std::sqrt(s2 / static_cast<double>(w.size()) - mean * mean) == doctest::Approx(1).epsilon(0.05));
  // f64 tables, and to() converts.
  CHECK(nn::Embedding(4, 2, {.dtype = f64}).weight.dtype() == f64);
  e.to(f64);
  CHECK(e.weight.dtype() == f64);
  CHECK(e(indices({1}, {1})).dtype() == f64);
}

TEST_CASE("the gradient of a row sums the output gradients at every position that read it") {
  nn::Embedding e(4, 2, {.dtype = f64});
  const Tensor idx = indices({1, 3, 1, 1}, {2, 2});
  const Tensor g = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}, f64);
  sum(e(idx) * g).backward();
  // Row 1 is read at positions 0, 2, 3; row 3 at 1; rows 0 and 2 never.
  check_values(e.weight.grad(), {0, 0, 1 + 5 + 7, 2 + 6 + 8, 0, 0, 3, 4});
}

TEST_CASE("float64 gradcheck of the table through repeated indices and a nonlinearity") {
  Generator gen(3);
  nn::Embedding e(6, 3, {.generator = &gen});
  const Tensor idx = indices({5, 0, 2, 2, 5, 5, 1}, {7});
  const Tensor proj = randn({7, 3}, gen, f64);
  CHECK_GRADCHECK_INPUTS(1, nn::gradcheck(e, [&] { return sum(tanh(e(idx)) * proj); }));
  CHECK(e.weight.dtype() == f32);
}

TEST_CASE("padding_idx: the row starts at zero, is looked up as it is, and gets no gradient") {
  Generator gen(4);
  nn::Embedding e(5, 2, {.padding_idx = 0, .dtype = f64, .generator = &gen});
  REQUIRE(e.padding_idx);
  CHECK(*e.padding_idx == 0);
  const std::vector<double> w = e.weight.to_vector<double>();
  CHECK(w[0] == 0);
  CHECK(w[1] == 0);
  CHECK(w[2] != 0);
  const Tensor idx = indices({0, 2, 0, 2}, {4});
  const Tensor y = e(idx);
  check_values(y, {0, 0, w[4], w[5], 0, 0, w[4], w[5]});
  sum(y * 3.0).backward();
  check_values(e.weight.grad(), {0, 0, 0, 0, 6, 6, 0, 0, 0, 0});
  // Negative counts from the end; a row set by hand is what comes out.
  nn::Embedding last(5, 2, {.padding_idx = -1, .dtype = f64});
  CHECK(*last.padding_idx == 4);
  check_values(last(indices({4}, {1})), {0, 0});
  fill_rows(last);
  check_values(last(indices({4}, {1})), {40, 41});
  // Without grad mode nothing is recorded, padding or not.
  NoGrad no_grad;
  CHECK_FALSE(e(idx).requires_grad());
}

TEST_CASE("the printout names the sizes and the padding row") {
  std::ostringstream out;
  out << nn::Embedding(10, 3) << nn::Embedding(10, 3, {.padding_idx = 2});
  CHECK(out.str() == "Embedding(10, 3)\nEmbedding(10, 3, padding_idx = 2)\n");
}

TEST_CASE("errors name the layer, the index and the table size") {
  nn::Embedding e(10, 3);
  check_contains(thrown<AxisError>([&] { e(indices({1, 12, 3}, {3})); }),
                 {"Embedding(10, 3)", "index 12", "position 1", "out of range for a table of 10 embeddings"});
  check_contains(thrown<AxisError>([&] { e(indices({0, 1, 2, -1}, {2, 2})); }),
                 {"Embedding(10, 3)", "index -1", "position 3", "table of 10"});
  check_contains(thrown<AxisError>([&] { e(indices({10}, {1})); }), {"index 10", "valid: 0 to 9"});
  check_contains(thrown<DtypeError>([&] { e(zeros({2, 3})); }),
                 {"Embedding(10, 3)", "indices must be int64, got float32 of shape (2, 3)"});
  check_contains(thrown<InvalidArgument>([&] { e(Tensor()); }), {"Embedding(10, 3)", "undefined"});
  check_contains(thrown<ShapeError>([&] { e(zeros({1, 1, 1, 1, 1, 1, 1, 1}, i64)); }),
                 {"Embedding(10, 3)", "rank at most 7"});
  check_contains(thrown<InvalidArgument>([] { nn::Embedding(0, 3); }),
                 {"Embedding", "num_embeddings and embedding_dim must be positive, got 0 and 3"});
  check_contains(thrown<InvalidArgument>([] { nn::Embedding(4, -1); }), {"got 4 and -1"});
  check_contains(thrown<InvalidArgument>([] { nn::Embedding(4, 2, {.padding_idx = 4}); }),
                 {"Embedding(4, 2)", "padding_idx must be within num_embeddings", "[-4, 4)", "got 4"});
  check_contains(thrown<InvalidArgument>([] { nn::Embedding(4, 2, {.padding_idx = -5}); }), {"got -5"});
  check_contains(thrown<DtypeError>([] { nn::Embedding(4, 2, {.dtype = i64}); }), {"Embedding(4, 2)", "int64"});
}
