// nn::Diagnostics as a fit callback. It lives here, above nn/, because it
// speaks fit's language (Callback, History): nn/diagnostics.hpp knows
// nothing of the training loop.
//
//     nn::Diagnostics diag(model);
//     auto result = optim::fit(model, loss, opt, loader, {.callbacks = {optim::callback(diag)}});
//     std::cout << diag.report();
#pragma once

#include "../nn/diagnostics.hpp"
#include "fit.hpp"

namespace tg::optim {

/// A fit callback that drives `diagnostics`: it begins an epoch on
/// on_epoch_begin, records the gradients on on_batch_end, and on
/// on_epoch_end writes "grad_norm_first", "grad_norm_last",
/// "dead_relu_fraction" and "saturation" (those measured) into the History,
/// so they are written and plotted; it never stops training. `diagnostics`
/// must outlive the fit, and stay where it is while fit runs.
Callback callback(nn::Diagnostics& diagnostics);

}  // namespace tg::optim
