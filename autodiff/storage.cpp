#include "storage.hpp"

#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <new>
#include <vector>

namespace tg::detail {
namespace {

// Size classes: 64-byte steps up to 1 KiB, then four classes per power of
// two (at most 25% slack), up to kLargestCached; beyond that blocks go
// straight to the system.
constexpr std::size_t kAlign = 64;
constexpr std::size_t kSmallLimit = 1024;
constexpr std::size_t kLargestCached = std::size_t{1} << 30;
constexpr std::size_t kPoolCapBytes = std::size_t{512} << 20;
constexpr int kSmallClasses = kSmallLimit / kAlign;  // classes 1..16
constexpr int kClasses = kSmallClasses + 1 + 4 * 32;

int log2_floor(std::size_t v) { return 63 - __builtin_clzll(v); }

// Returns the class of a block of `bytes`, and its rounded size.
int size_class(std::size_t bytes, std::size_t& block_bytes) {
#ifdef TAPEGRAD_NO_POOL
  // Sanitizer builds: every buffer goes back to the system, so that a
  // use-after-free is caught instead of hidden by reuse.
  block_bytes = (bytes + kAlign - 1) / kAlign * kAlign;
  return -1;
#endif
  if (bytes <= kSmallLimit) {
    block_bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    return static_cast<int>(block_bytes / kAlign);
  }
  if (bytes > kLargestCached) {
    block_bytes = (bytes + kAlign - 1) / kAlign * kAlign;
    return -1;
  }
  const int k = log2_floor(bytes - 1);  // 2^k < bytes <= 2^(k+1)
  const std::size_t quarter = std::size_t{1} << (k - 2);
  const std::size_t base = std::size_t{1} << k;
  const std::size_t steps = (bytes - base + quarter - 1) / quarter;  // 1..4
  block_bytes = base + steps * quarter;
  return kSmallClasses + 1 + (k - 10) * 4 + static_cast<int>(steps - 1);
}

// Note [The pool follows the working set]
// The pool keeps what a loop asks for again and gives back what it stopped
// asking for. The case that called for it: cnn_fashion_mnist trains at batch
// 128 and evaluates at batch 1000 after each epoch; the evaluation's unfolded
// columns and activations (~390 MB over 7 classes) then sat in the pool
// through the next epoch, which never asks for them, next to the training's
// (~100 MB) during the evaluation: peak RSS 817 MB after 1 epoch and 928 MB
// after 2 (at the 512 MiB cap the pool churned, and glibc's heap kept what
// the churn freed); without any pool 498 MB. A fixed small cap is not the
// answer: a large-batch loop would page-fault its buffers again every step.
//  - A size class not asked for during kPoolIdleAllocations allocations of
//    the thread gives its cached blocks back. A class asked for every step
//    is never idle that long (a CNN step is ~140 allocations), so a steady
//    loop takes nothing from the system after its first step; sizes asked
//    for once an epoch are given back an idle window later.
//  - optim::fit, which knows where its phases are, empties the pool on
//    either side of the validation pass: each phase's sizes are idle during
//    the other. The window alone leaves the CNN at 865/870 MB; with fit's
//    release, 683 MB after 1 epoch and after 2. What remains over no pool is
//    the evaluation's own classes (each keeps its most blocks in use at
//    once: ~390 MB cached for ~220 MB live per batch).
//  - Freed blocks under glibc's mmap threshold (up to 32 MiB) stay in its
//    heap until it is trimmed, so each give-back ends with malloc_trim.
// The hot path pays a byte store and a decrement per allocation; the sweep
// over the classes runs once every kSweepEvery allocations, and a class is
// idle when none of the last kIdleSweeps sweep periods asked for it.
constexpr std::uint32_t kSweepEvery = 1u << 12;
constexpr std::uint32_t kIdleSweeps = kPoolIdleAllocations / kSweepEvery;
static_assert(kPoolIdleAllocations % kSweepEvery == 0);

std::size_t class_block_bytes(int cls) {
  if (cls <= kSmallClasses) return static_cast<std::size_t>(cls) * kAlign;
  const int k = (cls - kSmallClasses - 1) / 4 + 10;
  const std::size_t steps = static_cast<std::size_t>((cls - kSmallClasses - 1) % 4) + 1;
  return (std::size_t{1} << k) + steps * (std::size_t{1} << (k - 2));
}

void give_back_to_system() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

struct Pool {
  std::vector<void*> free_blocks[kClasses];
  bool asked_this_period[kClasses] = {};
  std::uint32_t idle_periods[kClasses] = {};
  std::uint32_t allocations_until_sweep = kSweepEvery;
  std::uint64_t blocks_from_system = 0;
  std::size_t cached_bytes = 0;

  ~Pool() {
    release_all();
    alive() = false;
  }
  void note_asked(int cls) {
    asked_this_period[cls] = true;
    if (--allocations_until_sweep == 0) [[unlikely]] release_idle();
  }
  void release_class(int cls) {
    auto& list = free_blocks[cls];
    for (void* p : list) std::free(p);
    cached_bytes -= list.size() * class_block_bytes(cls);
    list.clear();
  }
  void release_all() {
    for (int cls = 0; cls < kClasses; ++cls) release_class(cls);
  }
  // Out of line: inlined, it costs the hot path register saves.
  [[gnu::noinline]] void release_idle() {
    allocations_until_sweep = kSweepEvery;
    bool released = false;
    for (int cls = 0; cls < kClasses; ++cls) {
      idle_periods[cls] = asked_this_period[cls] ? 0 : idle_periods[cls] + 1;
      asked_this_period[cls] = false;
      if (idle_periods[cls] >= kIdleSweeps && !free_blocks[cls].empty()) {
        release_class(cls);
        released = true;
      }
    }
    if (released) give_back_to_system();
  }
  // Trivially destructible, so it can be read after the Pool of an exiting
  // thread is gone.
  static bool& alive() {
    static thread_local bool flag = true;
    return flag;
  }
};

Pool* this_thread_pool() {
  if (!Pool::alive()) return nullptr;
  static thread_local Pool pool;
  return &pool;
}

}  // namespace

Storage* Storage::allocate(std::size_t nbytes) {
  std::size_t block_bytes = 0;
  const int cls = size_class(nbytes + kHeaderBytes, block_bytes);
  void* block = nullptr;
  Pool* pool = cls >= 0 ? this_thread_pool() : nullptr;
  if (pool) {
    if (auto& list = pool->free_blocks[cls]; !list.empty()) {
      block = list.back();
      list.pop_back();
      pool->cached_bytes -= block_bytes;
    }
    pool->note_asked(cls);
  }
  if (!block) {
    block = std::aligned_alloc(kAlign, block_bytes);
    if (!block) throw std::bad_alloc();
    if (pool) ++pool->blocks_from_system;
  }
  return new (block) Storage(nbytes, block_bytes, cls);
}

void Storage::free_block() {
  const int cls = size_class_;
  const std::size_t block_bytes = block_bytes_;
  this->~Storage();
  void* block = this;
  if (cls >= 0) {
    Pool* pool = this_thread_pool();
    if (pool && pool->cached_bytes + block_bytes <= kPoolCapBytes) {
      pool->free_blocks[cls].push_back(block);
      pool->cached_bytes += block_bytes;
      return;
    }
  }
  std::free(block);
}

std::size_t pool_cached_bytes() {
  Pool* pool = this_thread_pool();
  return pool ? pool->cached_bytes : 0;
}

void pool_release_cached() {
  if (Pool* pool = this_thread_pool()) pool->release_all();
  give_back_to_system();
}

std::uint64_t pool_blocks_from_system() {
  Pool* pool = this_thread_pool();
  return pool ? pool->blocks_from_system : 0;
}

}  // namespace tg::detail

namespace tg {

std::size_t cached_memory_bytes() { return detail::pool_cached_bytes(); }

void release_cached_memory() { detail::pool_release_cached(); }

}  // namespace tg
