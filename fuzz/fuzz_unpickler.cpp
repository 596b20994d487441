// The restricted unpickler of torch.save's data.pkl on arbitrary bytes: a
// CheckpointError, or tensor records whose every element lies inside its
// storage's declared numel; any other exception, a hang or a sanitizer
// report is a finding. (The zip layer is libzip's, fuzzed upstream.)
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../nn/pytorch/unpickler.hpp"
#include "tapegrad/nn/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<tg::nn::pytorch::TensorRecord> records;
  try {
    records = tg::nn::pytorch::unpickle_state_dict(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const tg::nn::CheckpointError&) {
    return 0;
  }
  for (const auto& r : records) {
    if (r.sizes.size() != r.strides.size() || r.offset < 0 || r.storage_numel < 0) std::abort();
    bool empty = false;
    std::int64_t last = r.offset;
    for (std::size_t i = 0; i < r.sizes.size(); ++i) {
      if (r.sizes[i] == 0) empty = true;
      else last += (r.sizes[i] - 1) * r.strides[i];
    }
    if (!empty && last >= r.storage_numel) std::abort();
  }
  return 0;
}
