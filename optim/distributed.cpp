// fit's hooks for data-parallel training (see optim/distributed.hpp).
#include "tapegrad/optim/distributed.hpp"

#include <utility>
#include <vector>

namespace tg::optim {

FitOptions fit_options(nn::parallel::DistributedDataParallel& ddp, FitOptions options) {
  auto user_hook = std::move(options.after_backward);
  options.after_backward = [&ddp, user_hook](double& batch_loss) {
    ddp.average_gradients();
    std::vector<double> loss{batch_loss};
    nn::parallel::sum_across_processes(loss);
    batch_loss = loss[0] / ddp.world_size();
    if (user_hook) user_hook(batch_loss);
  };
  options.sum_across_processes = nn::parallel::sum_across_processes;
  options.writes_output = options.writes_output && ddp.writes_output();
  options.verbose = options.verbose && (ddp.writes_output() || ddp.options().verbose_all_ranks);
  return options;
}

}  // namespace tg::optim
