// The README's example: a custom loss, differentiated by the tape and
// checked with gradcheck.
#include <iostream>
#include <tapegrad/tapegrad.hpp>

// Focal loss (Lin et al., 2017): cross-entropy that down-weights easy examples.
tg::Tensor focal_loss(const tg::Tensor& logits, const tg::Tensor& labels, double gamma = 2) {
  auto logp = logits - tg::logsumexp(logits, /*axis=*/-1, /*keepdims=*/true);
  auto logp_t = tg::gather(logp, -1, labels);  // log-probability of each label
  return tg::mean(-tg::pow(1.0 - tg::exp(logp_t), gamma) * logp_t);
}

int main() {
  tg::Generator gen(42);
  auto labels = tg::from_vector(std::vector<std::int64_t>{3, 0, 7, 1}, {4});
  auto logits = tg::randn({4, 10}, gen).requires_grad_();

  auto loss = focal_loss(logits, labels);
  loss.backward();                                  // the tape does the rest
  std::cout << "loss " << loss.item() << ", d loss/d logits " << logits.grad().shape().str() << "\n";

  auto report = tg::gradcheck([&](auto& l) { return focal_loss(l, labels); }, {logits});
  std::cout << report;                              // per-input table, in float64
  return report.ok() ? 0 : 1;
}
