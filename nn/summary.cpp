// Module::summary: a Keras-style table of the module tree, with the output
// shape each submodule produced on one forward pass.
#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/nn/module.hpp"

namespace tg::nn {

namespace {

// 235146 -> "235,146"
std::string grouped(std::int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

// Restores the training mode of every module when the summary ends, even
// when the forward pass throws.
class ModeGuard {
 public:
  explicit ModeGuard(const std::vector<NamedModule>& modules) {
    for (const NamedModule& m : modules) saved_.emplace_back(m.module, m.module->is_training());
  }
  ~ModeGuard() {
    // train() sets a whole subtree; named_modules() lists parents before
    // their children, so each child's own mode is set back after its parent's.
    for (auto& [module, training] : saved_) module->train(training);
  }

 private:
  std::vector<std::pair<Module*, bool>> saved_;
};

}  // namespace

std::string Module::summary(const Shape& input_shape) { return summary(zeros(input_shape, dtype())); }

std::string Module::summary(const Tensor& example_input) {
  if (!example_input.defined()) throw InvalidArgument(type_name_ + "::summary: the example input is undefined");
  const std::vector<NamedModule> modules = named_modules();
  std::map<const Module*, Shape> output_shapes;
  std::vector<HookHandle> handles;
  for (const NamedModule& m : modules) {
    handles.push_back(m.module->register_forward_hook(
        [&output_shapes](const Module& module, const Tensor&, const Tensor& output) {
          if (output.defined()) output_shapes[&module] = output.shape();
        }));
  }
  {
    ModeGuard restore_modes(modules);
    NoGrad no_grad;
    eval();
    try {
      (*this)(example_input);
    } catch (...) {
      for (HookHandle& h : handles) h.remove();
      throw;
    }
  }
  for (HookHandle& h : handles) h.remove();

  struct Row {
    std::string layer, shape, params;
  };
  std::vector<Row> rows;
  std::size_t width_layer = std::string("Layer (type)").size(), width_shape = std::string("Output shape").size();
  for (const NamedModule& m : modules) {
    if (m.name.empty() && modules.size() > 1) continue;  // the root is the totals line
    const auto depth = static_cast<std::size_t>(std::count(m.name.begin(), m.name.end(), '.'));
    const std::string label = std::string(2 * depth, ' ') + (m.name.empty() ? type_name_ : m.name) + " (" +
                              m.module->type_name() + ")";
    const auto found = output_shapes.find(m.module);
    const std::string shape = found == output_shapes.end() ? "(not called)" : found->second.str();
    rows.push_back({label, shape, grouped(m.module->parameter_count())});
    width_layer = std::max(width_layer, label.size());
    width_shape = std::max(width_shape, shape.size());
  }
  std::int64_t trainable = 0, frozen = 0;
  for (const Tensor& p : parameters()) (p.requires_grad() ? trainable : frozen) += p.numel();

  std::ostringstream out;
  const std::size_t width = width_layer + width_shape + 16;
  out << type_name_ << ", input " << example_input.shape().str() << "\n" << std::string(width, '=') << "\n";
  auto line = [&](const std::string& a, const std::string& b, const std::string& c) {
    out << std::left << std::setw(static_cast<int>(width_layer + 2)) << a << std::setw(static_cast<int>(width_shape + 2))
        << b << std::right << std::setw(12) << c << "\n";
  };
  line("Layer (type)", "Output shape", "Param #");
  out << std::string(width, '-') << "\n";
  for (const Row& r : rows) line(r.layer, r.shape, r.params);
  out << std::string(width, '=') << "\n";
  out << "Total params: " << grouped(trainable + frozen) << "\n";
  out << "Trainable params: " << grouped(trainable) << "\n";
  out << "Non-trainable params: " << grouped(frozen) << "\n";
  return out.str();
}

}  // namespace tg::nn
