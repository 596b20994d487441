// Grad mode: whether ops record onto the tape. Per thread.
#pragma once

#include "../requires_cxx20.hpp"

#include <cstdint>

namespace tg {

/// True when ops on this thread record (the default).
bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// RAII guard: no op records while it lives (evaluation, optimizer updates).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

/// RAII guard: recording on, even inside a NoGrad scope.
class EnableGrad {
 public:
  EnableGrad();
  ~EnableGrad();
  EnableGrad(const EnableGrad&) = delete;
  EnableGrad& operator=(const EnableGrad&) = delete;

 private:
  bool previous_;
};

/// What the tape of the calling thread holds: records created on this thread
/// that a backward has not yet released (nor destruction freed), and the
/// total ever created. A training loop that calls backward() each step
/// returns `live_records` to its starting value after each step.
struct TapeStats {
  std::int64_t live_records = 0;
  std::int64_t records_created = 0;
};
TapeStats tape_stats();

}  // namespace tg
