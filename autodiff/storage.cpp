#include "storage.hpp"

#include <cstdlib>
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

struct Pool {
  std::vector<void*> free_blocks[kClasses];
  std::size_t cached_bytes = 0;

  ~Pool() {
    release_all();
    alive() = false;
  }
  void release_all() {
    for (auto& list : free_blocks) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    cached_bytes = 0;
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
  if (cls >= 0) {
    if (Pool* pool = this_thread_pool(); pool && !pool->free_blocks[cls].empty()) {
      block = pool->free_blocks[cls].back();
      pool->free_blocks[cls].pop_back();
      pool->cached_bytes -= block_bytes;
    }
  }
  if (!block) {
    block = std::aligned_alloc(kAlign, block_bytes);
    if (!block) throw std::bad_alloc();
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
}

}  // namespace tg::detail
