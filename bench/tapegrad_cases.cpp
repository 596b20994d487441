// The tapegrad side of bench_mlp, and the OpenBLAS floor it is held to: the
// MLP step, the per-op chain and the MLP's 8 gemms alone.
#include <cblas.h>

#include <cmath>
#include <utility>

#include <tapegrad/tapegrad.hpp>

#include "bench_cases.hpp"
#include "tapegrad_support.hpp"

namespace bench {

// Values straight from a tg::Generator (not through tensors), so that making
// them leaves nothing in tapegrad's buffer pool for the memory case to reuse.
MlpInit make_mlp_init(std::int64_t batch, std::uint64_t seed) {
  MlpInit init;
  init.sizes = {784, 256, 128, 10};
  init.batch = batch;
  init.lr = 0.01f;
  tg::Generator gen(seed);
  auto normals = [&](std::int64_t n, double scale) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& e : v) e = static_cast<float>(gen.normal() * scale);
    return v;
  };
  for (std::size_t l = 0; l + 1 < init.sizes.size(); ++l) {
    const std::int64_t in = init.sizes[l], out = init.sizes[l + 1];
    // He initialisation: N(0, 2 / fan_in); biases 0.
    init.weights.push_back(normals(in * out, std::sqrt(2.0 / static_cast<double>(in))));
    init.biases.emplace_back(static_cast<std::size_t>(out), 0.0f);
  }
  init.x = normals(batch * init.sizes[0], 1.0);
  for (std::int64_t i = 0; i < batch; ++i) {
    init.labels.push_back(static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(init.sizes.back()))));
  }
  return init;
}

namespace tapegrad_side {

namespace {

class TgMlp : public Runner {
 public:
  TgMlp(const MlpInit& init, bool idiomatic) : idiomatic_(idiomatic), lr_(init.lr) {
    for (std::size_t l = 0; l < init.weights.size(); ++l) {
      const std::int64_t in = init.sizes[l], out = init.sizes[l + 1];
      tg::Tensor w = tg::from_vector(init.weights[l], tg::Shape{in, out});
      tg::Tensor b = tg::from_vector(init.biases[l], tg::Shape{out});
      w.requires_grad_();
      b.requires_grad_();
      w_.push_back(w);
      b_.push_back(b);
    }
    for (std::size_t l = 0; l < w_.size(); ++l) {
      params_.push_back(w_[l]);
      params_.push_back(b_[l]);
    }
    x_ = tg::from_vector(init.x, tg::Shape{init.batch, init.sizes[0]});
    labels_ = tg::from_vector(init.labels, tg::Shape{init.batch});
  }

  void step() override {
    tg::Tensor h = x_;
    const std::size_t layers = w_.size();
    for (std::size_t l = 0; l < layers; ++l) {
      h = idiomatic_ ? tg::addmm(b_[l], h, w_[l]) : tg::matmul(h, w_[l]) + b_[l];
      if (l + 1 < layers) h = tg::relu(h);
    }
    const tg::Tensor loss = idiomatic_ ? tg::nn::cross_entropy(h, labels_)
                                       : tg::mean(tg::logsumexp(h, 1) - tg::gather(h, 1, labels_));
    loss.backward();
    sgd_and_reset(params_, lr_);
    last_loss_ = loss.detach();
  }

  double last_loss() const override { return last_loss_.defined() ? last_loss_.item() : 0.0; }
  double param_checksum() const override { return abs_sum(params_); }

 private:
  bool idiomatic_;
  float lr_;
  std::vector<tg::Tensor> w_, b_, params_;
  tg::Tensor x_, labels_, last_loss_;
};

class TgChain : public Runner {
 public:
  TgChain(int n_ops, ChainMode mode) : n_ops_(n_ops), mode_(mode), x_(tg::scalar(1.0)) {
    x_.requires_grad_();
  }

  void step() override {
    if (mode_ == ChainMode::forward_no_grad) {
      tg::NoGrad no_grad;
      run();
    } else {
      run();
    }
  }

 private:
  void run() {
    tg::Tensor y = x_;
    for (int i = 0; i < n_ops_; ++i) y = (i & 1) ? y + kChainAdd : y * kChainMul;
    if (mode_ == ChainMode::forward_backward) {
      y.backward();
      result_ = x_.grad();
      x_.zero_grad();
    } else {
      result_ = y.detach();
    }
  }

 public:
  /// dy/dx after forward + backward, else y.
  double last_loss() const override { return result_.defined() ? result_.item() : 0.0; }

 private:
  int n_ops_;
  ChainMode mode_;
  tg::Tensor x_, result_;
};

}  // namespace

std::unique_ptr<Runner> make_mlp(const MlpInit& init) { return std::make_unique<TgMlp>(init, false); }

std::unique_ptr<Runner> make_mlp_idiomatic(const MlpInit& init) { return std::make_unique<TgMlp>(init, true); }

std::unique_ptr<Runner> make_chain(int n_ops, ChainMode mode) {
  return std::make_unique<TgChain>(n_ops, mode);
}

}  // namespace tapegrad_side

// --- the OpenBLAS floor ---------------------------------------------------------------

GemmFloor GemmFloor::mlp(std::int64_t batch) {
  GemmFloor f;
  const std::int64_t b = batch;
  const std::int64_t s[] = {784, 256, 128, 10};
  for (int l = 0; l < 3; ++l) f.add(false, false, b, s[l + 1], s[l]);   // h_l · W
  for (int l = 2; l >= 0; --l) {
    f.add(true, false, s[l], s[l + 1], b);                              // h_lᵀ · g
    if (l > 0) f.add(false, true, b, s[l], s[l + 1]);                  // g · Wᵀ
  }
  return f;
}

GemmFloor GemmFloor::lstm(std::int64_t batch, std::int64_t steps, std::int64_t in, std::int64_t hidden,
                          std::int64_t classes) {
  GemmFloor f;
  const std::int64_t gates = 4 * hidden, n = batch, t = steps;
  f.add(false, true, n * t, gates, in);                                      // x W_ihᵀ, all steps
  for (std::int64_t s = 1; s < t; ++s) f.add(false, true, n, gates, hidden);  // h_{s-1} W_hhᵀ
  f.add(false, true, n, classes, hidden);                                    // h_T Wᵀ
  f.add(true, false, classes, hidden, n);                                    // dW = gᵀ h_T
  f.add(false, false, n, hidden, classes);                                   // dh_T = g W
  for (std::int64_t s = 1; s < t; ++s) f.add(false, false, n, hidden, gates);  // dh_{s-1} = dgates_s W_hh
  f.add(true, false, gates, hidden, n * (t - 1));                            // dW_hh, all steps
  f.add(true, false, gates, in, n * t);                                      // dW_ih, all steps
  return f;
}

void GemmFloor::step() {
  for (Gemm& g : gemms_) {
    // Row-major leading dimensions of the stored (untransposed) operands.
    const int lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n;
    cblas_sgemm(CblasRowMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans,
                g.m, g.n, g.k, 1.0f, g.a.data(), lda, g.b.data(), ldb, 0.0f, g.c.data(), g.n);
  }
}

double GemmFloor::flops() const {
  double f = 0;
  for (const Gemm& g : gemms_) f += 2.0 * g.m * g.n * g.k;
  return f;
}

void GemmFloor::add(bool ta, bool tb, std::int64_t m, std::int64_t n, std::int64_t k) {
  Gemm g{ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), {}, {}, {}};
  g.a.assign(static_cast<std::size_t>(m) * k, 0.5f);
  g.b.assign(static_cast<std::size_t>(k) * n, 0.25f);
  g.c.assign(static_cast<std::size_t>(m) * n, 0.0f);
  gemms_.push_back(std::move(g));
}

}  // namespace bench
