// Activations as modules: the same values as the functions, lookup by
// name, and SELU's self-normalisation through a deep net.
#include <doctest/doctest.h>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

TEST_CASE("activation modules match their functions, and by name") {
  const Tensor x = tensor({-2, -0.5, 0, 0.5, 3}, f64);
  check_values(nn::ReLU()(x), relu(x).to_vector<double>());
  check_values(nn::Sigmoid()(x), sigmoid(x).to_vector<double>());
  check_values(nn::Tanh()(x), tanh(x).to_vector<double>());
  check_values(nn::LeakyReLU(0.2)(x), {-0.4, -0.1, 0, 0.5, 3});
  check_values(nn::ELU(2.0)(x), elu(x, 2.0).to_vector<double>());
  check_values(nn::SELU()(x), selu(x).to_vector<double>());
  check_values(nn::GELU()(x), gelu(x).to_vector<double>());
  check_values(nn::Softplus()(x), softplus(x).to_vector<double>());
  check_values(nn::Identity()(x), x.to_vector<double>());
  check_values(nn::Softmax(-1, 2.0)(x), softmax(x, -1, 2.0).to_vector<double>());
  check_values(nn::LogSoftmax()(x), log_softmax(x).to_vector<double>());
  for (const char* name : {"identity", "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
                           "softplus", "softmax", "log_softmax"}) {
    INFO(name);
    const nn::ModulePtr m = nn::activation(name);
    REQUIRE(m);
    CHECK((*m)(x).shape() == x.shape());
  }
  CHECK(nn::activation("relu")->type_name() == "ReLU");
  CHECK_ERROR(InvalidArgument, nn::activation("swish"), "activation: unknown activation 'swish'; known: identity", "relu", "gelu");
}

TEST_CASE("SELU with LeCun normal init keeps activations at mean 0, variance 1 through 30 layers of 256") {
  // Klambauer et al. (2017): with weights of variance 1/fan_in, the fixed
  // point of SELU's mean and variance is (0, 1); it holds layer after layer.
  Generator gen(5);
  Tensor h = randn({512, 256}, gen);
  NoGrad no_grad;
  for (int layer = 0; layer < 30; ++layer) {
    nn::Linear dense(256, 256, {.bias = false, .init = "lecun_normal", .generator = &gen});
    h = nn::SELU()(dense(h));
  }
  const double mu = mean(h).item();
  const double variance = var(h).item();
  INFO("mean " << mu << ", variance " << variance);
  CHECK(std::abs(mu) < 0.1);
  CHECK(variance == doctest::Approx(1.0).epsilon(0.15));
  // The contrast: tanh with the same init shrinks the variance layer by layer.
  Tensor t = randn({512, 256}, gen);
  for (int layer = 0; layer < 30; ++layer) {
    nn::Linear dense(256, 256, {.bias = false, .init = "lecun_normal", .generator = &gen});
    t = tanh(dense(t));
  }
  CHECK(var(t).item() < 0.3);
}
