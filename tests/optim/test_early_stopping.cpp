// EarlyStopping: the patience count on scripted metrics, min_delta, max
// mode, restoring the best weights (parameters and buffers) into the model,
// and the errors.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// A module with a buffer beside its parameter, as BatchNorm has.
struct Counted : nn::Module {
  Tensor scale, seen;
  Counted() : Module("Counted") {
    scale = register_parameter("scale", ones({2}));
    seen = register_buffer("seen", zeros({1}));
  }
  Tensor forward(const Tensor& x) override { return x * scale; }
};

// The values "training" leaves in the layer at `epoch`: distinct per epoch.
void set_epoch_weights(nn::Linear& layer, int epoch) {
  tg::test::assign(layer.weight, full(layer.weight.shape(), 10.0 + epoch));
  tg::test::assign(layer.bias, full(layer.bias.shape(), -epoch));
}

}  // namespace

TEST_CASE("EarlyStopping stops after exactly `patience` epochs without improvement and restores the best weights") {
  nn::Linear model(3, 2);
  const Tensor weight_handle = model.weight;  // a handle taken before: restoring is in place
  optim::EarlyStopping stopper(model, {.monitor = "val_loss", .patience = 3, .min_delta = 0.01});
  CHECK(stopper.best_epoch() == -1);
  CHECK(stopper.best() == std::numeric_limits<double>::infinity());
  CHECK_FALSE(stopper.has_snapshot());

  // epoch:             0    1    2      3    4     5     6
  const std::vector<double> val_loss{1.0, 0.8, 0.795, 0.7, 0.75, 0.71, 0.695};
  // 0.795 and 0.695 improve on the best by less than min_delta: not improvements.
  const std::vector<std::int64_t> waits{0, 0, 1, 0, 1, 2, 3};
  for (int epoch = 0; epoch < 7; ++epoch) {
    INFO("epoch " << epoch);
    set_epoch_weights(model, epoch);
    const bool stop = stopper.update(val_loss[static_cast<std::size_t>(epoch)]);
    CHECK(stopper.epochs_without_improvement() == waits[static_cast<std::size_t>(epoch)]);
    CHECK(stop == (epoch == 6));
  }
  CHECK(stopper.stopped());
  CHECK(stopper.best() == 0.7);
  CHECK(stopper.best_epoch() == 3);
  CHECK(stopper.epoch_count() == 7);
  CHECK(stopper.summary() == "val_loss: best 0.7 at epoch 3, 3 epochs without improvement (patience 3), stopped");
  // The stopping update put epoch 3's weights back, through every handle.
  check_values(model.weight, std::vector<double>(6, 13.0));
  check_values(model.bias, {-3.0, -3.0});
  check_values(weight_handle, std::vector<double>(6, 13.0));

  // restore() into another layer of the same shape, and again after more training.
  nn::Linear other(3, 2);
  stopper.restore(other);
  check_values(other.weight, std::vector<double>(6, 13.0));
  check_values(other.bias, {-3.0, -3.0});
  set_epoch_weights(model, 9);
  stopper.restore();
  check_values(model.weight, std::vector<double>(6, 13.0));
}

TEST_CASE("EarlyStopping: patience 0, max mode, NaN, and a loop that runs out") {
  // max mode (accuracy), patience 0: the first epoch that does not improve stops.
  optim::EarlyStopping accuracy({.monitor = "val_accuracy", .mode = optim::MetricMode::max, .patience = 0});
  CHECK(accuracy.best() == -std::numeric_limits<double>::infinity());
  CHECK_FALSE(accuracy.update(0.5));
  CHECK_FALSE(accuracy.update(0.6));
  CHECK(accuracy.update(0.6));
  CHECK(accuracy.best() == 0.6);
  CHECK(accuracy.best_epoch() == 1);
  CHECK(accuracy.summary() == "val_accuracy: best 0.6 at epoch 1, 1 epoch without improvement (patience 0), stopped");

  // A NaN never improves; a later finite metric does.
  optim::EarlyStopping nan_loss({.patience = 2});
  CHECK(nan_loss.summary() == "val_loss: no epoch yet (patience 2)");
  CHECK_FALSE(nan_loss.update(std::nan("")));
  CHECK(nan_loss.best_epoch() == -1);
  CHECK_FALSE(nan_loss.update(3.0));
  CHECK_FALSE(nan_loss.update(std::nan("")));
  CHECK(nan_loss.update(std::nan("")));
  CHECK(nan_loss.best() == 3.0);

  // The loop ends before patience runs out: the weights stay until restore() is called;
  // buffers are saved and restored with the parameters.
  Counted model;
  optim::EarlyStopping stopper(model, {.patience = 5});
  tg::test::assign(model.scale, tensor({2, 3}));
  tg::test::assign(model.seen, tensor({7}));
  CHECK_FALSE(stopper.update(0.5));
  tg::test::assign(model.scale, tensor({4, 5}));
  tg::test::assign(model.seen, tensor({8}));
  CHECK_FALSE(stopper.update(0.6));
  check_values(model.scale, {4, 5});
  stopper.restore();
  check_values(model.scale, {2, 3});
  check_values(model.seen, {7});

  // restore_best off: nothing is saved.
  nn::Linear layer(2, 2);
  optim::EarlyStopping no_restore(layer, {.patience = 0, .restore_best = false});
  set_epoch_weights(layer, 1);
  CHECK_FALSE(no_restore.update(1.0));
  set_epoch_weights(layer, 2);
  CHECK(no_restore.update(2.0));
  CHECK_FALSE(no_restore.has_snapshot());
  check_values(layer.bias, {-2.0, -2.0});
}

TEST_CASE("EarlyStopping follows a module converted to float64 after the first snapshot") {
  nn::Linear layer(2, 1);
  optim::EarlyStopping stopper(layer, {.patience = 1});
  set_epoch_weights(layer, 1);
  CHECK_FALSE(stopper.update(1.0));
  layer.to(f64);
  set_epoch_weights(layer, 2);
  CHECK_FALSE(stopper.update(0.5));  // re-saved as float64
  set_epoch_weights(layer, 3);
  CHECK(stopper.update(0.9));
  CHECK(layer.weight.dtype() == f64);
  check_values(layer.weight, {12.0, 12.0});
  check_values(layer.bias, {-2.0});
}

TEST_CASE("EarlyStopping errors") {
  CHECK_ERROR(InvalidArgument, optim::EarlyStopping({.patience = -1}), "EarlyStopping: patience must be >= 0, got -1");
  CHECK_ERROR(InvalidArgument, optim::EarlyStopping({.min_delta = -0.5}), "EarlyStopping: min_delta must be finite and >= 0, got -0.5");
  CHECK_ERROR(InvalidArgument, optim::EarlyStopping({.min_delta = std::nan("")}), "EarlyStopping: min_delta", "got nan");

  optim::EarlyStopping unwatched({.monitor = "val_mae"});
  unwatched.update(1.0);
  nn::Linear layer(3, 2);
  CHECK_ERROR(std::logic_error, unwatched.restore(), "EarlyStopping::restore: no module is watched");
  CHECK_ERROR(std::logic_error, unwatched.restore(layer), "EarlyStopping::restore: no best weights were saved for 'val_mae'");

  optim::EarlyStopping stopper(layer);
  CHECK_ERROR(std::logic_error, stopper.restore(), "no best weights were saved");
  stopper.update(1.0);
  nn::Linear wider(3, 4), no_bias(3, 2, {.bias = false});
  CHECK_ERROR(InvalidArgument, stopper.restore(wider), "EarlyStopping::restore: saved 'weight' (2, 3) does not match the module's 'weight' (4, 3)");
  CHECK_ERROR(InvalidArgument, stopper.restore(no_bias), "EarlyStopping::restore: the saved weights have 2 parameters and buffers, the module Linear has 1");
}
