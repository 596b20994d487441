// Counts heap allocations made through operator new on the calling thread, by
// replacing the global operator new and delete for the test program that
// includes this header. Include it from exactly one file of a test program.
//
// Every tensor tapegrad creates allocates its TensorImpl with make_shared, so
// a region of code that makes no tensor, no vector and no string counts 0.
// (Tensor buffers come from a pool through aligned_alloc, not operator new;
// the TensorImpl that owns one is what gets counted.)
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace tg::test {

/// Allocations through operator new on this thread so far.
inline long& allocation_count() {
  static thread_local long count = 0;
  return count;
}

/// The number of allocations `f()` makes on this thread.
template <class F>
long allocations_during(F&& f) {
  const long before = allocation_count();
  f();
  return allocation_count() - before;
}

}  // namespace tg::test

// GCC sees free() on a pointer from operator new once these are inlined, and
// warns; here both sides are malloc's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  ++tg::test::allocation_count();
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* operator new(std::size_t size, std::align_val_t align) {
  ++tg::test::allocation_count();
  const std::size_t a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, size == 0 ? a : (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#pragma GCC diagnostic pop
