// The libtorch side of the layer-built cases: the same models as a libtorch
// user writes them (torch::nn modules, F::cross_entropy / F::mse_loss), with
// tapegrad's initial values copied in, and the same raw SGD loop.
#include <torch/torch.h>

#include <stdexcept>

#include "bench_cases.hpp"
#include "torch_support.hpp"

namespace bench::torch_side {

namespace {

namespace tnn = torch::nn;
namespace F = torch::nn::functional;

struct BenchModelImpl : tnn::Module {
  explicit BenchModelImpl(ModelKind kind) : kind(kind) {
    switch (kind) {
      case ModelKind::deep_mlp:
        for (int l = 0; l < 20; ++l) {
          body->push_back(tnn::Linear(64, 64));
          body->push_back(tnn::ReLU());
        }
        body->push_back(tnn::Linear(64, 10));
        register_module("body", body);
        break;
      case ModelKind::cnn:
        body->push_back(tnn::Conv2d(tnn::Conv2dOptions(1, 8, 3).padding(1)));
        body->push_back(tnn::ReLU());
        body->push_back(tnn::MaxPool2d(2));
        body->push_back(tnn::Conv2d(tnn::Conv2dOptions(8, 16, 3).padding(1)));
        body->push_back(tnn::ReLU());
        body->push_back(tnn::MaxPool2d(2));
        body->push_back(tnn::Flatten());
        body->push_back(tnn::Linear(16 * 7 * 7, 10));
        register_module("body", body);
        break;
      case ModelKind::rnn_tanh:
        rnn = register_module("rnn", tnn::RNN(tnn::RNNOptions(32, 64).batch_first(true)));
        break;
      case ModelKind::lstm:
        lstm = register_module("lstm", tnn::LSTM(tnn::LSTMOptions(28, 128).batch_first(true)));
        head = register_module("head", tnn::Linear(128, 10));
        break;
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    switch (kind) {
      case ModelKind::rnn_tanh:
        return std::get<1>(rnn->forward(x));  // h_n (1, N, H)
      case ModelKind::lstm: {
        const torch::Tensor h = std::get<0>(std::get<1>(lstm->forward(x)));
        return head->forward(h.squeeze(0));
      }
      default:
        return body->forward(x);
    }
  }

  ModelKind kind;
  tnn::Sequential body;
  tnn::RNN rnn{nullptr};
  tnn::LSTM lstm{nullptr};
  tnn::Linear head{nullptr};
};
TORCH_MODULE(BenchModel);

class TorchModel : public Runner {
 public:
  explicit TorchModel(const ModelInit& init) : kind_(init.kind), lr_(init.lr), model_(init.kind) {
    params_ = model_->parameters();
    if (params_.size() != init.params.size()) throw std::logic_error("bench: libtorch parameter count differs");
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (params_[i].sizes().vec() != init.param_shapes[i]) {
        throw std::logic_error("bench: libtorch parameter shape differs");
      }
      params_[i].copy_(from_floats(init.params[i], init.param_shapes[i]));
    }
    x_ = from_floats(init.x, init.x_shape);
    if (kind_ == ModelKind::rnn_tanh) {
      target_ = from_floats(init.target, init.target_shape);
    } else {
      labels_ = torch::tensor(init.labels, torch::kInt64);
    }
  }

  void step() override {
    const torch::Tensor out = model_->forward(x_);
    const torch::Tensor loss =
        kind_ == ModelKind::rnn_tanh ? F::mse_loss(out, target_) : F::cross_entropy(out, labels_);
    loss.backward();
    sgd_and_reset(params_, lr_);
    last_loss_ = loss.detach();
  }

  double last_loss() const override { return last_loss_.defined() ? last_loss_.item<double>() : 0.0; }
  double param_checksum() const override { return abs_sum(params_); }

 private:
  ModelKind kind_;
  float lr_;
  BenchModel model_;
  std::vector<torch::Tensor> params_;
  torch::Tensor x_, target_, labels_, last_loss_;
};

}  // namespace

std::unique_ptr<Runner> make_model(const ModelInit& init) { return std::make_unique<TorchModel>(init); }

}  // namespace bench::torch_side
