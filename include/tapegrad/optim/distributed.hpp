// Data-parallel training with fit: nn::parallel::DistributedDataParallel's
// hooks filled into FitOptions. It lives here, above nn/, so that
// nn/parallel/distributed.hpp knows nothing of the training loop. Built into
// libtapegrad_mpi with nn/parallel (meson's `tapegrad_mpi_dep`).
//
//     nn::parallel::DistributedDataParallel ddp(model);
//     optim::fit(model, loss, adam, train, optim::fit_options(ddp, {.epochs = 10}));
#pragma once

#include "../nn/parallel/distributed.hpp"
#include "fit.hpp"

namespace tg::optim {

/// `options` with `ddp`'s hooks filled in: gradients and the batch loss
/// averaged over the ranks after each backward (then options'
/// after_backward, if any), the epoch's metrics and validation summed over
/// the ranks, history files and the progress bar from rank 0 only (every
/// rank's bar with DistributedOptions::verbose_all_ranks). `ddp` must
/// outlive the fit.
FitOptions fit_options(nn::parallel::DistributedDataParallel& ddp, FitOptions options);

}  // namespace tg::optim
