// tapegrad keeps freed tensor buffers in a per-thread pool for reuse, so a
// training step that makes the same sizes every step stops calling malloc.
// The pool gives back sizes the thread stops asking for by itself; these
// calls give everything back at once (PyTorch's torch.cuda.empty_cache),
// e.g. between phases of a hand-written loop that use different sizes.
#pragma once

#include "../requires_cxx20.hpp"

#include <cstddef>

namespace tg {

/// Bytes the calling thread's pool holds for reuse.
std::size_t cached_memory_bytes();
/// Gives the calling thread's cached buffers back to the system.
void release_cached_memory();

}  // namespace tg
