// read_idx on arbitrary bytes, plain or gzip: a DataError (or a DtypeError
// for an impossible dtype) or a tensor whose size matches the header; any
// other exception or a sanitizer report is a finding. The same bytes
// gzip-compressed by the harness must read the same, value for value or
// error for error: the gzip layer neither adds nor hides anything.
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "scratch_file.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/nn/data/idx.hpp"

namespace {

// The bytes as one gzip member.
std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::vector<std::uint8_t> out(deflateBound(&stream, size));
  stream.next_in = const_cast<std::uint8_t*>(data);
  stream.avail_in = static_cast<uInt>(size);
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// What reading `path` gives: its values in float64, or its error with the
// path taken out.
std::string outcome(const std::string& path) {
  try {
    const tg::Tensor t = tg::data::read_idx(path, {.dtype = tg::f64});
    std::string out = "values " + t.shape().str();
    for (double v : t.to_vector<double>()) out += " " + std::to_string(v);
    return out;
  } catch (const std::exception& e) {
    std::string message = e.what();
    for (std::size_t at; (at = message.find(path)) != std::string::npos;) message.replace(at, path.size(), "<file>");
    return message;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::ScratchFile file(".idx"), compressed(".idx.gz");
  const std::string& path = file.hold(data, size);
  const bool looks_gzip = size >= 2 && data[0] == 0x1F && data[1] == 0x8B;
  if (!looks_gzip && size < (1u << 16)) {
    const std::vector<std::uint8_t> packed = gzip(data, size);
    if (outcome(path) != outcome(compressed.hold(packed.data(), packed.size()))) std::abort();
  }
  tg::Tensor automatic;
  try {
    automatic = tg::data::read_idx(path);
  } catch (const tg::data::DataError&) {
    return 0;
  }
  // A file read once reads in every dtype it allows, to the same shape and,
  // in float64, to the same values.
  const tg::Tensor wide = tg::data::read_idx(path, {.dtype = tg::f64});
  if (wide.shape() != automatic.shape() || wide.numel() != automatic.numel()) std::abort();
  try {
    const tg::Tensor ints = tg::data::read_idx(path, {.dtype = tg::i64});
    if (ints.to_vector<double>() != wide.to_vector<double>()) std::abort();
  } catch (const tg::DtypeError&) {
    if (automatic.dtype() == tg::i64) std::abort();  // integers read as int64 a moment ago
  }
  return 0;
}
