// IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// Layout (all integers big-endian):
//   bytes 0-1  zero
//   byte  2    element type: 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32,
//              0x0D float32, 0x0E float64
//   byte  3    rank r
//   r × uint32 the extents, outermost first
//   the elements, row-major, big-endian
// MNIST's images are 0x00000803 (ubyte, rank 3: N × 28 × 28), its labels
// 0x00000801 (ubyte, rank 1: N).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../../autodiff/tensor.hpp"
#include "errors.hpp"

namespace tg::data {

/// The element type of an IDX file: its type code.
enum class IdxType : std::uint8_t {
  automatic = 0x00,  ///< write_idx: chosen from the tensor's dtype
  ubyte = 0x08,
  sbyte = 0x09,
  int16 = 0x0B,
  int32 = 0x0C,
  float32 = 0x0D,
  float64 = 0x0E,
};

/// "ubyte", "sbyte", "int16", "int32", "float32", "float64" ("automatic").
const char* idx_type_name(IdxType type);

/// Options of read_idx.
struct IdxReadOptions {
  /// The dtype of the result. By default: integer elements of a rank-1 file
  /// (labels) -> int64; integer elements of any other rank (images) ->
  /// float32 with the raw values (0..255 for ubyte: scale them with
  /// scale_to_unit); float32 -> float32; float64 -> float64. Integer
  /// elements may be read as any dtype (int32 values beyond 2^24 lose
  /// precision in float32); floating elements only as float32 or float64.
  std::optional<Dtype> dtype = std::nullopt;
  /// The most data bytes (after decompression) a file may declare: a header
  /// that declares more is refused before a data byte is read, so a small
  /// gzip file that inflates to gigabytes (a "gzip bomb") costs nothing.
  /// 4 GiB by default, 50 times Fashion-MNIST's training images.
  std::uint64_t max_bytes = std::uint64_t{4} << 30;
};

/// Reads an IDX file, gzip-compressed or not (detected from the content, not
/// the name). Every length is checked before it is used: the rank (at most
/// kMaxRank), the product of the extents (no overflow), the number of data
/// bytes (a truncated file says how many bytes its header declares and how
/// many came; bytes past the declared data are an error too; more than
/// `options.max_bytes` declared is refused before reading them). Throws
/// DataError naming the path for a missing, unreadable, corrupt or truncated
/// file and for a wrong magic number (what was found, what was expected);
/// DtypeError for a floating file read as int64.
Tensor read_idx(const std::string& path, const IdxReadOptions& options = {});

/// Options of write_idx.
struct IdxWriteOptions {
  /// The element type written; `automatic`: float32 -> float32, float64 ->
  /// float64, int64 -> int32.
  IdxType type = IdxType::automatic;
  /// gzip-compress; by default when `path` ends in ".gz".
  std::optional<bool> gzip = std::nullopt;
};

/// Writes `values` (rank <= 255, each extent < 2^32) as an IDX file. Values
/// that the element type cannot hold exactly are refused, not wrapped: a
/// non-integer, or one outside 0..255 for ubyte, -128..127 for sbyte, the
/// int16 or int32 range (InvalidArgument naming the first such element).
/// Throws DataError when the file cannot be written.
void write_idx(const std::string& path, const Tensor& values, const IdxWriteOptions& options = {});

}  // namespace tg::data
