// Named tensors in a safetensors file (https://github.com/huggingface/safetensors),
// the format under nn/checkpoint.hpp's model checkpoints, which Python reads
// with `safetensors.numpy.load_file` or a few lines of json + numpy:
//
//     8 bytes      N, the header's length, little-endian uint64
//     N bytes      a JSON object, padded with spaces to a multiple of 8 bytes:
//                  {"__metadata__": {"epoch": "7", ...},
//                   "0.weight": {"dtype": "F32", "shape": [256, 784], "data_offsets": [0, 802816]}, ...}
//     the rest     the tensors' values, row-major, little-endian, back to back
//                  (data_offsets count from the first byte after the header)
//
// Writing is atomic: the file is written to "<path>.tmp.<pid>.<n>" in the
// same directory, flushed to disk (fsync), then renamed over `path`. A crash
// or a full disk mid-write leaves the previous file as it was; on an error
// the temporary file is removed. (A process killed mid-write cannot remove
// it: a stray "*.tmp.*" file is never read as the file, and the next save to
// the same path removes it once its process is gone.)
//
// Reading checks the whole file before it allocates a tensor: the header
// length against the file size (and a 100 MB limit), the JSON, every dtype,
// shape and byte range (in range, matching dtype × shape, no overlap, no gap,
// the data section covered exactly), duplicate names. A truncated or corrupt
// file throws CheckpointError naming the file and the problem; it never
// crashes and never yields silently wrong values.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/tensor.hpp"

namespace tg::nn {

/// A checkpoint that cannot be written (the message names the path, the
/// step that failed and the system's reason: "Permission denied", "No space
/// left on device"), or cannot be read: missing, truncated, corrupt, or not
/// fitting the model (every missing or unexpected name and every shape or
/// dtype mismatch, listed in one message). A std::runtime_error: the state
/// of a file. Bad arguments (two tensors of one name) throw InvalidArgument.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The content of a safetensors file.
struct TensorFile {
  /// The tensors in the order of their bytes in the file, each a fresh
  /// float32, float64 or int64 tensor that owns its values.
  std::vector<std::pair<std::string, Tensor>> tensors;
  /// The "__metadata__" strings (empty when the file has none).
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`; an undefined Tensor when there is none.
  Tensor get(const std::string& name) const;
};

/// Writes `tensors` (float32 "F32", float64 "F64", int64 "I64", any shape,
/// 0-d and empty included) and `metadata` to `path`, atomically (see the top
/// of this file). The header lists the tensors in the order given, those of
/// 8-byte dtypes first, so every tensor's bytes are aligned to its element
/// size. Throws InvalidArgument, before touching the disk, for an undefined
/// tensor, a name given twice, the reserved name "__metadata__" or a name or
/// metadata string that is not valid UTF-8; CheckpointError when the file
/// cannot be written.
void save_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file of F32, F64 and I64 tensors, and of F16 and
/// BF16 ones (as written by PyTorch or NumPy), widened to float32. Throws
/// CheckpointError for a file that is missing, unreadable, truncated or
/// corrupt, or that holds another dtype (I32, U8, BOOL, ...).
TensorFile load_tensors(const std::string& path);

/// load_tensors from the bytes of a file in memory (`source` names it in
/// error messages). The entry point of the reader's fuzz target.
TensorFile decode_tensors(std::span<const std::uint8_t> bytes, const std::string& source = "<memory>");

}  // namespace tg::nn
