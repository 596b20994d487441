// Learning-rate schedules: each schedule's rate at given steps (the expected
// numbers worked out by hand from the formulas in schedule.hpp), composition,
// LrScheduler on every group of a real optimizer, ReduceLROnPlateau on a
// scripted metric, and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <tapegrad/optim/optimizer.hpp>
#include <tapegrad/optim/sgd.hpp>

#include "../support.hpp"

using namespace tg;
using optim::Schedule;

namespace {

struct Row {
  Schedule schedule;
  double base_lr;
  std::vector<std::pair<std::int64_t, double>> expected;  // (step, learning rate)
};

void check_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) {
    for (const auto& [step, lr] : row.expected) {
      INFO(row.schedule.name() << " at step " << step << " with base " << row.base_lr);
      CHECK(row.schedule(step, row.base_lr) == doctest::Approx(lr).epsilon(1e-12));
    }
  }
}

}  // namespace

TEST_CASE("each schedule's learning rate at given steps") {
  check_rows({
      // lr = factor · base
      {optim::constant(0.5), 0.2, {{0, 0.1}, {1, 0.1}, {1000, 0.1}}},
      // start + (1 − start) · min(t, 4) / 4 with start 0.2: 0.2, 0.4, 0.6, 0.8, 1, 1
      {optim::linear_warmup(4, 0.2), 1.0, {{0, 0.2}, {1, 0.4}, {2, 0.6}, {3, 0.8}, {4, 1.0}, {10, 1.0}}},
      // default start 1/3 over 5 steps, base 0.3: 0.1, 0.3 · (1/3 + 2/15) = 0.14, ..., 0.3
      {optim::linear_warmup(5), 0.3, {{0, 0.1}, {1, 0.14}, {5, 0.3}}},
      // start 0: the first step has rate 0
      {optim::linear_warmup(2, 0.0), 0.5, {{0, 0.0}, {1, 0.25}, {2, 0.5}}},
      // 0.8 · 0.5^floor(t / 3)
      {optim::step_decay(3, 0.5), 0.8, {{0, 0.8}, {2, 0.8}, {3, 0.4}, {5, 0.4}, {6, 0.2}, {9, 0.1}}},
      // 0.1 per milestone passed (t >= milestone)
      {optim::multi_step({2, 5}, 0.1), 1.0, {{0, 1.0}, {1, 1.0}, {2, 0.1}, {4, 0.1}, {5, 0.01}, {100, 0.01}}},
      // 2 · 0.9^t
      {optim::exponential(0.9), 2.0, {{0, 2.0}, {1, 1.8}, {2, 1.62}, {3, 1.458}}},
      // growth, as an LR range test uses it: 1e-6 · 2^10
      {optim::exponential(2.0), 1e-6, {{10, 1.024e-3}}},
      // 0.01 + 0.1 · (1 + cos(π t / 6)) / 2: cos 0 = 1, cos π/3 = 0.5, cos π/2 = 0, cos 2π/3 = −0.5,
      // cos π = −1; held at eta_min after
      {optim::cosine_annealing(6, 0.01), 0.11,
       {{0, 0.11}, {2, 0.085}, {3, 0.06}, {4, 0.035}, {6, 0.01}, {7, 0.01}, {1000, 0.01}}},
      // eta_min is an absolute rate, the same for every base
      {optim::cosine_annealing(6, 0.01), 1.01, {{0, 1.01}, {3, 0.51}, {6, 0.01}}},
      // LambdaLR: base · 1 / (t + 1)
      {optim::lambda_schedule([](std::int64_t t) { return 1.0 / static_cast<double>(t + 1); }), 0.6,
       {{0, 0.6}, {2, 0.2}, {5, 0.1}}},
  });
}

TEST_CASE("warmup then cosine, explicit steps and sequential") {
  // Warmup over 4 steps from 0.25 · 0.2 = 0.05, then cosine over 6 steps from 0.2 to 0:
  // warmup factors 0.25, 0.4375, 0.625, 0.8125; cosine 0.2 · (1 + cos(π k / 6)) / 2 at k = t − 4.
  const Schedule warm_cos = optim::linear_warmup(4, 0.25).then(optim::cosine_annealing(6));
  CHECK(warm_cos.length() == 10);
  CHECK(warm_cos.name() ==
        "linear_warmup(warmup_steps=4, start_factor=0.25) then cosine_annealing(total_steps=6, eta_min=0)");
  check_rows({
      {warm_cos, 0.2,
       {{0, 0.05}, {1, 0.0875}, {2, 0.125}, {3, 0.1625}, {4, 0.2}, {6, 0.15}, {7, 0.1}, {8, 0.05}, {10, 0.0},
        {20, 0.0}}},
      // a schedule without a length of its own runs for the steps given
      {optim::constant(1.0).then(3, optim::constant(0.5)), 1.0, {{0, 1.0}, {2, 1.0}, {3, 0.5}, {50, 0.5}}},
      // 0.1 until step 3, then step decay from its own step 0 until step 7, then 0.5^(t − 7)
      {optim::sequential({optim::constant(0.1), optim::step_decay(2, 0.5), optim::exponential(0.5)}, {3, 7}), 1.0,
       {{0, 0.1}, {2, 0.1}, {3, 1.0}, {4, 1.0}, {5, 0.5}, {6, 0.5}, {7, 1.0}, {8, 0.5}, {9, 0.25}}},
      // one schedule, no milestones: itself
      {optim::sequential({optim::exponential(0.5)}, {}), 4.0, {{0, 4.0}, {2, 1.0}}},
  });
  CHECK(optim::linear_warmup(3).then(optim::exponential(0.5)).length() == std::nullopt);
  CHECK(optim::linear_warmup(3).factor(3) == 1.0);
}

TEST_CASE("schedule errors name the schedule and the argument") {
  CHECK_ERROR(InvalidArgument, optim::linear_warmup(0), "linear_warmup: warmup_steps must be positive, got 0");
  CHECK_ERROR(InvalidArgument, optim::linear_warmup(10, 1.5), "linear_warmup: start_factor must be in [0, 1], got 1.5");
  CHECK_ERROR(InvalidArgument, optim::step_decay(0), "step_decay: step_size must be positive, got 0");
  CHECK_ERROR(InvalidArgument, optim::step_decay(5, 0.0), "step_decay: gamma must be positive and finite, got 0");
  CHECK_ERROR(InvalidArgument, optim::multi_step({5, 3}), "multi_step: milestones must be positive and strictly increasing, got [5, 3]");
  CHECK_ERROR(InvalidArgument, optim::multi_step({0, 3}), "multi_step: milestones", "got [0, 3]");
  CHECK_ERROR(InvalidArgument, optim::multi_step({2}, -0.1), "multi_step: gamma must be positive and finite, got -0.1");
  CHECK_ERROR(InvalidArgument, optim::exponential(-1), "exponential: gamma must be positive and finite, got -1");
  CHECK_ERROR(InvalidArgument, optim::exponential(std::numeric_limits<double>::infinity()), "exponential: gamma", "got inf");
  CHECK_ERROR(InvalidArgument, optim::cosine_annealing(0), "cosine_annealing: total_steps must be positive, got 0");
  CHECK_ERROR(InvalidArgument, optim::cosine_annealing(10, -0.1), "cosine_annealing: eta_min must be finite and >= 0, got -0.1");
  CHECK_ERROR(InvalidArgument, optim::constant(-2), "constant: factor must be finite and >= 0, got -2");
  CHECK_ERROR(InvalidArgument, optim::sequential({}, {}), "sequential: needs at least one schedule");
  CHECK_ERROR(InvalidArgument, optim::sequential({optim::constant(), optim::constant()}, {}), "sequential: needs one milestone fewer than schedules (1 for 2), got 0");
  CHECK_ERROR(InvalidArgument, optim::sequential({optim::constant(), optim::constant(), optim::constant()}, {4, 4}), "sequential: milestones must be positive and strictly increasing, got [4, 4]");
  CHECK_ERROR(InvalidArgument, optim::exponential(0.9).then(optim::constant()), "then: 'exponential(gamma=0.9)' has no length of its own", "a.then(steps, b)");
  CHECK_ERROR(InvalidArgument, optim::constant().then(0, optim::constant()), "then: steps must be positive, got 0");
  CHECK_ERROR(InvalidArgument, optim::step_decay(2)(-1, 0.1), "step_decay(step_size=2, gamma=0.1): the step must be >= 0, got -1");
  const Schedule broken = optim::lambda_schedule([](std::int64_t t) { return t < 3 ? 1.0 : std::nan(""); }, "my_decay");
  CHECK(broken(2, 0.1) == 0.1);
  CHECK_ERROR(InvalidArgument, broken(3, 0.1), "my_decay: the rate at step 3 (base rate 0.1) is nan", "finite and >= 0");
  CHECK_ERROR(InvalidArgument, optim::lambda_schedule(nullptr), "lambda_schedule: the factor function is empty");
  CHECK_ERROR(InvalidArgument, Schedule("mine", nullptr), "Schedule 'mine': the rate function is empty");
  CHECK_ERROR(InvalidArgument, Schedule("mine", [](std::int64_t, double b) { return b; }, 0), "Schedule 'mine': length must be positive, got 0");
}

namespace {

// An optimizer whose step changes nothing: groups with given learning rates,
// for the schedulers, which only read and set rates.
struct RatesOnly : optim::Optimizer {
  std::vector<Tensor> keep;
  explicit RatesOnly(const std::vector<double>& lrs) : Optimizer("RatesOnly") {
    for (double lr : lrs) {
      keep.push_back(zeros({1}).requires_grad_());
      add_group({keep.back()}, lr, {});
    }
  }
  void step() override { count_step(); }
};

void check_lrs(const optim::Optimizer& opt, const std::vector<double>& expected) {
  REQUIRE(opt.group_count() == expected.size());
  for (std::size_t g = 0; g < expected.size(); ++g) {
    INFO("group " << g);
    CHECK(opt.lr(g) == doctest::Approx(expected[g]).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("LrScheduler sets every group of an SGD from its own base rate, step by step") {
  nn::Linear body(2, 2), head(2, 1);
  optim::SGD sgd({{.params = body.parameters(), .lr = 0.2}, {.params = head.parameters()}}, {.lr = 0.04});
  // Warmup over 2 steps from half the base, then cosine over 4 steps down to 0.01.
  optim::LrScheduler scheduler(sgd, optim::linear_warmup(2, 0.5).then(optim::cosine_annealing(4, 0.01)));
  CHECK(scheduler.base_lrs() == std::vector<double>{0.2, 0.04});
  // step t: warmup 0.5, 0.75; cosine 0.01 + (base − 0.01)(1 + cos(π k / 4)) / 2 at k = t − 2,
  // (1 + cos(π k / 4)) / 2 = 1, (2 + √2) / 4, 1/2, (2 − √2) / 4, 0.
  const double hi = (2 + std::sqrt(2.0)) / 4, lo = (2 - std::sqrt(2.0)) / 4;
  const std::vector<std::vector<double>> expected{
      {0.1, 0.02},
      {0.15, 0.03},
      {0.2, 0.04},
      {0.01 + 0.19 * hi, 0.01 + 0.03 * hi},
      {0.105, 0.025},
      {0.01 + 0.19 * lo, 0.01 + 0.03 * lo},
      {0.01, 0.01},
      {0.01, 0.01},
  };
  for (std::size_t t = 0; t < expected.size(); ++t) {
    INFO("step " << t);
    CHECK(scheduler.step_count() == static_cast<std::int64_t>(t));
    check_lrs(sgd, expected[t]);
    CHECK(scheduler.lr(0) == sgd.lr(0));
    CHECK(scheduler.lrs() == std::vector<double>{sgd.lr(0), sgd.lr(1)});
    // The optimizer's step uses the scheduled rate: θ ← θ − lr · g with g = 1.
    const double before = head.bias.item();
    head.bias.set_grad(ones({1}));
    sgd.step();
    CHECK(head.bias.item() == doctest::Approx(before - expected[t][1]).epsilon(1e-6));
    scheduler.step();
  }
  // Resuming at a given step.
  scheduler.set_step_count(2);
  check_lrs(sgd, {0.2, 0.04});
  // A group added later starts from its rate at that moment.
  nn::Linear extra(1, 1);
  sgd.add_param_group({.params = extra.parameters(), .lr = 0.4});
  scheduler.step();  // step 3
  CHECK(scheduler.base_lrs() == std::vector<double>{0.2, 0.04, 0.4});
  check_lrs(sgd, {0.01 + 0.19 * hi, 0.01 + 0.03 * hi, 0.01 + 0.39 * hi});
}

TEST_CASE("LrScheduler per epoch: step decay over epochs of several batches") {
  nn::Linear model(2, 1);
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  optim::LrScheduler scheduler(sgd, optim::step_decay(2, 0.1));
  std::vector<double> seen;  // the rate each batch trained with
  for (int epoch = 0; epoch < 5; ++epoch) {
    for (int batch = 0; batch < 3; ++batch) seen.push_back(sgd.lr());
    scheduler.step();  // after each epoch
  }
  const std::vector<double> expected{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01,
                                     0.01, 0.01, 0.01, 0.001, 0.001, 0.001};
  REQUIRE(seen.size() == expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == doctest::Approx(expected[i]).epsilon(1e-12));
}

TEST_CASE("ReduceLROnPlateau on a scripted metric: patience, cooldown, min_lr") {
  RatesOnly opt({0.1, 0.04});
  optim::ReduceLROnPlateau plateau(opt, {.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.02});
  struct Epoch {
    double metric;
    bool lowered;
    std::vector<double> lrs;
    std::int64_t bad_epochs;
  };
  const std::vector<Epoch> script{
      {1.0, false, {0.1, 0.04}, 0},   // 1: best 1.0
      {0.9, false, {0.1, 0.04}, 0},   // 2: best 0.9
      {0.95, false, {0.1, 0.04}, 1},  // 3
      {0.95, false, {0.1, 0.04}, 2},  // 4: patience 2 reached, not exceeded
      {0.95, true, {0.05, 0.02}, 0},  // 5: third bad epoch: halve, group 1 down to min_lr; cooldown 1
      {0.95, false, {0.05, 0.02}, 0}, // 6: in cooldown, not counted
      {0.95, false, {0.05, 0.02}, 1}, // 7
      {0.95, false, {0.05, 0.02}, 2}, // 8
      {0.95, true, {0.025, 0.02}, 0}, // 9: group 1 stays at min_lr
      {0.5, false, {0.025, 0.02}, 0}, // 10: improves (cooldown ends)
      // 0.49996 is within the relative threshold: 0.5 · (1 − 1e-4) = 0.49995 is the bar
      {0.49996, false, {0.025, 0.02}, 1},  // 11
      {0.5, false, {0.025, 0.02}, 2},      // 12
      {0.5, true, {0.02, 0.02}, 0},        // 13: 0.0125 clamped to min_lr
      {0.5, false, {0.02, 0.02}, 0},       // 14: cooldown
      {0.5, false, {0.02, 0.02}, 1},       // 15
      {0.5, false, {0.02, 0.02}, 2},       // 16
      {0.5, false, {0.02, 0.02}, 0},       // 17: time to reduce, but both rates are at min_lr
  };
  for (std::size_t e = 0; e < script.size(); ++e) {
    INFO("epoch " << e + 1 << ", metric " << script[e].metric);
    CHECK(plateau.step(script[e].metric) == script[e].lowered);
    check_lrs(opt, script[e].lrs);
    CHECK(plateau.bad_epochs() == script[e].bad_epochs);
  }
  CHECK(plateau.best() == 0.5);
  CHECK(plateau.step_count() == 17);
  CHECK(plateau.reduction_count() == 3);
  CHECK(plateau.lr(1) == 0.02);
}

TEST_CASE("ReduceLROnPlateau in max mode with an absolute threshold; a NaN is a bad epoch") {
  RatesOnly opt({1.0});
  optim::ReduceLROnPlateau plateau(
      opt, {.mode = optim::MetricMode::max, .patience = 0, .threshold = 0.01, .threshold_mode = optim::ThresholdMode::abs});
  CHECK(plateau.best() == -std::numeric_limits<double>::infinity());
  CHECK_FALSE(plateau.step(0.80));
  CHECK_FALSE(plateau.step(0.82));  // > 0.80 + 0.01
  CHECK(plateau.step(0.825));       // not > 0.83: patience 0 reduces at once
  check_lrs(opt, {0.1});
  CHECK(plateau.step(std::nan("")));
  check_lrs(opt, {0.01});
  CHECK(plateau.best() == 0.82);
}

TEST_CASE("scheduler errors") {
  RatesOnly opt({0.1});
  CHECK_ERROR(InvalidArgument, optim::ReduceLROnPlateau(opt, {.factor = 1.0}), "ReduceLROnPlateau: factor must be in (0, 1), got 1");
  CHECK_ERROR(InvalidArgument, optim::ReduceLROnPlateau(opt, {.patience = -1}), "ReduceLROnPlateau: patience must be >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::ReduceLROnPlateau(opt, {.threshold = -1e-4}), "ReduceLROnPlateau: threshold must be finite and >= 0, got -0.0001");
  CHECK_ERROR(InvalidArgument, optim::ReduceLROnPlateau(opt, {.cooldown = -2}), "ReduceLROnPlateau: cooldown must be >= 0, got -2");
  CHECK_ERROR(InvalidArgument, optim::ReduceLROnPlateau(opt, {.min_lr = -1}), "ReduceLROnPlateau: min_lr must be finite and >= 0, got -1");

  optim::LrScheduler scheduler(opt, optim::exponential(0.5));
  CHECK_ERROR(InvalidArgument, scheduler.set_step_count(-3), "LrScheduler::set_step_count: the step must be >= 0, got -3");
  CHECK_ERROR(InvalidArgument, scheduler.lr(1), "LrScheduler::lr: no group 1; the optimizer has 1");
  // A schedule that fails at some step changes neither the rates nor the count.
  optim::LrScheduler failing(opt, optim::lambda_schedule([](std::int64_t t) { return t < 1 ? 1.0 : -1.0; }, "bad_lambda"));
  CHECK_ERROR(InvalidArgument, failing.step(), "bad_lambda: the rate at step 1 (base rate 0.1) is -0.1");
  CHECK(failing.step_count() == 0);
  check_lrs(opt, {0.1});
}
