// decode_tensors on arbitrary bytes: a CheckpointError, or tensors that
// account for every byte after the header; any other exception or a
// sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "../nn/safetensors_format.hpp"
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
  // F16 and BF16 entries are read widened to float32: 2 bytes in the file each.
  const auto entries = tg::nn::safetensors::parse_header(
      std::string_view(reinterpret_cast<const char*>(data) + 8, header), size - 8 - header, "fuzz").entries;
  if (entries.size() != file.tensors.size()) std::abort();
  std::uint64_t tensor_bytes = 0;
  for (const auto& e : entries) {
    const tg::Tensor t = file.get(e.name);
    if (!t.defined() || t.shape() != e.shape) std::abort();
    tensor_bytes += static_cast<std::uint64_t>(t.numel()) * tg::nn::safetensors::stored_size(e);
  }
  if (8 + header + tensor_bytes != size) std::abort();
  return 0;
}
