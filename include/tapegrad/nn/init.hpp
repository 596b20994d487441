// Initializers: overwrite a tensor's values in place, without recording.
// The tensor keeps its identity, so every handle to it (a module's
// parameter, an optimizer's reference) sees the new values. float32 and
// float64. Random values come from an explicit Generator, drawn in row-major
// order, so a seed gives the same tensor on every run and platform: the
// draws are those of tg::uniform / tg::normal for the same shape.
//
// Naming follows PyTorch (torch.nn.init): a trailing underscore marks an
// in-place function; xavier_* and kaiming_* are aliases of glorot_* and he_*.
//
// tests/reliability/test_bad_input.cpp reads the ops of this header from the
// declarations at column 0 (return type and name on the first line; see
// tests/reliability/public_api.hpp) and requires a bad-input case for each.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../autodiff/creation.hpp"
#include "../autodiff/errors.hpp"
#include "../autodiff/tensor.hpp"

namespace tg::nn::init {

/// The number of inputs and outputs each unit of a weight connects to.
struct Fans {
  double in = 0;
  double out = 0;
};

/// Fans of a weight: (out, in) for Linear gives fan_in = in, fan_out = out;
/// (O, C, k...) for a convolution counts the receptive field,
/// fan_in = C·Πk, fan_out = O·Πk. Throws ShapeError for rank < 2 (a bias
/// has no fans: use zeros_ or constant_).
Fans fans(const Shape& shape, Site site = Site::current());

/// Which fan scales the variance of he_* (PyTorch's mode="fan_in" /
/// "fan_out"): fan_in preserves the variance of activations in the forward
/// pass, fan_out that of gradients in the backward pass; avg is (in + out) / 2.
enum class FanMode { in, out, avg };

/// All values 0.
Tensor zeros_(Tensor t, Site site = Site::current());
/// All values `value`.
Tensor constant_(Tensor t, double value, Site site = Site::current());
/// Uniform values in [lo, hi).
Tensor uniform_(Tensor t, double lo, double hi, Generator& gen, Site site = Site::current());
/// Normal values with the given mean and standard deviation (std >= 0).
Tensor normal_(Tensor t, double mean, double std, Generator& gen, Site site = Site::current());

/// Glorot (Xavier) normal: N(0, σ²) with σ² = 1/n_avg, n_avg = (fan_in + fan_out)/2,
/// i.e. σ = sqrt(2/(fan_in + fan_out)). Keeps activation and gradient
/// variances alike across layers with symmetric activations (tanh).
/// Glorot & Bengio, 2010, "Understanding the difficulty of training deep
/// feedforward neural networks". (Keras truncates this normal; tapegrad,
/// like PyTorch, does not.)
Tensor glorot_normal_(Tensor t, Generator& gen, Site site = Site::current());
/// Glorot (Xavier) uniform: U(−r, r), r = sqrt(3/n_avg) = sqrt(6/(fan_in + fan_out)),
/// the same variance as glorot_normal_. Glorot & Bengio, 2010.
Tensor glorot_uniform_(Tensor t, Generator& gen, Site site = Site::current());

/// He (Kaiming) normal: N(0, σ²) with σ² = 2/fan, fan chosen by `mode`; the
/// factor 2 makes up for ReLU zeroing half its inputs. He et al., 2015,
/// "Delving Deep into Rectifiers: Surpassing Human-Level Performance on
/// ImageNet Classification".
Tensor he_normal_(Tensor t, Generator& gen, FanMode mode = FanMode::in, Site site = Site::current());
/// He (Kaiming) uniform: U(−r, r), r = sqrt(6/fan), the variance of
/// he_normal_. He et al., 2015.
Tensor he_uniform_(Tensor t, Generator& gen, FanMode mode = FanMode::in, Site site = Site::current());

/// LeCun normal: N(0, σ²) with σ² = 1/fan_in; the initialisation SELU
/// networks need to self-normalise. LeCun et al., 1998, "Efficient
/// BackProp"; Klambauer et al., 2017, "Self-Normalizing Neural Networks".
Tensor lecun_normal_(Tensor t, Generator& gen, Site site = Site::current());
/// LeCun uniform: U(−r, r), r = sqrt(3/fan_in), the variance of
/// lecun_normal_. LeCun et al., 1998.
Tensor lecun_uniform_(Tensor t, Generator& gen, Site site = Site::current());

/// Aliases, PyTorch's names.
inline Tensor xavier_normal_(Tensor t, Generator& gen, Site site = Site::current()) {
  return glorot_normal_(std::move(t), gen, site);
}
inline Tensor xavier_uniform_(Tensor t, Generator& gen, Site site = Site::current()) {
  return glorot_uniform_(std::move(t), gen, site);
}
inline Tensor kaiming_normal_(Tensor t, Generator& gen, FanMode mode = FanMode::in, Site site = Site::current()) {
  return he_normal_(std::move(t), gen, mode, site);
}
inline Tensor kaiming_uniform_(Tensor t, Generator& gen, FanMode mode = FanMode::in, Site site = Site::current()) {
  return he_uniform_(std::move(t), gen, mode, site);
}

/// An initializer chosen by name, for configurations.
using Initializer = std::function<void(Tensor&, Generator&)>;

/// The initializer called `name`: "zeros", "ones", "glorot_uniform",
/// "glorot_normal", "xavier_uniform", "xavier_normal", "he_normal",
/// "he_uniform", "kaiming_normal", "kaiming_uniform" (fan_in), the he_* and
/// kaiming_* names with the suffix "_fan_out" or "_fan_avg", "lecun_normal",
/// "lecun_uniform". An unknown name throws InvalidArgument listing the known
/// ones. Errors of the returned initializer (a rank-1 tensor for a fan-based
/// scheme) name this call's line.
Initializer by_name(std::string_view name, Site site = Site::current());

/// The names by_name accepts, in the order listed above.
std::vector<std::string> names();

}  // namespace tg::nn::init
