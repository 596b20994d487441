// The tapegrad side of the layer-built cases (deep MLP, CNN, tanh RNN,
// LSTM): models from nn modules, losses from nn, SGD on the raw buffers.
// Also makes their shared initial values (ModelInit), since the parameter
// shapes come from the tapegrad model.
#include <cmath>
#include <memory>
#include <stdexcept>

#include <tapegrad/tapegrad.hpp>

#include "bench_cases.hpp"
#include "tapegrad_support.hpp"

namespace bench {

const char* model_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::deep_mlp: return "20×64 MLP b32";
    case ModelKind::cnn: return "CNN b64";
    case ModelKind::rnn_tanh: return "tanh RNN b16";
    case ModelKind::lstm: return "LSTM b64";
  }
  return "?";
}

namespace tapegrad_side {

namespace {

namespace nn = tg::nn;

constexpr std::int64_t kDeepWidth = 64, kDeepLayers = 20, kClasses = 10;
constexpr std::int64_t kRnnIn = 32, kRnnHidden = 64, kRnnSteps = 50;
constexpr std::int64_t kLstmIn = 28, kLstmHidden = 128, kLstmSteps = 28;

// Returns the logits (classification cases) or h_n (the RNN case).
class Model : public nn::Module {
 public:
  explicit Model(ModelKind kind) : nn::Module("BenchModel"), kind_(kind) {
    switch (kind) {
      case ModelKind::deep_mlp: {
        nn::Sequential s;
        for (std::int64_t l = 0; l < kDeepLayers; ++l) {
          s.push_back(nn::Linear(kDeepWidth, kDeepWidth));
          s.push_back(nn::ReLU());
        }
        s.push_back(nn::Linear(kDeepWidth, kClasses));
        body_ = register_module("body", std::move(s));
        break;
      }
      case ModelKind::cnn: {
        nn::Sequential s;
        s.push_back(nn::Conv2d(1, 8, 3, {.padding = 1}));
        s.push_back(nn::ReLU());
        s.push_back(nn::MaxPool2d(2));
        s.push_back(nn::Conv2d(8, 16, 3, {.padding = 1}));
        s.push_back(nn::ReLU());
        s.push_back(nn::MaxPool2d(2));
        s.push_back(nn::Flatten());
        s.push_back(nn::Linear(16 * 7 * 7, kClasses));
        body_ = register_module("body", std::move(s));
        break;
      }
      case ModelKind::rnn_tanh:
        rnn_ = register_module("rnn", nn::RNN(kRnnIn, kRnnHidden));
        break;
      case ModelKind::lstm:
        lstm_ = register_module("lstm", nn::LSTM(kLstmIn, kLstmHidden));
        head_ = register_module("head", nn::Linear(kLstmHidden, kClasses));
        break;
    }
  }

  tg::Tensor forward(const tg::Tensor& x) override {
    switch (kind_) {
      case ModelKind::rnn_tanh:
        return rnn_->forward_with_state(x).state;  // (1, N, H)
      case ModelKind::lstm: {
        const tg::Tensor h = lstm_->forward_with_state(x).state.h;  // (1, N, H)
        return (*head_)(tg::reshape(h, {h.shape()[1], h.shape()[2]}));
      }
      default:
        return (*body_)(x);
    }
  }

 private:
  ModelKind kind_;
  std::shared_ptr<nn::Sequential> body_;
  std::shared_ptr<nn::RNN> rnn_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> head_;
};

class TgModel : public Runner {
 public:
  explicit TgModel(const ModelInit& init) : kind_(init.kind), lr_(init.lr), model_(init.kind) {
    params_ = model_.parameters();
    if (params_.size() != init.params.size()) throw std::logic_error("bench: parameter count differs");
    tg::NoGrad no_grad;  // the shared initial weights
    for (std::size_t i = 0; i < params_.size(); ++i) {
      params_[i].copy_(tg::from_vector(init.params[i], params_[i].shape()));
    }
    x_ = tg::from_vector(init.x, tg::Shape(init.x_shape));
    if (kind_ == ModelKind::rnn_tanh) {
      target_ = tg::from_vector(init.target, tg::Shape(init.target_shape));
    } else {
      labels_ = tg::from_vector(init.labels, tg::Shape{static_cast<std::int64_t>(init.labels.size())});
    }
  }

  void step() override {
    const tg::Tensor out = model_(x_);
    const tg::Tensor loss =
        kind_ == ModelKind::rnn_tanh ? nn::mse_loss(out, target_) : nn::cross_entropy(out, labels_);
    loss.backward();
    sgd_and_reset(params_, lr_);
    last_loss_ = loss.detach();
  }

  double last_loss() const override { return last_loss_.defined() ? last_loss_.item() : 0.0; }
  double param_checksum() const override { return abs_sum(params_); }

 private:
  ModelKind kind_;
  float lr_;
  Model model_;
  std::vector<tg::Tensor> params_;
  tg::Tensor x_, target_, labels_, last_loss_;
};

}  // namespace

ModelInit make_model_init(ModelKind kind, std::uint64_t seed) {
  ModelInit init;
  init.kind = kind;
  init.lr = 0.01f;
  tg::Generator gen(seed);
  auto uniform = [&](std::size_t n, double bound) {
    std::vector<float> v(n);
    for (float& e : v) e = static_cast<float>((2.0 * gen.uniform() - 1.0) * bound);
    return v;
  };
  // PyTorch's default: U(−1/√fan_in, 1/√fan_in), a bias with its weight's fan.
  const Model model(kind);
  double fan_in = 1.0;
  for (const tg::Tensor& p : model.parameters()) {
    const tg::Shape& shape = p.shape();
    if (shape.rank() >= 2) fan_in = static_cast<double>(p.numel() / shape[0]);
    init.param_shapes.emplace_back(shape.begin(), shape.end());
    init.params.push_back(uniform(static_cast<std::size_t>(p.numel()), 1.0 / std::sqrt(fan_in)));
  }
  std::int64_t batch = 0;
  switch (kind) {
    case ModelKind::deep_mlp: batch = 32; init.x_shape = {batch, kDeepWidth}; break;
    case ModelKind::cnn: batch = 64; init.x_shape = {batch, 1, 28, 28}; break;
    case ModelKind::rnn_tanh: batch = 16; init.x_shape = {batch, kRnnSteps, kRnnIn}; break;
    case ModelKind::lstm: batch = 64; init.x_shape = {batch, kLstmSteps, kLstmIn}; break;
  }
  std::int64_t x_numel = 1;
  for (std::int64_t d : init.x_shape) x_numel *= d;
  init.x = uniform(static_cast<std::size_t>(x_numel), 1.0);
  if (kind == ModelKind::rnn_tanh) {
    init.target_shape = {1, batch, kRnnHidden};
    init.target = uniform(static_cast<std::size_t>(batch * kRnnHidden), 0.5);
  } else {
    for (std::int64_t i = 0; i < batch; ++i) {
      init.labels.push_back(static_cast<std::int64_t>(gen.below(kClasses)));
    }
  }
  return init;
}

std::unique_ptr<Runner> make_model(const ModelInit& init) { return std::make_unique<TgModel>(init); }

}  // namespace tapegrad_side
}  // namespace bench
