// Activations as modules, for Sequential; each is also a function in
// tapegrad/autodiff (tg::relu, tg::softmax, ...), which these call.
//
// tests/reliability/test_bad_input.cpp reads the ops of this header from the
// declarations at column 0 (return type and name on the first line; see
// tests/reliability/public_api.hpp) and requires a bad-input case for each.
#pragma once

#include <string_view>

#include "containers.hpp"

namespace tg::nn {

/// f(x) = x.
struct Identity : Lambda { Identity(); };
/// 1 / (1 + e^−x).
struct Sigmoid : Lambda { Sigmoid(); };
struct Tanh : Lambda { Tanh(); };
/// max(x, 0).
struct ReLU : Lambda { ReLU(); };
/// x for x > 0, slope·x otherwise (Maas et al., 2013); slope 0.01 by default.
struct LeakyReLU : Lambda { explicit LeakyReLU(double slope = 0.01); };
/// x for x > 0, α(eˣ − 1) otherwise (Clevert et al., 2015); α = 1 by default.
struct ELU : Lambda { explicit ELU(double alpha = 1.0); };
/// λ·elu(x, α), α ≈ 1.6733, λ ≈ 1.0507 (Klambauer et al., 2017): with
/// LeCun normal initialisation, activations keep mean 0 and variance 1.
struct SELU : Lambda { SELU(); };
/// x·Φ(x), the exact form (Hendrycks & Gimpel, 2016).
struct GELU : Lambda { GELU(); };
/// log(1 + e^(βx)) / β.
struct Softplus : Lambda { explicit Softplus(double beta = 1.0); };
/// exp(x_j/T) / Σ_i exp(x_i/T) along `axis`. For classification, train on
/// logits with cross_entropy instead of putting this before the loss.
struct Softmax : Lambda { explicit Softmax(int axis = -1, double temperature = 1.0); };
/// log softmax(x/T) along `axis`, for nll_loss.
struct LogSoftmax : Lambda { explicit LogSoftmax(int axis = -1, double temperature = 1.0); };

/// The activation module called `name`: "identity" (or "linear"),
/// "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
/// "softplus", "softmax", "log_softmax", with default parameters. An unknown
/// name throws InvalidArgument listing the known ones.
ModulePtr activation(std::string_view name);

}  // namespace tg::nn
