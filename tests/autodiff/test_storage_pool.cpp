// The per-thread buffer pool: it keeps the sizes a loop asks for again, gives
// back sizes not asked for during an idle window, and empties on request.
// Every case runs on a thread of its own, so it starts from an empty pool.
#include <doctest/doctest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "../../autodiff/storage.hpp"

using tg::detail::kPoolIdleAllocations;
using tg::detail::pool_blocks_from_system;
using tg::detail::pool_cached_bytes;
using tg::detail::pool_release_cached;
using tg::detail::Storage;
using tg::detail::StoragePtr;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

template <class F>
void on_a_new_thread(F&& f) {
  std::thread t(std::forward<F>(f));
  t.join();
}

void allocate_and_free(std::size_t nbytes, std::uint64_t times = 1) {
  for (std::uint64_t i = 0; i < times; ++i) StoragePtr block(Storage::allocate(nbytes));
}

}  // namespace

#ifndef TAPEGRAD_NO_POOL

TEST_CASE("a size not asked for during the idle window is given back; the sizes in use stay") {
  std::size_t after_evaluation = 0, half_window_later = 0, window_later = 0;
  on_a_new_thread([&] {
    allocate_and_free(64);             // the "training" size
    allocate_and_free(8 * kMiB);       // the "evaluation" size, once
    after_evaluation = pool_cached_bytes();
    allocate_and_free(64, kPoolIdleAllocations / 2);
    half_window_later = pool_cached_bytes();
    allocate_and_free(64, kPoolIdleAllocations);
    window_later = pool_cached_bytes();
  });
  CHECK(after_evaluation >= 8 * kMiB + 64);
  CHECK(half_window_later == after_evaluation);
  CHECK(window_later == 128);  // the 64-byte buffer and its header, still cached
}

TEST_CASE("a loop asking for a size once a step takes no block from the system after its first step") {
  // A step of a quarter of the idle window: the big buffer is asked for once
  // at its start and then sits in the pool, the small one thousands of times.
  constexpr std::uint64_t small_per_step = kPoolIdleAllocations / 4;
  std::uint64_t after_first_step = 0, after_last_step = 0;
  std::size_t cached_after_last_step = 0;
  on_a_new_thread([&] {
    auto step = [&] {
      allocate_and_free(4 * kMiB);
      std::vector<StoragePtr> kept;
      for (int i = 0; i < 8; ++i) kept.emplace_back(Storage::allocate(1000));
      allocate_and_free(256, small_per_step);
    };
    step();
    after_first_step = pool_blocks_from_system();
    for (int i = 0; i < 20; ++i) step();  // five idle windows
    after_last_step = pool_blocks_from_system();
    cached_after_last_step = pool_cached_bytes();
  });
  CHECK(after_first_step == 10);  // 4 MiB, 8 of 1000 bytes, 256 bytes
  CHECK(after_last_step == after_first_step);
  CHECK(cached_after_last_step >= 4 * kMiB + 8 * 1024);
}

TEST_CASE("a size that comes back after the idle window is taken from the system again, once") {
  std::uint64_t taken_before = 0, taken_after = 0;
  on_a_new_thread([&] {
    allocate_and_free(2 * kMiB);
    allocate_and_free(64, 2 * kPoolIdleAllocations);
    taken_before = pool_blocks_from_system();
    allocate_and_free(2 * kMiB, 3);
    taken_after = pool_blocks_from_system();
  });
  CHECK(taken_after == taken_before + 1);
}

TEST_CASE("pool_release_cached empties the pool, and the pool fills again after") {
  std::size_t cached_before = 0, cached_after_release = 0, cached_refilled = 0;
  std::uint64_t taken_before = 0, taken_after = 0;
  on_a_new_thread([&] {
    {
      std::vector<StoragePtr> blocks;
      for (std::size_t n : {64, 3000, 70000, 5000000}) blocks.emplace_back(Storage::allocate(n));
    }
    cached_before = pool_cached_bytes();
    taken_before = pool_blocks_from_system();
    pool_release_cached();
    cached_after_release = pool_cached_bytes();
    allocate_and_free(70000);
    cached_refilled = pool_cached_bytes();
    taken_after = pool_blocks_from_system();
  });
  CHECK(cached_before >= 64 + 3000 + 70000 + 5000000);
  CHECK(cached_after_release == 0);
  CHECK(cached_refilled >= 70000);
  CHECK(taken_after == taken_before + 1);
}

TEST_CASE("tg::release_cached_memory gives back what tensors left in the pool; tg::cached_memory_bytes reports it") {
  std::size_t cached_before = 0, cached_after = 0, internal_after = 1;
  on_a_new_thread([&] {
    { const tg::Tensor t = tg::zeros({256, 1024}); }  // 1 MiB back into the pool
    cached_before = tg::cached_memory_bytes();
    tg::release_cached_memory();
    cached_after = tg::cached_memory_bytes();
    internal_after = pool_cached_bytes();
  });
  CHECK(cached_before >= 256 * 1024 * sizeof(float));
  CHECK(cached_after == 0);
  CHECK(internal_after == 0);
}

#else

TEST_CASE("without the pool (sanitizer builds) nothing is cached") {
  std::size_t cached = 1;
  on_a_new_thread([&] {
    allocate_and_free(64);
    allocate_and_free(8 * kMiB);
    cached = pool_cached_bytes();
    pool_release_cached();
  });
  CHECK(cached == 0);
}

#endif
