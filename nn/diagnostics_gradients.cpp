// Per-layer gradient and weight norms, and the vanishing/exploding flags.
#include <cmath>

#include "diagnostics_support.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/nn/diagnostics.hpp"

namespace tg::nn {

using detail::sci;

namespace {

// Σ x² over the elements, in double.
double sum_of_squares(const Tensor& t) {
  double total = 0;
  if (!is_floating(t.dtype())) return total;
  dispatch_floating(t.dtype(), "gradient_report", [&]<class T>() {
    const T* values = t.data<T>();
    const std::int64_t n = t.numel();
    for (std::int64_t i = 0; i < n; ++i) total += static_cast<double>(values[i]) * static_cast<double>(values[i]);
  });
  return total;
}

LayerGradient norms_of(const NamedModule& layer) {
  LayerGradient out;
  out.name = layer.name;
  out.type = layer.module->type_name();
  double weights = 0, grads = 0;
  for (const Tensor& p : layer.module->parameters(false)) {
    out.parameters += p.numel();
    weights += sum_of_squares(p);
    const Tensor g = p.grad();
    if (g.defined()) {
      out.has_grad = true;
      grads += sum_of_squares(g);
    }
  }
  out.weight_norm = std::sqrt(weights);
  out.grad_norm = std::sqrt(grads);
  return out;
}

std::string layer_str(const LayerGradient& layer) {
  return "'" + layer.name + "' (" + layer.type + ")";
}

}  // namespace

GradientReport gradient_report(const Module& model, const GradientOptions& options) {
  std::vector<NamedModule> layers;
  for (const NamedModule& m : model.named_modules())
    if (!m.module->parameters(false).empty()) layers.push_back(m);
  return gradient_report(layers, options);
}

GradientReport gradient_report(const std::vector<NamedModule>& layers, const GradientOptions& options) {
  GradientReport report;
  const LayerGradient* first = nullptr;
  const LayerGradient* last = nullptr;
  report.layers.reserve(layers.size());
  for (const NamedModule& m : layers) report.layers.push_back(norms_of(m));
  for (const LayerGradient& layer : report.layers) {
    if (!std::isfinite(layer.grad_norm) || !std::isfinite(layer.weight_norm)) {
      report.non_finite = report.exploding = true;
      report.warnings.push_back("non-finite " + std::string(std::isfinite(layer.grad_norm) ? "weights" : "gradient") +
                                " in layer " + layer_str(layer) +
                                ": lower the learning rate or clip gradients, and turn on tg::DetectAnomaly "
                                "to find the op where the NaN or Inf first appears");
    }
    if (!layer.has_grad) continue;
    if (!first) first = &layer;
    last = &layer;
  }
  if (report.layers.empty()) return report;
  if (!first) {
    report.warnings.push_back("no layer has a gradient: call backward() before taking the gradient report");
    return report;
  }
  if (first == last || report.non_finite) return report;
  if (last->grad_norm == 0) {
    report.warnings.push_back("the last layer " + layer_str(*last) +
                              " has a zero gradient: the loss does not depend on it, or its outputs are dead "
                              "(a ReLU or a saturated activation after it)");
    return report;
  }
  report.first_last_ratio = first->grad_norm / last->grad_norm;
  const std::string ratio = "the first layer " + layer_str(*first) + " has a gradient norm of " +
                            sci(first->grad_norm) + ", " + sci(report.first_last_ratio) + " times the last layer " +
                            layer_str(*last) + "'s " + sci(last->grad_norm);
  if (report.first_last_ratio < options.vanishing_below) {
    report.vanishing = true;
    report.warnings.push_back("vanishing gradients: " + ratio + " (below " + sci(options.vanishing_below) +
                              "), so the early layers barely learn: use ReLU-family activations with He "
                              "initialisation (Glorot for tanh), normalisation layers or residual connections, "
                              "or a shallower net");
  } else if (report.first_last_ratio > options.exploding_above) {
    report.exploding = true;
    report.warnings.push_back("exploding gradients: " + ratio + " (above " + sci(options.exploding_above) +
                              "), growing toward the input: scale the initialisation to the fan-in (Glorot, He), "
                              "clip gradients (FitOptions::clip_grad_norm) or lower the learning rate");
  }
  return report;
}

std::string detail::layers_table(const GradientReport& report) {
  detail::TextTable table({"Layer", "Type", "Params", "Weight norm", "Grad norm", "Grad/weight"});
  for (const LayerGradient& layer : report.layers) {
    table.add({layer.name.empty() ? "(model)" : layer.name, layer.type, std::to_string(layer.parameters),
               sci(layer.weight_norm), layer.has_grad ? sci(layer.grad_norm) : "-",
               layer.has_grad && layer.weight_norm > 0 ? sci(layer.grad_norm / layer.weight_norm) : "-"});
  }
  std::string out = table.str() + "Gradient norm, first / last layer: " + sci(report.first_last_ratio, true);
  if (report.vanishing) out += " (vanishing)";
  if (report.exploding) out += " (exploding)";
  return out + "\n";
}

std::string GradientReport::str() const {
  std::string out = detail::layers_table(*this);
  for (const std::string& w : warnings) out += "warning: " + w + "\n";
  return out;
}

}  // namespace tg::nn
