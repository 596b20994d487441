// Storage: a reference-counted, 64-byte aligned buffer with its header in the
// same block, handed out by a per-thread caching pool so that a training step
// which frees and re-creates the same sizes every step stops calling malloc
// (and stops page-faulting large buffers) after the first step, while sizes
// the thread has stopped asking for are given back (Note [The pool follows
// the working set] in storage.cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tg::detail {

class Storage {
 public:
  /// A buffer of at least `nbytes`, uninitialised, reference count 1.
  static Storage* allocate(std::size_t nbytes);

  void* data() { return reinterpret_cast<char*>(this) + kHeaderBytes; }
  const void* data() const { return reinterpret_cast<const char*>(this) + kHeaderBytes; }
  std::size_t nbytes() const { return nbytes_; }
  /// Bumped by every write through Tensor::mutable_data(); records compare it
  /// with the value they saved (see detail::Saved).
  std::uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }
  long use_count() const { return refs_.load(std::memory_order_relaxed); }

  void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) free_block();
  }

  static constexpr std::size_t kHeaderBytes = 64;

 private:
  Storage(std::size_t nbytes, std::size_t block_bytes, int size_class)
      : nbytes_(nbytes), block_bytes_(block_bytes), size_class_(size_class) {}
  void free_block();

  std::atomic<long> refs_{1};
  std::atomic<std::uint32_t> version_{0};
  std::size_t nbytes_;
  std::size_t block_bytes_;
  int size_class_;  // -1: not cached
};

/// Owning handle to a Storage (intrusive count: one allocation per buffer).
class StoragePtr {
 public:
  StoragePtr() = default;
  explicit StoragePtr(Storage* adopted) : p_(adopted) {}
  StoragePtr(const StoragePtr& other) : p_(other.p_) {
    if (p_) p_->retain();
  }
  StoragePtr(StoragePtr&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  StoragePtr& operator=(StoragePtr other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~StoragePtr() {
    if (p_) p_->release();
  }
  Storage* operator->() const { return p_; }
  Storage* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  Storage* p_ = nullptr;
};

/// Bytes the calling thread's pool holds for reuse, and a way to give them
/// back (to the system: the heap is trimmed too).
std::size_t pool_cached_bytes();
void pool_release_cached();

/// Blocks the calling thread's pool has had to take from the system (cache
/// misses of pooled sizes): flat once a steady loop has warmed up.
std::uint64_t pool_blocks_from_system();

/// A size class not asked for during this many allocations of the thread
/// gives its cached blocks back; see Note [The pool follows the working set].
inline constexpr std::uint64_t kPoolIdleAllocations = std::uint64_t{1} << 15;

}  // namespace tg::detail
