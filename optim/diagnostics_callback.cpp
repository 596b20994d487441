// nn::Diagnostics driven by fit's callback hooks.
#include "tapegrad/optim/diagnostics_callback.hpp"

#include <cmath>

namespace tg::optim {

Callback callback(nn::Diagnostics& diagnostics) {
  nn::Diagnostics* diag = &diagnostics;
  Callback callback;
  callback.on_epoch_begin = [diag](int) { diag->begin_epoch(); };
  callback.on_batch_end = [diag](const BatchInfo&) { diag->record_gradients(); };
  callback.on_epoch_end = [diag](int, History& history) {
    auto set = [&](const char* metric, double value) {
      if (!std::isnan(value)) history.set(metric, value);
    };
    set("grad_norm_first", diag->grad_norm_first());
    set("grad_norm_last", diag->grad_norm_last());
    set("dead_relu_fraction", diag->dead_relu_fraction());
    set("saturation", diag->saturation());
    return false;
  };
  return callback;
}

}  // namespace tg::optim
