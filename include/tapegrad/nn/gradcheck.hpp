// gradcheck of a whole model: every parameter's gradient against central
// differences.
#pragma once

#include <functional>

#include "../autodiff/gradcheck.hpp"
#include "module.hpp"

namespace tg::nn {

/// Checks the gradient of `loss()` with respect to every trainable parameter
/// of `model`, one report entry per parameter, named by its path
/// ("0.weight"). The model runs in float64 for the check (its parameters and
/// buffers are converted, then converted back to their dtype when the check
/// ends): `loss` must feed it float64 inputs. A model in training mode whose
/// forward pass draws random numbers (dropout) must draw the same ones on
/// every call; switch it to eval() or seed inside `loss`.
/// `model(x)` with BatchNorm in training mode is checked as it is: the batch
/// statistics depend on the parameters upstream, and the tape knows it.
GradcheckReport gradcheck(Module& model, const std::function<Tensor()>& loss, GradcheckOptions options = {});

}  // namespace tg::nn
