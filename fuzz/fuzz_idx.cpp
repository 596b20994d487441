// read_idx on arbitrary bytes, plain or gzip: a DataError (or a DtypeError
// for an impossible dtype) or a tensor whose size matches the header; any
// other exception or a sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>

#include "scratch_file.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/nn/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::ScratchFile file(".idx");
  const std::string& path = file.hold(data, size);
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
