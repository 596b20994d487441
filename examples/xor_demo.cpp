// make demo (until the Fashion-MNIST demo lands): a 2-8-1 network learns XOR
// with plain gradient descent on the tape, after gradcheck has verified the
// gradient of its loss.
#include <cstdio>
#include <tapegrad/tapegrad.hpp>

using namespace tg;

namespace {

struct Net {
  Tensor w1, b1, w2, b2;
  std::vector<Tensor*> parameters() { return {&w1, &b1, &w2, &b2}; }
};

Tensor forward(const Net& net, const Tensor& x) {
  return matmul(tanh(matmul(x, net.w1) + net.b1), net.w2) + net.b2;  // logits
}

// Binary cross-entropy from logits, written by hand from primitives:
// softplus(z) − y·z = −[y·log σ(z) + (1−y)·log(1−σ(z))].
Tensor bce_with_logits(const Tensor& z, const Tensor& y) { return mean(softplus(z) - y * z); }

}  // namespace

int main() {
  Generator gen(0);
  const Tensor x = tensor({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = tensor({0, 1, 1, 0}, {4, 1});
  Net net{randn({2, 8}, gen) * 1.0, zeros({8}), randn({8, 1}, gen) * 0.5, zeros({1})};
  for (Tensor* p : net.parameters()) p->requires_grad_();

  // 1. Check the loss's gradient against central differences, in float64.
  GradcheckReport report = gradcheck(
      [&](Tensor& w1, Tensor& b1, Tensor& w2, Tensor& b2) {
        return bce_with_logits(forward(Net{w1, b1, w2, b2}, to_dtype(x, f64)), to_dtype(y, f64));
      },
      {net.w1, net.b1, net.w2, net.b2});
  std::printf("Gradient of the XOR loss, checked numerically:\n%s\n", report.str().c_str());
  if (!report.ok()) return 1;

  // 2. Train with plain gradient descent.
  std::printf("%6s  %10s\n", "step", "loss");
  for (int step = 0; step <= 2000; ++step) {
    Tensor loss = bce_with_logits(forward(net, x), y);
    loss.backward();
    NoGrad no_grad;
    for (Tensor* p : net.parameters()) {
      float* value = p->mutable_data<float>();
      const float* g = p->grad().data<float>();
      for (std::int64_t i = 0; i < p->numel(); ++i) value[i] -= 0.5f * g[i];
      p->zero_grad();
    }
    if (step % 400 == 0) std::printf("%6d  %10.6f\n", step, loss.item());
  }

  // 3. What it learned.
  NoGrad no_grad;
  const auto p = sigmoid(forward(net, x)).to_vector<float>();
  const auto in = x.to_vector<float>();
  const auto want = y.to_vector<float>();
  int correct = 0;
  std::printf("\n%4s %4s  %8s  %6s\n", "x1", "x2", "p(1)", "target");
  for (int i = 0; i < 4; ++i) {
    std::printf("%4.0f %4.0f  %8.4f  %6.0f\n", in[2 * i], in[2 * i + 1], p[i], want[i]);
    correct += (p[i] > 0.5f) == (want[i] > 0.5f);
  }
  std::printf("\nXOR learned: %d/4 correct\n", correct);
  return correct == 4 ? 0 : 1;
}
