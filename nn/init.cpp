// Initializers: values drawn by the creation ops (so a seed gives what
// tg::uniform / tg::normal give) and written into the tensor's own storage.
#include "tapegrad/nn/init.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::nn::init {

namespace {

void check_target(const Tensor& t, const char* op, const Site& site) {
  if (!t.defined()) throw InvalidArgument(std::string(op) + ": the tensor is undefined", site);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": expected a float32 or float64 tensor, got " +
                         std::string(dtype_name(t.dtype())) + " " + t.shape().str(),
                     site);
  }
}

// Writes `values` (t's shape and dtype) into t's storage, unrecorded.
void write(Tensor& t, const Tensor& values) {
  NoGrad no_grad;
  const auto n = static_cast<std::size_t>(t.numel());
  dispatch_floating(t.dtype(), "init", [&]<class T>() { std::copy_n(values.data<T>(), n, t.mutable_data<T>()); });
}

Tensor fill(Tensor t, double value, const char* op, const Site& site) {
  check_target(t, op, site);
  NoGrad no_grad;
  const auto n = static_cast<std::size_t>(t.numel());
  dispatch_floating(t.dtype(), op, [&]<class T>() { std::fill_n(t.mutable_data<T>(), n, static_cast<T>(value)); }, site);
  return t;
}

Fans fans_of(const Shape& shape, const char* op, const Site& site) {
  if (shape.rank() < 2) {
    throw ShapeError(std::string(op) + ": fan_in and fan_out need a weight of rank >= 2, (out, in) or (O, C, k...), got " +
                         shape.str() + " (initialise a bias with zeros_ or constant_)",
                     site);
  }
  double receptive_field = 1;
  for (int axis = 2; axis < shape.rank(); ++axis) receptive_field *= static_cast<double>(shape[axis]);
  return {static_cast<double>(shape[1]) * receptive_field, static_cast<double>(shape[0]) * receptive_field};
}

double fan_of(const Fans& f, FanMode mode, const char* op, const Site& site) {
  switch (mode) {
    case FanMode::in: return f.in;
    case FanMode::out: return f.out;
    case FanMode::avg: return (f.in + f.out) / 2;
  }
  throw InvalidArgument(std::string(op) + ": unknown FanMode " + std::to_string(static_cast<int>(mode)) +
                            " (expected in, out or avg)",
                        site);
}

// N(0, scale/fan) for "normal", U(−r, r) with r = sqrt(3·scale/fan) (the same
// variance) otherwise, fan as `mode` picks it from t's shape.
Tensor variance_scaling(Tensor t, Generator& gen, double scale, FanMode mode, bool normal_values, const char* op,
                        const Site& site) {
  check_target(t, op, site);
  const double fan = fan_of(fans_of(t.shape(), op, site), mode, op, site);
  if (t.numel() == 0) return t;  // some extent is 0, and so is the fan
  const double variance = scale / fan;
  if (normal_values) write(t, normal(t.shape(), 0.0, std::sqrt(variance), gen, t.dtype(), site));
  else write(t, uniform(t.shape(), -std::sqrt(3 * variance), std::sqrt(3 * variance), gen, t.dtype(), site));
  return t;
}

}  // namespace

Fans fans(const Shape& shape, Site site) { return fans_of(shape, "fans", site); }

Tensor zeros_(Tensor t, Site site) { return fill(std::move(t), 0.0, "zeros_", site); }

Tensor constant_(Tensor t, double value, Site site) { return fill(std::move(t), value, "constant_", site); }

Tensor uniform_(Tensor t, double lo, double hi, Generator& gen, Site site) {
  check_target(t, "uniform_", site);
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(hi - lo) || !(lo <= hi)) {
    throw InvalidArgument("uniform_: expected finite lo <= hi, got lo = " + number_str(lo) + ", hi = " +
                              number_str(hi) + " (tensor " + t.shape().str() + ")",
                          site);
  }
  write(t, uniform(t.shape(), lo, hi, gen, t.dtype(), site));
  return t;
}

Tensor normal_(Tensor t, double mean, double std, Generator& gen, Site site) {
  check_target(t, "normal_", site);
  if (!std::isfinite(mean) || !std::isfinite(std) || !(std >= 0)) {
    throw InvalidArgument("normal_: expected a finite mean and a finite std >= 0, got mean = " + number_str(mean) +
                              ", std = " + number_str(std) + " (tensor " + t.shape().str() + ")",
                          site);
  }
  write(t, normal(t.shape(), mean, std, gen, t.dtype(), site));
  return t;
}

Tensor glorot_normal_(Tensor t, Generator& gen, Site site) {
  return variance_scaling(std::move(t), gen, 1.0, FanMode::avg, true, "glorot_normal_", site);
}
Tensor glorot_uniform_(Tensor t, Generator& gen, Site site) {
  return variance_scaling(std::move(t), gen, 1.0, FanMode::avg, false, "glorot_uniform_", site);
}
Tensor he_normal_(Tensor t, Generator& gen, FanMode mode, Site site) {
  return variance_scaling(std::move(t), gen, 2.0, mode, true, "he_normal_", site);
}
Tensor he_uniform_(Tensor t, Generator& gen, FanMode mode, Site site) {
  return variance_scaling(std::move(t), gen, 2.0, mode, false, "he_uniform_", site);
}
Tensor lecun_normal_(Tensor t, Generator& gen, Site site) {
  return variance_scaling(std::move(t), gen, 1.0, FanMode::in, true, "lecun_normal_", site);
}
Tensor lecun_uniform_(Tensor t, Generator& gen, Site site) {
  return variance_scaling(std::move(t), gen, 1.0, FanMode::in, false, "lecun_uniform_", site);
}

namespace {

using Factory = Initializer (*)(const Site&);

struct Entry {
  const char* name;
  Factory make;
};

// he_* / kaiming_* with one fan mode.
template <FanMode mode, bool normal_values>
Initializer he(const Site& site) {
  return [site](Tensor& t, Generator& gen) {
    if constexpr (normal_values) he_normal_(t, gen, mode, site);
    else he_uniform_(t, gen, mode, site);
  };
}

// Each initializer captures by_name's site, so its errors name the line
// that chose it rather than a line in this file.
const Entry kEntries[] = {
    {"zeros", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator&) { zeros_(t, site); }; }},
    {"ones", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator&) { constant_(t, 1.0, site); }; }},
    {"glorot_uniform", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { glorot_uniform_(t, g, site); }; }},
    {"glorot_normal", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { glorot_normal_(t, g, site); }; }},
    {"xavier_uniform", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { glorot_uniform_(t, g, site); }; }},
    {"xavier_normal", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { glorot_normal_(t, g, site); }; }},
    {"he_normal", he<FanMode::in, true>},
    {"he_uniform", he<FanMode::in, false>},
    {"kaiming_normal", he<FanMode::in, true>},
    {"kaiming_uniform", he<FanMode::in, false>},
    {"he_normal_fan_out", he<FanMode::out, true>},
    {"he_uniform_fan_out", he<FanMode::out, false>},
    {"kaiming_normal_fan_out", he<FanMode::out, true>},
    {"kaiming_uniform_fan_out", he<FanMode::out, false>},
    {"he_normal_fan_avg", he<FanMode::avg, true>},
    {"he_uniform_fan_avg", he<FanMode::avg, false>},
    {"kaiming_normal_fan_avg", he<FanMode::avg, true>},
    {"kaiming_uniform_fan_avg", he<FanMode::avg, false>},
    {"lecun_normal", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { lecun_normal_(t, g, site); }; }},
    {"lecun_uniform", [](const Site& site) -> Initializer { return [site](Tensor& t, Generator& g) { lecun_uniform_(t, g, site); }; }},
};

}  // namespace

Initializer by_name(std::string_view name, Site site) {
  for (const Entry& entry : kEntries) {
    if (name == entry.name) return entry.make(site);
  }
  std::string known;
  for (const Entry& entry : kEntries) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw InvalidArgument("init::by_name: unknown initializer '" + std::string(name) + "'; known: " + known, site);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const Entry& entry : kEntries) out.emplace_back(entry.name);
  return out;
}

}  // namespace tg::nn::init
