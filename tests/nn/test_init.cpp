// Initializers: fans of Linear and conv weights, the sample variance (and the
// bounds of the uniform schemes) of each scheme and fan mode against its
// formula, by_name, reproducibility from a seed, and in-place writes seen by
// every handle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <tapegrad/tapegrad.hpp>
#include <vector>

#include "../support.hpp"

using namespace tg;
namespace init = tg::nn::init;
using init::FanMode;
using tg::test::check_values;

namespace {

struct Stats {
  double mean = 0, variance = 0, min = 0, max = 0;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.variance += (x - s.mean) * (x - s.mean);
  s.variance /= static_cast<double>(v.size() - 1);
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

struct Scheme {
  const char* name;
  std::function<void(Tensor&, Generator&)> apply;
  std::function<double(const init::Fans&)> variance;  // the formula
  bool uniform;                                       // U(−r, r) with r = sqrt(3·variance)
};

// |got − expected| / |expected|. (doctest's Approx adds 1 to the scale of
// its tolerance, which for variances of order 1e-3 would accept anything.)
double relative_error(double got, double expected) { return std::abs(got - expected) / std::abs(expected); }

// The sample variance within 3% of the formula's: at least 51,200 draws
// put the standard error of the estimate below 0.7%.
#define CHECK_VARIANCE(got, expected)                            \
  do {                                                           \
    const double tg_got_ = (got), tg_expected_ = (expected);     \
    INFO("variance " << tg_got_ << ", expected " << tg_expected_); \
    CHECK(relative_error(tg_got_, tg_expected_) < 0.03);         \
  } while (false)

double avg(const init::Fans& f) { return (f.in + f.out) / 2; }

const std::vector<Scheme> kSchemes = {
    {"glorot_normal", [](Tensor& t, Generator& g) { init::glorot_normal_(t, g); }, [](const init::Fans& f) { return 2 / (f.in + f.out); }, false},
    {"glorot_uniform", [](Tensor& t, Generator& g) { init::glorot_uniform_(t, g); }, [](const init::Fans& f) { return 1 / avg(f); }, true},
    {"he_normal (fan_in)", [](Tensor& t, Generator& g) { init::he_normal_(t, g); }, [](const init::Fans& f) { return 2 / f.in; }, false},
    {"he_normal (fan_out)", [](Tensor& t, Generator& g) { init::he_normal_(t, g, FanMode::out); }, [](const init::Fans& f) { return 2 / f.out; }, false},
    {"he_normal (fan_avg)", [](Tensor& t, Generator& g) { init::he_normal_(t, g, FanMode::avg); }, [](const init::Fans& f) { return 2 / avg(f); }, false},
    {"he_uniform (fan_in)", [](Tensor& t, Generator& g) { init::he_uniform_(t, g); }, [](const init::Fans& f) { return 2 / f.in; }, true},
    {"he_uniform (fan_out)", [](Tensor& t, Generator& g) { init::he_uniform_(t, g, FanMode::out); }, [](const init::Fans& f) { return 2 / f.out; }, true},
    {"he_uniform (fan_avg)", [](Tensor& t, Generator& g) { init::he_uniform_(t, g, FanMode::avg); }, [](const init::Fans& f) { return 2 / avg(f); }, true},
    {"lecun_normal", [](Tensor& t, Generator& g) { init::lecun_normal_(t, g); }, [](const init::Fans& f) { return 1 / f.in; }, false},
    {"lecun_uniform", [](Tensor& t, Generator& g) { init::lecun_uniform_(t, g); }, [](const init::Fans& f) { return 1 / f.in; }, true},
};

// Fans that differ, so every fan mode gives its own variance: a Linear
// weight (out, in) and a conv weight (O, C, kh, kw).
const std::vector<Shape> kWeightShapes = {{256, 1024}, {64, 32, 5, 5}};

}  // namespace

TEST_CASE("fans: (out, in) for Linear; the receptive field counted for conv weights") {
  const init::Fans linear = init::fans({256, 784});
  CHECK(linear.in == 784);
  CHECK(linear.out == 256);
  const init::Fans conv2d = init::fans({64, 3, 5, 5});
  CHECK(conv2d.in == 3 * 25);
  CHECK(conv2d.out == 64 * 25);
  const init::Fans conv1d = init::fans({16, 8, 3});
  CHECK(conv1d.in == 24);
  CHECK(conv1d.out == 48);
  CHECK_OP_ERROR(ShapeError, init::fans({10}), "fans: fan_in and fan_out need a weight of rank >= 2", "got (10,)", "zeros_ or constant_");
  CHECK_OP_ERROR(ShapeError, init::fans({}), "got ()");
}

TEST_CASE("each scheme and fan mode: sample mean 0, sample variance as its formula within 3%, uniform bounds ±r") {
  Generator gen(2024);
  for (const Shape& shape : kWeightShapes) {
    const init::Fans f = init::fans(shape);
    for (const Scheme& scheme : kSchemes) {
      INFO(scheme.name << " on " << shape.str());
      Tensor w = zeros(shape);
      scheme.apply(w, gen);
      const Stats s = stats_of(w);
      const double variance = scheme.variance(f);
      CHECK_VARIANCE(s.variance, variance);
      CHECK(std::abs(s.mean) < 0.02 * std::sqrt(variance));
      if (scheme.uniform) {
        const double r = std::sqrt(3 * variance);
        CHECK(s.min >= -r);
        CHECK(s.max < r);
        CHECK(s.min < -0.99 * r);  // the whole interval is used
        CHECK(s.max > 0.99 * r);
      } else {
        CHECK(s.max > 3 * std::sqrt(variance));  // tails, not a uniform of the same variance
      }
    }
  }
}

TEST_CASE("the fan modes give different variances: fan_in 2/1024, fan_out 2/256, fan_avg 2/640") {
  Generator gen(5);
  Tensor w = zeros({256, 1024});
  init::he_normal_(w, gen, FanMode::in);
  CHECK_VARIANCE(stats_of(w).variance, 2.0 / 1024);
  init::he_normal_(w, gen, FanMode::out);
  CHECK_VARIANCE(stats_of(w).variance, 2.0 / 256);
  init::he_uniform_(w, gen, FanMode::avg);
  CHECK_VARIANCE(stats_of(w).variance, 2.0 / 640);
  CHECK(stats_of(w).max < std::sqrt(6.0 / 640));
}

TEST_CASE("float64 weights get the same distribution") {
  Generator gen(8);
  Tensor w = zeros({128, 512}, f64);
  init::glorot_uniform_(w, gen);
  CHECK(w.dtype() == f64);
  const Stats s = stats_of(w);
  const double r = std::sqrt(6.0 / (128 + 512));
  CHECK_VARIANCE(s.variance, r * r / 3);
  CHECK(s.min >= -r);
  CHECK(s.max < r);
  init::lecun_normal_(w, gen);
  CHECK_VARIANCE(stats_of(w).variance, 1.0 / 512);
}

TEST_CASE("uniform_, normal_, constant_ and zeros_ write the values asked for") {
  Generator gen(9);
  Tensor t = zeros({200, 100});
  init::uniform_(t, -0.5, 2.0, gen);
  Stats s = stats_of(t);
  CHECK(s.min >= -0.5);
  CHECK(s.max < 2.0);
  CHECK(std::abs(s.mean - 0.75) < 0.01);
  CHECK_VARIANCE(s.variance, 2.5 * 2.5 / 12);
  init::normal_(t, 3.0, 0.25, gen);
  s = stats_of(t);
  CHECK(std::abs(s.mean - 3.0) < 0.005);
  CHECK_VARIANCE(s.variance, 0.0625);
  for (Dtype dtype : {f32, f64}) {
    Tensor c = ones({2, 3}, dtype);
    init::constant_(c, -1.25);
    check_values(c, {-1.25, -1.25, -1.25, -1.25, -1.25, -1.25});
    init::zeros_(c);
    check_values(c, {0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("the same seed gives the same values; the draws are those of tg::uniform and tg::normal") {
  for (const Scheme& scheme : kSchemes) {
    INFO(scheme.name);
    Generator a(42), b(42), c(43);
    Tensor x = zeros({16, 8}), y = zeros({16, 8}), z = zeros({16, 8});
    scheme.apply(x, a);
    scheme.apply(y, b);
    scheme.apply(z, c);
    CHECK(x.to_vector<float>() == y.to_vector<float>());
    CHECK(x.to_vector<float>() != z.to_vector<float>());
  }
  Generator a(1), b(1);
  Tensor u = zeros({5, 7}, f64);
  init::uniform_(u, -2, 3, a);
  CHECK(u.to_vector<double>() == uniform({5, 7}, -2, 3, b, f64).to_vector<double>());
  Tensor n = zeros({5, 7});
  init::glorot_normal_(n, a);  // σ = sqrt(2 / (7 + 5))
  CHECK(n.to_vector<float>() == normal({5, 7}, 0, std::sqrt(2.0 / 12), b).to_vector<float>());
}

TEST_CASE("the aliases xavier_* and kaiming_* draw what glorot_* and he_* draw") {
  const auto same = [](const std::function<void(Tensor&, Generator&)>& f, const std::function<void(Tensor&, Generator&)>& g) {
    Generator a(3), b(3);
    Tensor x = zeros({6, 4}), y = zeros({6, 4});
    f(x, a);
    g(y, b);
    return x.to_vector<float>() == y.to_vector<float>();
  };
  CHECK(same([](Tensor& t, Generator& g) { init::xavier_normal_(t, g); }, [](Tensor& t, Generator& g) { init::glorot_normal_(t, g); }));
  CHECK(same([](Tensor& t, Generator& g) { init::xavier_uniform_(t, g); }, [](Tensor& t, Generator& g) { init::glorot_uniform_(t, g); }));
  CHECK(same([](Tensor& t, Generator& g) { init::kaiming_normal_(t, g, FanMode::out); }, [](Tensor& t, Generator& g) { init::he_normal_(t, g, FanMode::out); }));
  CHECK(same([](Tensor& t, Generator& g) { init::kaiming_uniform_(t, g); }, [](Tensor& t, Generator& g) { init::he_uniform_(t, g); }));
  // And the fan mode matters: fan_in and fan_out differ for a (6, 4) weight.
  CHECK_FALSE(same([](Tensor& t, Generator& g) { init::he_normal_(t, g, FanMode::in); }, [](Tensor& t, Generator& g) { init::he_normal_(t, g, FanMode::out); }));
}

TEST_CASE("in place: every handle to the tensor sees the new values, nothing is recorded") {
  Generator gen(4);
  Tensor weight = zeros({3, 4});
  weight.requires_grad_();
  const Tensor handle = weight;  // e.g. what an optimizer holds
  const std::int64_t records = tape_stats().records_created;
  const Tensor returned = init::he_uniform_(weight, gen);
  CHECK(returned.impl() == weight.impl());
  CHECK(handle.impl() == weight.impl());
  const std::vector<float> values = handle.to_vector<float>();
  CHECK(std::any_of(values.begin(), values.end(), [](float v) { return v != 0; }));
  CHECK(values == weight.to_vector<float>());
  CHECK(weight.is_leaf());
  CHECK(weight.requires_grad());
  CHECK(tape_stats().records_created == records);
  // Through a copy of the handle, too (what a module's parameter list hands out).
  Tensor copy = handle;
  init::constant_(copy, 0.5);
  check_values(weight, std::vector<double>(12, 0.5));
}

TEST_CASE("a recorded op that saved the tensor refuses to backward after it is re-initialised") {
  Tensor w = ones({2, 2}, f64);
  w.requires_grad_();
  const Tensor y = sum(w * w);
  init::constant_(w, 2.0);
  tg::test::check_contains(tg::test::thrown<std::runtime_error>([&] { y.backward(); }), {"modified in place"});
}

TEST_CASE("by_name: every known name resolves and fills a weight; aliases and fan variants match the functions") {
  const std::vector<std::string> names = init::names();
  for (const char* required : {"zeros", "ones", "glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal", "he_normal", "he_uniform", "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "he_normal_fan_out", "kaiming_uniform_fan_avg"}) {
    INFO(required);
    CHECK(std::find(names.begin(), names.end(), required) != names.end());
  }
  for (const std::string& name : names) {
    INFO(name);
    Generator gen(1);
    Tensor t = full({6, 4}, 7.0, f64);
    init::by_name(name)(t, gen);
    const std::vector<double> v = t.to_vector<double>();
    CHECK(std::none_of(v.begin(), v.end(), [](double x) { return x == 7.0; }));
  }
  Generator gen(1);
  Tensor t = zeros({6, 4});
  init::by_name("ones")(t, gen);
  check_values(t, std::vector<double>(24, 1.0));
  const auto matches = [](const char* name, const std::function<void(Tensor&, Generator&)>& direct) {
    Generator a(6), b(6);
    Tensor x = zeros({6, 4}), y = zeros({6, 4});
    init::by_name(name)(x, a);
    direct(y, b);
    return x.to_vector<float>() == y.to_vector<float>();
  };
  CHECK(matches("he_normal", [](Tensor& w, Generator& g) { init::he_normal_(w, g); }));
  CHECK(matches("he_normal_fan_out", [](Tensor& w, Generator& g) { init::he_normal_(w, g, FanMode::out); }));
  CHECK(matches("kaiming_uniform_fan_avg", [](Tensor& w, Generator& g) { init::he_uniform_(w, g, FanMode::avg); }));
  CHECK(matches("xavier_uniform", [](Tensor& w, Generator& g) { init::glorot_uniform_(w, g); }));
  CHECK(matches("lecun_normal", [](Tensor& w, Generator& g) { init::lecun_normal_(w, g); }));
  CHECK_FALSE(matches("he_normal", [](Tensor& w, Generator& g) { init::he_normal_(w, g, FanMode::out); }));
}

TEST_CASE("by_name: an unknown name lists the known ones; errors of the result name by_name's line") {
  CHECK_OP_ERROR(InvalidArgument, init::by_name("glorot"), "unknown initializer 'glorot'; known: zeros, ones, glorot_uniform, glorot_normal", "lecun_uniform");
  Generator gen(1);
  Tensor bias = zeros({8});
  CHECK_OP_ERROR(ShapeError, init::by_name("he_normal")(bias, gen), "he_normal_: fan_in and fan_out need a weight of rank >= 2", "got (8,)");
}

TEST_CASE("initializer errors: dtype, undefined tensor, rank, bad bounds; empty weights are a no-op") {
  Generator gen(1);
  CHECK_OP_ERROR(DtypeError, init::he_normal_(zeros({3, 4}, i64), gen), "he_normal_: expected a float32 or float64 tensor, got int64 (3, 4)");
  CHECK_OP_ERROR(DtypeError, init::zeros_(zeros({3}, i64)), "zeros_: expected a float32 or float64 tensor, got int64");
  CHECK_OP_ERROR(InvalidArgument, init::constant_(Tensor(), 1.0), "constant_: the tensor is undefined");
  CHECK_OP_ERROR(ShapeError, init::glorot_uniform_(zeros({5}), gen), "glorot_uniform_: fan_in and fan_out need a weight of rank >= 2", "got (5,)");
  CHECK_OP_ERROR(ShapeError, init::lecun_normal_(scalar(1.0), gen), "lecun_normal_", "got ()");
  CHECK_OP_ERROR(InvalidArgument, init::uniform_(zeros({2}), 1.0, -1.0, gen), "uniform_: expected finite lo <= hi, got lo = 1, hi = -1 (tensor (2,))");
  CHECK_OP_ERROR(InvalidArgument, init::uniform_(zeros({2}), 0.0, INFINITY, gen), "hi = inf");
  CHECK_OP_ERROR(InvalidArgument, init::normal_(zeros({2}), 0.0, -1.0, gen), "normal_: expected a finite mean and a finite std >= 0, got mean = 0, std = -1");
  CHECK_OP_ERROR(InvalidArgument, init::he_normal_(zeros({2, 2}), gen, static_cast<FanMode>(9)), "he_normal_: unknown FanMode 9");
  Tensor empty = zeros({0, 5});
  CHECK_NOTHROW(init::he_normal_(empty, gen));
  CHECK(empty.shape() == Shape{0, 5});
}
