// nn::load of arbitrary bytes into a small model with Adam: a
// CheckpointError that leaves the model and the optimizer as they were, or
// a load; any other exception or a sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scratch_file.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

// Every parameter, buffer and optimizer state value, in order, as the bytes
// of doubles: compared bit for bit, since a file loaded before may have left
// NaNs (NaN != NaN).
std::string state_of(const tg::nn::Module& model, tg::optim::Optimizer& optimizer) {
  std::string out;
  const auto append = [&](const tg::Tensor& t) {
    const auto values = t.to_vector<double>();
    out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
  };
  for (const auto& [name, t] : model.named_parameters()) append(t);
  for (const auto& [name, t] : model.named_buffers()) append(t);
  for (const auto& [name, t] : optimizer.state()) append(t);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::ScratchFile file(".safetensors");
  static tg::Generator generator(1);
  static tg::nn::Sequential model(tg::nn::Linear(2, 3, {.generator = &generator}), tg::nn::BatchNorm1d(3),
                                  tg::nn::ReLU(), tg::nn::Linear(3, 1, {.generator = &generator}));
  static tg::optim::Adam adam(model.parameters(), {.lr = 0.01});
  const std::string& path = file.hold(data, size);
  const std::string before = state_of(model, adam);
  try {
    tg::nn::load(model, path, {.optimizer = &adam});
  } catch (const tg::nn::CheckpointError&) {
    if (state_of(model, adam) != before) std::abort();  // a refused file changes nothing
  }
  return 0;
}
