// The safetensors format itself: the header's JSON, parsed and checked or
// written, and a file's bytes decoded into tensors. nn/safetensors_file.cpp
// does the file system (atomic writes, reads); nn/checkpoint.cpp the models
// around it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/autodiff/shape.hpp"
#include "tapegrad/nn/safetensors.hpp"

namespace tg::nn::safetensors {

/// The largest header read, as in the reference implementation: a larger
/// length is a corrupt file, not a model.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

/// One tensor of a header; the offsets count from the start of the data
/// section.
struct Entry {
  std::string name;
  Dtype dtype = Dtype::f32;  ///< the tensor's dtype once read
  /// How the file stores it: as `dtype`, or as F16 / BF16 (read widened to float32).
  enum class Stored { as_dtype, f16, bf16 } stored = Stored::as_dtype;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// A checked header.
struct Header {
  /// Sorted by offset; back to back from 0 to the end of the data section.
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
};

/// "F32", "F64", "I64".
const char* dtype_code(Dtype dtype);
/// The code of the entry's dtype in the file: dtype_code, or "F16", "BF16".
const char* stored_code(const Entry& entry);
/// Bytes per element in the file.
std::uint64_t stored_size(const Entry& entry);

/// Parses the JSON header of a file whose data section is `data_size` bytes
/// and checks it all: a JSON object of tensor entries {dtype, shape,
/// data_offsets} and an optional "__metadata__" of strings; no name twice;
/// dtypes tapegrad reads (F32, F64, I64; F16 and BF16, widened to F32); shapes of at most kMaxRank non-negative extents
/// whose byte size does not overflow; offsets that match dtype × shape and
/// tile the data section exactly. Throws CheckpointError "checkpoint
/// '<source>': <problem>".
Header parse_header(std::string_view json, std::uint64_t data_size, const std::string& source);

/// The JSON header for `entries` (offsets filled in) and `metadata`, in that
/// order, padded with spaces to a multiple of 8 bytes. Throws
/// InvalidArgument for a string that is not valid UTF-8.
std::string encode_header(const std::vector<Entry>& entries, const std::map<std::string, std::string>& metadata);

/// Copies `size` bytes at `offset` of the file into `destination`, or throws.
using ReadAt = std::function<void(std::uint64_t offset, std::uint64_t size, void* destination)>;

/// Decodes a file of `file_size` bytes read through `read_at`: the header
/// length, the header (parse_header), then each tensor. Nothing is
/// allocated for a tensor before the whole header is checked, and never
/// more than the file's size. Throws CheckpointError.
TensorFile decode(std::uint64_t file_size, const ReadAt& read_at, const std::string& source);

}  // namespace tg::nn::safetensors
