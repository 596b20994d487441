// A program outside the tree, as a user writes it, built against an
// installed tapegrad (scripts/consumer-test.sh): a gradient through the
// tape and one step of a small model, checked, so that a broken install
// fails at run time too, not only at link time.
#include <tapegrad/tapegrad.hpp>

#include <cmath>
#include <iostream>

int main() {
  auto x = tg::scalar(0.5, tg::f64).requires_grad_();
  auto y = tg::tanh(x);
  y.backward();
  const double expected = 1 - std::tanh(0.5) * std::tanh(0.5);
  if (std::abs(x.grad().item() - expected) > 1e-12) {
    std::cerr << "consumer: d tanh(x)/dx = " << x.grad().item() << ", expected " << expected << "\n";
    return 1;
  }
  tg::manual_seed(0);
  tg::nn::Sequential model(tg::nn::Linear(4, 8), tg::nn::ReLU(), tg::nn::Linear(8, 2));
  tg::optim::SGD sgd(model.parameters(), {.lr = 0.1});
  tg::Generator gen(1);
  auto inputs = tg::randn({16, 4}, gen);
  auto labels = tg::tensor({0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, tg::i64);
  const auto loss = [&] { return tg::nn::cross_entropy(model(inputs), labels); };
  const double before = loss().item();
  for (int step = 0; step < 20; ++step) {
    auto l = loss();
    sgd.zero_grad();
    l.backward();
    sgd.step();
  }
  const double after = loss().item();
  std::cout << "consumer: tapegrad works: loss " << before << " -> " << after << "\n";
  return after < before ? 0 : 1;
}
