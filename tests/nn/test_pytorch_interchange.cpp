// Weights between tapegrad and real PyTorch (Debian's python3-torch), both
// ways, for an MLP, a CNN with BatchNorm and an LSTM: tapegrad's
// safetensors loaded into PyTorch give tapegrad's outputs; PyTorch's
// torch.save state dicts and its safetensors (written with numpy) loaded
// into tapegrad give PyTorch's outputs, to 1e-5; float16 and bfloat16
// weights are widened exactly. One python3 process does PyTorch's side for
// the whole suite (torch_interchange.py); without an importable torch every
// case is reported as skipped.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "checkpoint_support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

// The python3 on PATH first, then the system's; "" when neither imports
// torch and numpy. Found once, as the cases are registered.
const std::string& python_with_torch() {
  static const std::string found = [] {
    for (const char* candidate : {"python3", "/usr/bin/python3"}) {
      const std::string probe = std::string(candidate) + " -c 'import torch, numpy' >/dev/null 2>&1";
      if (std::system(probe.c_str()) == 0) return std::string(candidate);
    }
    return std::string();
  }();
  return found;
}
const bool no_torch = python_with_torch().empty();

// The architectures, as torch_interchange.py builds them.
struct Recurrent : nn::Module {
  std::shared_ptr<nn::LSTM> lstm;
  std::shared_ptr<nn::Linear> fc;
  Recurrent() : Module("Recurrent") {
    lstm = register_module("lstm", nn::LSTM(5, 8));
    fc = register_module("fc", nn::Linear(8, 3));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor h = lstm->forward_with_state(x).state.h;  // (1, N, H)
    return (*fc)(reshape(h, {h.shape()[1], h.shape()[2]}));
  }
};

std::shared_ptr<nn::Module> build(const std::string& name) {
  if (name == "mlp") return std::make_shared<nn::Sequential>(nn::Linear(6, 16), nn::Tanh(), nn::Linear(16, 3));
  if (name == "cnn") {
    return std::make_shared<nn::Sequential>(nn::Conv2d(1, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(),
                                            nn::MaxPool2d(2), nn::Flatten(), nn::Linear(4 * 4 * 4, 3));
  }
  return std::make_shared<Recurrent>();
}

Shape input_shape(const std::string& name) {
  if (name == "mlp") return {8, 6};
  if (name == "cnn") return {5, 1, 8, 8};
  return {4, 7, 5};
}

const char* const kModels[] = {"mlp", "cnn", "lstm"};

double max_abs_difference(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

// tapegrad's half, then PyTorch's, once for the suite.
struct Session {
  TempDir dir;
  std::map<std::string, Tensor> tapegrad_outputs;  // on tg_<name>_io's inputs
  int status = -1;
  std::string log;

  Session() {
    Generator gen(7);
    for (const std::string name : kModels) {
      manual_seed(11);
      auto model = build(name);
      optim::Adam adam(model->parameters(), {.lr = 1e-2});
      for (int step = 0; step < 5; ++step) {  // trained a few steps (BatchNorm's statistics move)
        adam.zero_grad();
        const Tensor y = (*model)(randn(input_shape(name), gen));
        mean(y * y).backward();
        adam.step();
      }
      model->eval();
      const Tensor x = randn(input_shape(name), gen);
      NoGrad no_grad;
      tapegrad_outputs[name] = (*model)(x);
      nn::save(*model, dir / ("tg_" + name + ".safetensors"));
      nn::save_tensors(dir / ("tg_" + name + "_io.safetensors"), {{"input", x}, {"output", tapegrad_outputs[name]}});
    }
    const std::string command = python_with_torch() + " " TAPEGRAD_SOURCE_DIR "/tests/nn/torch_interchange.py " +
                                dir.path.string() + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) log += buffer;
    status = ::pclose(pipe);
  }
};

Session& session() {
  static Session s;
  INFO("torch_interchange.py: " << s.log);
  REQUIRE(s.status == 0);
  return s;
}

// `name`'s architecture with `load` applied, in eval mode, on the inputs
// PyTorch used; returns (tapegrad's output, PyTorch's).
template <typename Load>
std::pair<Tensor, Tensor> outputs_after(const std::string& name, Load&& load) {
  Session& s = session();
  auto model = build(name);
  load(*model, s.dir);
  model->eval();
  const nn::TensorFile io = nn::load_tensors(s.dir / (name + "_io.safetensors"));
  NoGrad no_grad;
  return {(*model)(io.get("input")), io.get("output")};
}

}  // namespace

TEST_CASE("tapegrad's safetensors loaded into PyTorch give tapegrad's outputs" * doctest::skip(no_torch)) {
  Session& s = session();
  for (const std::string name : kModels) {
    const Tensor theirs = nn::load_tensors(s.dir / ("torch_on_tg_" + name + ".safetensors")).get("output");
    const double difference = max_abs_difference(s.tapegrad_outputs[name], theirs);
    MESSAGE(name << ": tapegrad's outputs " << s.tapegrad_outputs[name].shape().str() << " vs PyTorch's on tapegrad's weights: max |difference| " << difference);
    CHECK(difference <= 1e-5);
  }
}

TEST_CASE("PyTorch's torch.save state dicts load into tapegrad and give PyTorch's outputs" * doctest::skip(no_torch)) {
  for (const std::string name : kModels) {
    const auto [ours, theirs] = outputs_after(name, [&](nn::Module& m, const TempDir& dir) { nn::load_pytorch(m, dir / (name + ".pt")); });
    const double difference = max_abs_difference(ours, theirs);
    MESSAGE(name << ".pt: tapegrad's outputs " << ours.shape().str() << " vs PyTorch's: max |difference| " << difference);
    CHECK(difference <= 1e-5);
  }
}

TEST_CASE("PyTorch's safetensors (written with numpy) load into tapegrad and give PyTorch's outputs" * doctest::skip(no_torch)) {
  for (const std::string name : kModels) {
    const auto [ours, theirs] =
        outputs_after(name, [&](nn::Module& m, const TempDir& dir) { nn::load(m, dir / (name + ".safetensors")); });
    const double difference = max_abs_difference(ours, theirs);
    MESSAGE(name << ".safetensors: tapegrad's outputs vs PyTorch's: max |difference| " << difference);
    CHECK(difference <= 1e-5);
  }
}

TEST_CASE("PyTorch's float16 and bfloat16 weights load widened to float32, exactly" * doctest::skip(no_torch)) {
  Session& s = session();
  const nn::TensorFile rounded = nn::load_tensors(s.dir / "mlp_rounded.safetensors");
  for (const std::string kind : {"f16", "bf16"}) {
    const nn::TensorFile pt = nn::load_pytorch_tensors(s.dir / ("mlp_" + kind + ".pt"));
    const nn::TensorFile st = nn::load_tensors(s.dir / ("mlp_" + kind + ".safetensors"));
    REQUIRE(pt.tensors.size() == 4);
    for (const auto& [name, t] : pt.tensors) {
      CAPTURE(kind);
      CAPTURE(name);
      CHECK(t.dtype() == f32);
      CHECK(t.to_vector<float>() == rounded.get(kind + "." + name).to_vector<float>());
      CHECK(st.get(name).to_vector<float>() == rounded.get(kind + "." + name).to_vector<float>());
    }
  }
  auto model = build("mlp");
  nn::load_pytorch(*model, s.dir / "mlp_bf16.pt");  // into float32 parameters, without conversion
}
