// decode_tensors on arbitrary bytes: a CheckpointError, or tensors that
// account for every byte after the header; any other exception or a
// sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tapegrad/nn/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tg::nn::TensorFile file;
  try {
    file = tg::nn::decode_tensors(std::span(data, size), "fuzz");
  } catch (const tg::nn::CheckpointError&) {
    return 0;
  }
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | data[i];
  std::uint64_t tensor_bytes = 0;
  for (const auto& [name, t] : file.tensors) tensor_bytes += static_cast<std::uint64_t>(t.numel()) * tg::dtype_size(t.dtype());
  if (8 + header + tensor_bytes != size) std::abort();
  return 0;
}
