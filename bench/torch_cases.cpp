// The libtorch side of bench_mlp: the same cases, written against libtorch's
// C++ API. Compiled only when meson finds libtorch (TAPEGRAD_BENCH_TORCH).
#include <torch/torch.h>

#include <sstream>

#include "bench_cases.hpp"
#include "torch_support.hpp"

namespace bench::torch_side {

namespace {

class Mlp : public Runner {
 public:
  Mlp(const MlpInit& init, bool idiomatic) : idiomatic_(idiomatic), lr_(init.lr) {
    const std::size_t layers = init.weights.size();
    for (std::size_t l = 0; l < layers; ++l) {
      const std::int64_t in = init.sizes[l], out = init.sizes[l + 1];
      w_.push_back(from_floats(init.weights[l], {in, out}).requires_grad_(true));
      b_.push_back(from_floats(init.biases[l], {out}).requires_grad_(true));
    }
    for (std::size_t l = 0; l < layers; ++l) {
      params_.push_back(w_[l]);
      params_.push_back(b_[l]);
    }
    x_ = from_floats(init.x, {init.batch, init.sizes[0]});
    labels_ = torch::from_blob(const_cast<std::int64_t*>(init.labels.data()), {init.batch},
                               torch::kInt64)
                  .clone();
    labels_col_ = labels_.unsqueeze(1);
  }

  void step() override {
    torch::Tensor h = x_;
    const std::size_t layers = w_.size();
    for (std::size_t l = 0; l < layers; ++l) {
      h = idiomatic_ ? torch::addmm(b_[l], h, w_[l]) : torch::matmul(h, w_[l]) + b_[l];
      if (l + 1 < layers) h = torch::relu(h);
    }
    torch::Tensor loss;
    if (idiomatic_) {
      loss = torch::nn::functional::cross_entropy(h, labels_);
    } else {
      // The same primitives as the tapegrad side; gather wants an index of
      // the input's rank, hence the labels as a column (made once) and a squeeze.
      loss = (torch::logsumexp(h, 1) - h.gather(1, labels_col_).squeeze(1)).mean();
    }
    loss.backward();
    sgd_and_reset(params_, lr_);
    last_loss_ = loss.detach();
  }

  double last_loss() const override { return last_loss_.defined() ? last_loss_.item<double>() : 0.0; }
  double param_checksum() const override { return abs_sum(params_); }

 private:
  bool idiomatic_;
  float lr_;
  std::vector<torch::Tensor> w_, b_, params_;
  torch::Tensor x_, labels_, labels_col_, last_loss_;
};

class Chain : public Runner {
 public:
  Chain(int n_ops, ChainMode mode)
      : n_ops_(n_ops), mode_(mode), x_(torch::ones({}, torch::kFloat32).requires_grad_(true)) {}

  void step() override {
    if (mode_ == ChainMode::forward_no_grad) {
      torch::NoGradGuard no_grad;
      run();
    } else {
      run();
    }
  }

 private:
  void run() {
    torch::Tensor y = x_;
    for (int i = 0; i < n_ops_; ++i) y = (i & 1) ? y + kChainAdd : y * kChainMul;
    if (mode_ == ChainMode::forward_backward) {
      y.backward();
      result_ = x_.grad();
      x_.mutable_grad().reset();
    } else {
      result_ = y.detach();
    }
  }

 public:
  double last_loss() const override { return result_.defined() ? result_.item<double>() : 0.0; }

 private:
  int n_ops_;
  ChainMode mode_;
  torch::Tensor x_, result_;
};

}  // namespace

std::string describe() {
  std::ostringstream out;
  out << "libtorch " << TORCH_VERSION << " (" << at::get_num_threads() << " intra-op thread(s), "
      << "OpenMP backend)";
  return out.str();
}

void set_threads(int n) { torch::set_num_threads(n); }

std::unique_ptr<Runner> make_mlp(const MlpInit& init) { return std::make_unique<Mlp>(init, false); }

std::unique_ptr<Runner> make_mlp_idiomatic(const MlpInit& init) {
  return std::make_unique<Mlp>(init, true);
}

std::unique_ptr<Runner> make_chain(int n_ops, ChainMode mode) {
  return std::make_unique<Chain>(n_ops, mode);
}

void warm_up() {
  auto a = torch::ones({2, 2}, torch::requires_grad());
  auto y = torch::relu(torch::matmul(a, a) + 1.0).sum();
  y.backward();
}

}  // namespace bench::torch_side
