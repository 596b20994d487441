// Elementwise unary ops: forward values in float32 and float64 against
// hand-computed numbers, float64 gradchecks away from kinks, the documented
// subgradients at kinks, numerical stability, and the error messages.
// Binary ops, comparisons and operators are in test_binary.cpp, except the
// float32 loops shared with add, sub and mul: the last cases here run every
// loop variant the CPU has (kernels/float32_loops.hpp) on every length
// their vector tails see, against scalar references.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../../autodiff/kernels/float32_loops.hpp"
#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

using UnaryFn = std::function<Tensor(const Tensor&)>;

struct UnaryCase {
  const char* name;
  UnaryFn f;
  std::vector<double> x;
  std::vector<double> y;  // computed by hand (Python's math module)
};

const std::vector<double> kXs = {-2.0, -0.5, 0.25, 1.5, 3.0};
const std::vector<double> kPositive = {0.25, 1.0, 2.5, 9.0};

std::vector<UnaryCase> forward_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, kXs, {2.0, 0.5, -0.25, -1.5, -3.0}},
      {"exp", [](const Tensor& x) { return exp(x); }, kXs,
       {0.1353352832366127, 0.6065306597126334, 1.2840254166877414, 4.4816890703380645, 20.085536923187668}},
      {"log", [](const Tensor& x) { return log(x); }, kPositive,
       {-1.3862943611198906, 0.0, 0.9162907318741551, 2.1972245773362196}},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, kPositive, {0.5, 1.0, 1.5811388300841898, 3.0}},
      {"abs", [](const Tensor& x) { return abs(x); }, kXs, {2.0, 0.5, 0.25, 1.5, 3.0}},
      {"sin", [](const Tensor& x) { return sin(x); }, kXs,
       {-0.9092974268256817, -0.479425538604203, 0.24740395925452294, 0.9974949866040544, 0.1411200080598672}},
      {"cos", [](const Tensor& x) { return cos(x); }, kXs,
       {-0.4161468365471424, 0.8775825618903728, 0.9689124217106447, 0.0707372016677029, -0.9899924966004454}},
      {"tanh", [](const Tensor& x) { return tanh(x); }, kXs,
       {-0.9640275800758169, -0.46211715726000974, 0.24491866240370913, 0.9051482536448664, 0.9950547536867305}},
      {"erf", [](const Tensor& x) { return erf(x); }, kXs,
       {-0.9953222650189527, -0.5204998778130465, 0.2763263901682369, 0.9661051464753108, 0.9999779095030014}},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, kXs,
       {0.11920292202211755, 0.3775406687981454, 0.5621765008857981, 0.8175744761936437, 0.9525741268224334}},
      {"relu", [](const Tensor& x) { return relu(x); }, kXs, {0.0, 0.0, 0.25, 1.5, 3.0}},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, kXs, {-0.02, -0.005, 0.25, 1.5, 3.0}},
      {"leaky_relu(0.2)", [](const Tensor& x) { return leaky_relu(x, 0.2); }, kXs, {-0.4, -0.1, 0.25, 1.5, 3.0}},
      {"elu", [](const Tensor& x) { return elu(x); }, kXs, {-0.8646647167633873, -0.3934693402873666, 0.25, 1.5, 3.0}},
      {"elu(0.7)", [](const Tensor& x) { return elu(x, 0.7); }, kXs,
       {-0.6052653017343711, -0.2754285382011566, 0.25, 1.5, 3.0}},
      {"selu", [](const Tensor& x) { return selu(x); }, kXs,
       {-1.520166468595695, -0.6917581878028713, 0.2626752468388701, 1.5760514810332207, 3.1521029620664414}},
      {"softplus", [](const Tensor& x) { return softplus(x); }, kXs,
       {0.1269280110429725, 0.4740769841801067, 0.8259394198788436, 1.7014132779827524, 3.048587351573742}},
      {"softplus(beta 2)", [](const Tensor& x) { return softplus(x, 2.0); }, kXs,
       {0.009074963958904869, 0.15663084375911143, 0.48703849209005334, 1.524293675786871, 3.001237842568865}},
      {"gelu", [](const Tensor& x) { return gelu(x); }, kXs,
       {-0.04550026389635842, -0.15426876936299344, 0.14967658142073093, 1.399789198096713, 2.99595030590511}},
      {"clamp", [](const Tensor& x) { return clamp(x, -1.0, 2.0); }, kXs, {-1.0, -0.5, 0.25, 1.5, 2.0}},
      {"pow 3", [](const Tensor& x) { return pow(x, 3.0); }, kXs, {-8.0, -0.125, 0.015625, 3.375, 27.0}},
      {"pow 2", [](const Tensor& x) { return pow(x, 2.0); }, kXs, {4.0, 0.25, 0.0625, 2.25, 9.0}},
      {"pow -1", [](const Tensor& x) { return pow(x, -1.0); }, kXs, {-0.5, -2.0, 4.0, 0.6666666666666666, 0.3333333333333333}},
      {"pow 0", [](const Tensor& x) { return pow(x, 0.0); }, kXs, {1.0, 1.0, 1.0, 1.0, 1.0}},
      {"pow 1.5", [](const Tensor& x) { return pow(x, 1.5); }, kPositive, {0.125, 1.0, 3.952847075210474, 27.0}},
      {"pow -0.5", [](const Tensor& x) { return pow(x, -0.5); }, kPositive, {2.0, 1.0, 0.6324555320336759, 1.0 / 3.0}},
      {"heaviside", [](const Tensor& x) { return heaviside(x); }, {-1.5, 0.0, 2.0}, {0.0, 0.0, 1.0}},
      {"heaviside(at 0.5)", [](const Tensor& x) { return heaviside(x, 0.5); }, {-1.5, 0.0, 2.0}, {0.0, 0.5, 1.0}},
      {"sign", [](const Tensor& x) { return sign(x); }, {-1.5, 0.0, 2.0}, {-1.0, 0.0, 1.0}},
  };
}

}  // namespace

TEST_CASE("unary ops: forward values in float32 and float64") {
  for (const UnaryCase& c : forward_cases()) {
    for (Dtype dtype : {f32, f64}) {
      INFO(std::string(c.name), " in ", std::string(dtype_name(dtype)));
      const Tensor x = from_vector(c.x, {static_cast<std::int64_t>(c.x.size())}, dtype);
      const Tensor y = c.f(x);
      CHECK(y.dtype() == dtype);
      CHECK(y.shape() == x.shape());
      check_values(y, c.y);
    }
  }
}

TEST_CASE("unary ops keep the shape of a 0-d and of a 3-d tensor") {
  const Tensor s = sigmoid(scalar(0.0, f32));
  CHECK(s.shape() == Shape{});
  CHECK(s.item() == 0.5);
  const Tensor y = relu(reshape(arange(-12, 12, 1, f64), {2, 3, 4}) * 0.5);
  CHECK(y.shape() == Shape{2, 3, 4});
  std::vector<double> expected(24, 0.0);
  for (int i = 13; i < 24; ++i) expected[static_cast<std::size_t>(i)] = 0.5 * (i - 12);
  check_values(y, expected);
}

TEST_CASE("unary ops: float64 gradcheck away from kinks") {
  Generator gen(7);
  const Tensor smooth = randn({3, 4}, gen, f64);
  const Tensor positive = uniform({3, 4}, 0.2, 3.0, gen, f64);
  // Kinks at 0 (relu, abs, leaky_relu, elu, heaviside, sign) and at the clamp bounds -0.5, 1.
  const Tensor kinked = tensor({-1.7, -0.6, -0.2, 0.3, 0.8, 2.1}, {2, 3}, f64);
  const Tensor wide = tensor({-30.0, -3.0, 0.5, 4.0, 25.0, 40.0}, {2, 3}, f64);  // softplus past its threshold

  struct Case {
    const char* name;
    UnaryFn f;
    Tensor x;
  };
  const std::vector<Case> cases = {
      {"neg", [](const Tensor& x) { return neg(x); }, smooth},
      {"exp", [](const Tensor& x) { return exp(x); }, smooth},
      {"log", [](const Tensor& x) { return log(x); }, positive},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, positive},
      {"abs", [](const Tensor& x) { return abs(x); }, kinked},
      {"sin", [](const Tensor& x) { return sin(x); }, smooth},
      {"cos", [](const Tensor& x) { return cos(x); }, smooth},
      {"tanh", [](const Tensor& x) { return tanh(x); }, smooth},
      {"erf", [](const Tensor& x) { return erf(x); }, smooth},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, smooth * 3.0},
      {"relu", [](const Tensor& x) { return relu(x); }, kinked},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }, kinked},
      {"leaky_relu(0.3)", [](const Tensor& x) { return leaky_relu(x, 0.3); }, kinked},
      {"elu", [](const Tensor& x) { return elu(x); }, kinked},
      {"elu(0.7)", [](const Tensor& x) { return elu(x, 0.7); }, kinked},
      {"selu", [](const Tensor& x) { return selu(x); }, kinked},
      {"softplus", [](const Tensor& x) { return softplus(x); }, smooth * 3.0},
      {"softplus wide", [](const Tensor& x) { return softplus(x); }, wide},
      {"softplus(beta 2.5, threshold 5)", [](const Tensor& x) { return softplus(x, 2.5, 5.0); }, kinked},
      {"gelu", [](const Tensor& x) { return gelu(x); }, smooth * 2.0},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 1.0); }, kinked},
      {"pow 2", [](const Tensor& x) { return pow(x, 2.0); }, smooth},
      {"pow 3", [](const Tensor& x) { return pow(x, 3.0); }, smooth},
      {"pow 1", [](const Tensor& x) { return pow(x, 1.0); }, smooth},
      {"pow 0", [](const Tensor& x) { return pow(x, 0.0); }, smooth},
      {"pow -1", [](const Tensor& x) { return pow(x, -1.0); }, kinked},
      {"pow 1.5", [](const Tensor& x) { return pow(x, 1.5); }, positive},
      {"pow -2.5", [](const Tensor& x) { return pow(x, -2.5); }, positive},
      {"heaviside", [](const Tensor& x) { return heaviside(x, 0.5); }, kinked},
      {"sign", [](const Tensor& x) { return sign(x); }, kinked},
      {"composition", [](const Tensor& x) { return tanh(exp(sin(x)) * sigmoid(x)); }, smooth},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.name));
    CHECK_GRADCHECK(gradcheck([&](Tensor& x) { return c.f(x); }, {c.x}));
  }
}

TEST_CASE("unary ops: gradients at kinks are the documented ones") {
  const Tensor x = tensor({-1.0, 0.0, 0.5, 1.0, 2.0}, f64).requires_grad_();
  // relu and abs: 0 at x = 0.
  check_values(grad(sum(relu(x)), x), {0.0, 0.0, 1.0, 1.0, 1.0});
  check_values(grad(sum(abs(x)), x), {-1.0, 0.0, 1.0, 1.0, 1.0});
  // clamp: 1 inside [lo, hi], bounds included; 0 outside.
  check_values(grad(sum(clamp(x, 0.0, 1.0)), x), {0.0, 1.0, 1.0, 1.0, 0.0});
  // Analytic values away from the kinks, by hand.
  check_values(grad(sum(leaky_relu(x, 0.25)), x), {0.25, 0.25, 1.0, 1.0, 1.0});
  check_values(grad(sum(elu(x, 0.5)), x), {0.5 * std::exp(-1.0), 0.5, 1.0, 1.0, 1.0});
}

TEST_CASE("heaviside and sign have zero gradient") {
  const Tensor x = tensor({-1.5, -0.25, 0.75, 2.0}, f64).requires_grad_();
  // d/dx Σ x·sign(x) = sign(x) + x·0: nothing flows through sign itself.
  check_values(grad(sum(x * sign(x)), x), {-1.0, -1.0, 1.0, 1.0});
  check_values(grad(sum(x * heaviside(x)), x), {0.0, 0.0, 1.0, 1.0});
  check_values(grad(sum(sign(x) + heaviside(x) + x * 0.0), x), {0.0, 0.0, 0.0, 0.0});
}

TEST_CASE("unary ops are stable at large magnitudes") {
  for (Dtype dtype : {f32, f64}) {
    INFO(std::string(dtype_name(dtype)));
    const Tensor x = tensor({-1000.0, -50.0, 50.0, 1000.0}, dtype).requires_grad_();
    check_values(sigmoid(x), {0.0, 1.928749847963918e-22, 1.0, 1.0});
    check_values(grad(sum(sigmoid(x)), x), {0.0, 1.928749847963918e-22, 0.0, 0.0});
    check_values(tanh(x), {-1.0, -1.0, 1.0, 1.0});
    check_values(grad(sum(tanh(x)), x), {0.0, 0.0, 0.0, 0.0});
    check_values(softplus(x), {0.0, 1.9287498479639178e-22, 50.0, 1000.0});
    check_values(grad(sum(softplus(x)), x), {0.0, 1.928749847963918e-22, 1.0, 1.0});
    check_values(gelu(x), {-0.0, -0.0, 50.0, 1000.0});
    check_values(elu(x), {-1.0, -1.0, 50.0, 1000.0});
    check_values(log(tensor({0.0}, dtype)), {-kInf});
    check_values(exp(tensor({-1000.0}, dtype)), {0.0});
  }
}

TEST_CASE("unary ops: int64 input is a DtypeError naming the op and the shape") {
  const Tensor ints = from_vector(std::vector<std::int64_t>{1, 2, 3}, {3});
  CHECK_OP_ERROR(DtypeError, neg(ints), "neg", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, exp(ints), "exp", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, log(ints), "log", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, sqrt(ints), "sqrt", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, abs(ints), "abs", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, sin(ints), "sin", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, cos(ints), "cos", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, tanh(ints), "tanh", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, erf(ints), "erf", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, sigmoid(ints), "sigmoid", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, relu(ints), "relu", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, leaky_relu(ints), "leaky_relu", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, elu(ints), "elu", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, selu(ints), "selu", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, softplus(ints), "softplus", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, gelu(ints), "gelu", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, clamp(ints, 0.0, 1.0), "clamp", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, pow(ints, 2.0), "pow", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, heaviside(ints), "heaviside", "int64", "(3,)");
  CHECK_OP_ERROR(DtypeError, sign(ints), "sign", "int64", "(3,)");
}

TEST_CASE("unary ops: an undefined tensor is an InvalidArgument naming the op") {
  const Tensor undefined;
  CHECK_OP_ERROR(InvalidArgument, exp(undefined), "exp", "undefined");
  CHECK_OP_ERROR(InvalidArgument, clamp(undefined, 0.0, 1.0), "clamp", "undefined");
  CHECK_OP_ERROR(InvalidArgument, softplus(undefined), "softplus", "undefined");
}

TEST_CASE("clamp with lo > hi is an InvalidArgument naming the bounds and the shape") {
  const Tensor x = zeros({2, 3}, f64);
  CHECK_OP_ERROR(InvalidArgument, clamp(x, 2.0, 1.0), "clamp", "lo", "hi", "2", "1", "(2, 3)");
  CHECK_OP_ERROR(InvalidArgument, clamp(x, 0.0, std::nan("")), "clamp", "nan", "(2, 3)");
  check_values(clamp(tensor({-1.0, 1.0, 3.0}, f64), 1.0, 1.0), {1.0, 1.0, 1.0});  // lo == hi is fine
}

TEST_CASE("softplus with beta <= 0 is an InvalidArgument naming beta and the shape") {
  const Tensor x = zeros({4}, f32);
  CHECK_OP_ERROR(InvalidArgument, softplus(x, 0.0), "softplus", "beta", "0", "(4,)");
  CHECK_OP_ERROR(InvalidArgument, softplus(x, -1.5), "softplus", "beta", "-1.5", "(4,)");
  CHECK_OP_ERROR(InvalidArgument, softplus(x, std::nan("")), "softplus", "beta", "nan", "(4,)");
}

TEST_CASE("step functions record a zero gradient") {
  Tensor x = tensor({-0.5, 0.25}, f64).requires_grad_();
  CHECK(sign(x).requires_grad());
  CHECK(grad(sum(sign(x) + heaviside(x) + pow(x, 0.0)), x).to_vector<double>() == std::vector<double>{0.0, 0.0});
  sum(sign(x)).backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0.0, 0.0});
}

TEST_CASE("dividing by a scalar is exact, and scalar-first operators name their op") {
  const Tensor x = tensor({7.0, 1.0}, f64);
  CHECK((x / 3.0).to_vector<double>()[0] == 7.0 / 3.0);
  CHECK((1.0 / x).to_vector<double>()[0] == 1.0 / 7.0);
  const Tensor labels = from_vector(std::vector<std::int64_t>{1}, {1});
  CHECK_THROWS_WITH_AS((void)(2.0 - labels), doctest::Contains("sub"), DtypeError);
  CHECK_THROWS_WITH_AS((void)(2.0 / labels), doctest::Contains("div"), DtypeError);
}

namespace {

using kernels::ScopedSimdLevel;
using kernels::SimdLevel;

std::vector<SimdLevel> simd_levels() {
  const std::vector<SimdLevel> runnable = kernels::runnable_simd_levels();
  if (runnable.size() < 3) MESSAGE("this CPU runs only " << runnable.size() << " of the 3 loop variants");
  return runnable;
}

// Lengths around every vector width (4, 8 and 16 floats, unrolled loops, and
// their scalar tails), and one long run.
std::vector<std::int64_t> loop_lengths() {
  std::vector<std::int64_t> lengths;
  for (std::int64_t n = 0; n <= 40; ++n) lengths.push_back(n);
  lengths.push_back(1001);
  return lengths;
}

// n floats cycling through signs, zeros of both signs, NaN, ±Inf and tiny
// values, shifted by `seed` so two operands differ.
std::vector<float> awkward_floats(std::int64_t n, int seed) {
  const float pattern[] = {1.5f, -0.75f, 0.0f, -0.0f, 3.25f, -2.0f, std::numeric_limits<float>::quiet_NaN(),
                           0.5f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                           1e-40f, -7.0f, 0.999f, -0.3f, 42.0f};
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = pattern[(i * 7 + static_cast<std::size_t>(seed)) % std::size(pattern)];
  return v;
}

// The same float, NaN matching any NaN.
bool same_float(float a, float b) {
  return std::isnan(a) ? std::isnan(b) : std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

void check_same(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << " of " << got.size() << ": got " << got[i] << ", want " << want[i]);
    CHECK(same_float(got[i], want[i]));
  }
}

Tensor f32_tensor(const std::vector<float>& v) { return from_vector(v, Shape{static_cast<std::int64_t>(v.size())}); }

// The gradient x receives when y = f(x) is seeded with `seed`, through the
// fused VJP (the backward pass is not recorded).
std::vector<float> vjp(const UnaryFn& f, const std::vector<float>& x, const std::vector<float>& seed) {
  Tensor leaf = f32_tensor(x);
  leaf.requires_grad_();
  return grad({f(leaf)}, {leaf}, {f32_tensor(seed)})[0].to_vector<float>();
}

}  // namespace

TEST_CASE("float32 relu, add, sub, mul and the relu and sigmoid VJPs: every loop variant gives the scalar results bit for bit") {
  for (SimdLevel level : simd_levels()) {
    const ScopedSimdLevel scoped(level);
    for (std::int64_t n : loop_lengths()) {
      INFO(kernels::float32_loops(level).name << ", " << n << " elements");
      const std::vector<float> a = awkward_floats(n, 0);
      const std::vector<float> b = awkward_floats(n, 5);
      std::vector<float> relu_want(a.size()), add_want(a.size()), sub_want(a.size()), mul_want(a.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        relu_want[i] = a[i] <= 0 ? 0.0f : a[i];
        add_want[i] = a[i] + b[i];
        sub_want[i] = a[i] - b[i];
        mul_want[i] = a[i] * b[i];
      }
      check_same(relu(f32_tensor(a)).to_vector<float>(), relu_want);
      check_same(add(f32_tensor(a), f32_tensor(b)).to_vector<float>(), add_want);
      check_same(sub(f32_tensor(a), f32_tensor(b)).to_vector<float>(), sub_want);
      check_same(mul(f32_tensor(a), f32_tensor(b)).to_vector<float>(), mul_want);

      // relu's VJP passes the seed where y > 0 (NaN, ±Inf seeds included).
      const std::vector<float> y_relu = relu(f32_tensor(a)).to_vector<float>();
      std::vector<float> relu_vjp_want(a.size());
      for (std::size_t i = 0; i < a.size(); ++i) relu_vjp_want[i] = y_relu[i] > 0 ? b[i] : 0.0f;
      check_same(vjp([](const Tensor& x) { return relu(x); }, a, b), relu_vjp_want);

      const std::vector<float> y_sigmoid = sigmoid(f32_tensor(a)).to_vector<float>();
      std::vector<float> sigmoid_vjp_want(a.size());
      for (std::size_t i = 0; i < a.size(); ++i) sigmoid_vjp_want[i] = b[i] * (y_sigmoid[i] * (1.0f - y_sigmoid[i]));
      check_same(vjp([](const Tensor& x) { return sigmoid(x); }, a, b), sigmoid_vjp_want);
    }
  }
}

TEST_CASE("float32 tanh VJP: g·(1 − y²) on every loop variant, rounded once more with FMA") {
  for (SimdLevel level : simd_levels()) {
    const ScopedSimdLevel scoped(level);
    for (std::int64_t n : loop_lengths()) {
      INFO(kernels::float32_loops(level).name << ", " << n << " elements");
      // x near 0, where 1 − y² is ~1, and out to 9, where y rounds to 1 − a
      // few ulp and 1 − y² is all cancellation.
      std::vector<float> x(static_cast<std::size_t>(n)), seed(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = (i % 2 ? -1.0f : 1.0f) * 0.23f * static_cast<float>(i % 40);
        seed[i] = 1.0f + 0.125f * static_cast<float>(i % 5);
      }
      const std::vector<float> y = tanh(f32_tensor(x)).to_vector<float>();
      const std::vector<float> got = vjp([](const Tensor& v) { return tanh(v); }, x, seed);
      for (std::size_t i = 0; i < x.size(); ++i) {
        INFO("x = " << x[i] << ", y = " << y[i] << ", got " << got[i]);
        if (level == SimdLevel::baseline) {
          CHECK(same_float(got[i], seed[i] * (1.0f - y[i] * y[i])));
        } else {
          // fma(−y, y, 1) then ·g: two roundings of the exact value of the float y.
          const double exact = double(seed[i]) * (1.0 - double(y[i]) * double(y[i]));
          CHECK(std::abs(got[i] - exact) <= std::abs(exact) * 0x1p-23);
        }
      }
    }
  }
}

TEST_CASE("float32 loops leave broadcasting and float64 to the generic maps") {
  for (SimdLevel level : simd_levels()) {
    const ScopedSimdLevel scoped(level);
    INFO(kernels::float32_loops(level).name);
    const Tensor row = tensor({1.0, -2.0, 3.0}, f32);
    const Tensor column = tensor({10.0, 20.0}, {2, 1}, f32);
    check_values(add(row, column), {11.0, 8.0, 13.0, 21.0, 18.0, 23.0});
    check_values(mul(row, column), {10.0, -20.0, 30.0, 20.0, -40.0, 60.0});
    check_values(relu(tensor({-1.0, 2.0}, f64)), {0.0, 2.0});
    CHECK_OP_ERROR(DtypeError, add(row, tensor({1.0, 2.0, 3.0}, f64)), "add", "float32", "float64");
  }
}
