#include "tapegrad/nn/activation.hpp"

#include <functional>
#include <sstream>
#include <utility>
#include <vector>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

namespace {

std::string with_value(const char* name, double v) {
  std::ostringstream out;
  out << name << " = " << v;
  return out.str();
}

}  // namespace

Identity::Identity() : Lambda("Identity", [](const Tensor& x) { return x; }) {}
Sigmoid::Sigmoid() : Lambda("Sigmoid", [](const Tensor& x) { return sigmoid(x); }) {}
Tanh::Tanh() : Lambda("Tanh", [](const Tensor& x) { return tanh(x); }) {}
ReLU::ReLU() : Lambda("ReLU", [](const Tensor& x) { return relu(x); }) {}
LeakyReLU::LeakyReLU(double slope)
    : Lambda("LeakyReLU", [slope](const Tensor& x) { return leaky_relu(x, slope); }, with_value("slope", slope)) {}
ELU::ELU(double alpha)
    : Lambda("ELU", [alpha](const Tensor& x) { return elu(x, alpha); }, with_value("alpha", alpha)) {}
SELU::SELU() : Lambda("SELU", [](const Tensor& x) { return selu(x); }) {}
GELU::GELU() : Lambda("GELU", [](const Tensor& x) { return gelu(x); }) {}
Softplus::Softplus(double beta)
    : Lambda("Softplus", [beta](const Tensor& x) { return softplus(x, beta); }, with_value("beta", beta)) {}
Softmax::Softmax(int axis, double t)
    : Lambda("Softmax", [axis, t](const Tensor& x) { return softmax(x, axis, t); },
             "axis = " + std::to_string(axis) + ", " + with_value("T", t)) {}
LogSoftmax::LogSoftmax(int axis, double t)
    : Lambda("LogSoftmax", [axis, t](const Tensor& x) { return log_softmax(x, axis, t); },
             "axis = " + std::to_string(axis) + ", " + with_value("T", t)) {}

ModulePtr activation(std::string_view name) {
  static const std::vector<std::pair<std::string_view, std::function<ModulePtr()>>> known = {
      {"identity", [] { return std::make_shared<Identity>(); }},
      {"linear", [] { return std::make_shared<Identity>(); }},
      {"sigmoid", [] { return std::make_shared<Sigmoid>(); }},
      {"tanh", [] { return std::make_shared<Tanh>(); }},
      {"relu", [] { return std::make_shared<ReLU>(); }},
      {"leaky_relu", [] { return std::make_shared<LeakyReLU>(); }},
      {"elu", [] { return std::make_shared<ELU>(); }},
      {"selu", [] { return std::make_shared<SELU>(); }},
      {"gelu", [] { return std::make_shared<GELU>(); }},
      {"softplus", [] { return std::make_shared<Softplus>(); }},
      {"softmax", [] { return std::make_shared<Softmax>(); }},
      {"log_softmax", [] { return std::make_shared<LogSoftmax>(); }},
  };
  std::string names;
  for (const auto& [known_name, make] : known) {
    if (known_name == name) return make();
    names += (names.empty() ? "" : ", ") + std::string(known_name);
  }
  throw InvalidArgument("activation: unknown activation '" + std::string(name) + "'; known: " + names);
}

}  // namespace tg::nn
