// Diagnostics: forward hooks on a model's activations and layers, gradient
// norms per batch, epoch aggregates and a report.
#include <unordered_map>
#include <unordered_set>

#include "diagnostics_support.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn {
namespace {

// What is kept of one watched activation module.
struct Watched {
  enum class Kind { relu, sigmoid, tanh };
  const Module* module = nullptr;
  std::string name;
  Kind kind = Kind::relu;
  bool ran = false;
  std::int64_t units = 0;
  std::int64_t batches = 0;  // this epoch
  double dead_batch = kNotMeasured;
  std::vector<char> alive_epoch;  // ReLU: unit non-zero for some example this epoch
  double saturated_batch = kNotMeasured;
  std::int64_t saturated_epoch = 0, values_epoch = 0;

  std::int64_t dead_units_epoch() const {
    std::int64_t dead = 0;
    for (char alive : alive_epoch) dead += alive ? 0 : 1;
    return dead;
  }
  ActivationStats stats() const {
    ActivationStats s;
    s.name = name;
    s.type = module->type_name();
    s.units = units;
    s.batches = batches;
    if (kind == Kind::relu) {
      s.dead_batch = dead_batch;
      if (batches > 0 && units > 0) s.dead_epoch = static_cast<double>(dead_units_epoch()) / static_cast<double>(units);
    } else {
      s.saturated_batch = saturated_batch;
      if (values_epoch > 0) s.saturated_epoch = static_cast<double>(saturated_epoch) / static_cast<double>(values_epoch);
    }
    return s;
  }
};

double mean_or_nan(double sum, std::int64_t n) { return n > 0 ? sum / static_cast<double>(n) : kNotMeasured; }

}  // namespace

struct Diagnostics::State {
  Module* model = nullptr;
  DiagnosticsOptions options;
  std::vector<Watched> watched;            // registration order
  std::vector<std::size_t> watched_order;  // indices, in the order they first ran
  std::vector<NamedModule> layers;         // modules owning parameters, registration order
  std::vector<const Module*> layer_order;  // the same, in the order they first ran
  std::unordered_set<const Module*> layer_seen;
  GradientReport last;
  double first_sum = 0, last_sum = 0;
  std::int64_t gradient_batches = 0;

  bool skip(const Module& m) const { return options.training_only && !m.is_training(); }

  void on_activation(std::size_t index, const Module& m, const Tensor& y) {
    if (skip(m) || !y.defined() || !is_floating(y.dtype())) return;
    Watched& w = watched[index];
    if (!w.ran) {
      w.ran = true;
      watched_order.push_back(index);
    }
    ++w.batches;
    if (w.kind == Watched::Kind::relu) {
      const std::int64_t units = detail::units_of(y);
      if (units != w.units || w.alive_epoch.size() != static_cast<std::size_t>(units)) {
        w.units = units;  // a new shape: the epoch's record starts again
        w.alive_epoch.assign(static_cast<std::size_t>(units), 0);
        w.batches = 1;
      }
      const std::int64_t alive = detail::mark_alive_units(y, w.alive_epoch);
      w.dead_batch = units > 0 ? static_cast<double>(units - alive) / static_cast<double>(units) : kNotMeasured;
    } else {
      w.units = detail::units_of(y);
      const Squashing kind = w.kind == Watched::Kind::sigmoid ? Squashing::sigmoid : Squashing::tanh;
      const std::int64_t saturated = detail::count_saturated(y, kind, options.saturation_epsilon);
      w.saturated_batch = y.numel() > 0 ? static_cast<double>(saturated) / static_cast<double>(y.numel())
                                        : kNotMeasured;
      w.saturated_epoch += saturated;
      w.values_epoch += y.numel();
    }
  }

  void on_layer(const Module& m) {
    if (skip(m)) return;
    if (layer_seen.insert(&m).second) layer_order.push_back(&m);
  }

  // The layers in the order they ran; those that never ran after, in registration order.
  std::vector<NamedModule> layers_in_forward_order() const {
    std::unordered_map<const Module*, const NamedModule*> by_module;
    for (const NamedModule& l : layers) by_module.emplace(l.module, &l);
    std::vector<NamedModule> out;
    for (const Module* m : layer_order) out.push_back(*by_module.at(m));
    for (const NamedModule& l : layers)
      if (!layer_seen.contains(l.module)) out.push_back(l);
    return out;
  }

  void begin_epoch() {
    for (Watched& w : watched) {
      w.batches = 0;
      std::fill(w.alive_epoch.begin(), w.alive_epoch.end(), 0);
      w.saturated_epoch = w.values_epoch = 0;
    }
    first_sum = last_sum = 0;
    gradient_batches = 0;
  }

  const GradientReport& record_gradients() {
    last = gradient_report(layers_in_forward_order(), options.gradients);
    const LayerGradient* first = nullptr;
    const LayerGradient* closing = nullptr;
    for (const LayerGradient& l : last.layers) {
      if (!l.has_grad) continue;
      if (!first) first = &l;
      closing = &l;
    }
    if (first) {
      first_sum += first->grad_norm;
      last_sum += closing->grad_norm;
      ++gradient_batches;
    }
    return last;
  }

  double dead_relu_fraction() const {
    std::int64_t dead = 0, units = 0;
    for (const Watched& w : watched) {
      if (w.kind != Watched::Kind::relu || w.batches == 0) continue;
      dead += w.dead_units_epoch();
      units += w.units;
    }
    return units > 0 ? static_cast<double>(dead) / static_cast<double>(units) : kNotMeasured;
  }

  double saturation() const {
    std::int64_t saturated = 0, values = 0;
    for (const Watched& w : watched) {
      if (w.kind == Watched::Kind::relu) continue;
      saturated += w.saturated_epoch;
      values += w.values_epoch;
    }
    return values > 0 ? static_cast<double>(saturated) / static_cast<double>(values) : kNotMeasured;
  }

  std::vector<ActivationStats> activations() const {
    std::vector<ActivationStats> out;
    for (std::size_t i : watched_order) out.push_back(watched[i].stats());
    for (const Watched& w : watched)
      if (!w.ran) out.push_back(w.stats());
    return out;
  }

  // One warning per problem, naming the first few modules that have it.
  std::vector<std::string> warnings() const {
    std::vector<std::string> out = last.warnings;
    std::vector<std::string> dead, saturated;
    for (const ActivationStats& s : activations()) {
      const std::string who = s.type + " '" + s.name + "'";
      if (s.dead_epoch > options.dead_warning) {
        dead.push_back(who + " (" + detail::percent(s.dead_epoch) + " of " + std::to_string(s.units) + ")");
      }
      if (s.saturated_epoch > options.saturation_warning) {
        saturated.push_back(who + " (" + detail::percent(s.saturated_epoch) + ")");
      }
    }
    auto listed = [](const std::vector<std::string>& names) {
      constexpr std::size_t kShown = 3;
      std::string text;
      for (std::size_t i = 0; i < names.size() && i < kShown; ++i) text += (i ? ", " : "") + names[i];
      if (names.size() > kShown) text += " and " + std::to_string(names.size() - kShown) + " more";
      return text;
    };
    if (!dead.empty()) {
      out.push_back("dead units: more than " + detail::percent(options.dead_warning) + " of the units of " +
                    listed(dead) +
                    " were 0 for every example this epoch, so they get no gradient and do not recover: lower "
                    "the learning rate, use He initialisation with biases at 0, or LeakyReLU/ELU");
    }
    if (!saturated.empty()) {
      out.push_back("saturation: more than " + detail::percent(options.saturation_warning) +
                    " of the outputs of " + listed(saturated) +
                    " are within epsilon of the bounds, where the gradient nearly vanishes: normalise the inputs, "
                    "use Glorot initialisation, or ReLU in hidden layers");
    }
    return out;
  }
};

Diagnostics::Diagnostics(Module& model, DiagnosticsOptions options) : state_(std::make_shared<State>()) {
  if (!(options.saturation_epsilon > 0 && options.saturation_epsilon < 0.5)) {
    throw InvalidArgument("Diagnostics: saturation_epsilon must be in (0, 0.5)");
  }
  State& state = *state_;
  state.model = &model;
  state.options = options;
  std::unordered_set<const Module*> attached;  // a module shared at two paths is watched once
  for (const NamedModule& m : model.named_modules()) {
    if (!attached.insert(m.module).second) continue;
    State* s = state_.get();  // the hooks are removed before the state can go
    const std::string& type = m.module->type_name();
    if (type == "ReLU" || type == "Sigmoid" || type == "Tanh") {
      Watched w;
      w.module = m.module;
      w.name = m.name;
      w.kind = type == "ReLU" ? Watched::Kind::relu : type == "Sigmoid" ? Watched::Kind::sigmoid : Watched::Kind::tanh;
      const std::size_t index = state.watched.size();
      state.watched.push_back(std::move(w));
      hooks_.push_back(m.module->register_forward_hook(
          [s, index](const Module& module, const Tensor&, const Tensor& y) { s->on_activation(index, module, y); }));
    }
    if (!m.module->parameters(false).empty()) {
      state.layers.push_back(m);
      hooks_.push_back(
          m.module->register_forward_hook([s](const Module& module, const Tensor&, const Tensor&) { s->on_layer(module); }));
    }
  }
}

Diagnostics::~Diagnostics() {
  for (HookHandle& h : hooks_) h.remove();
}

Diagnostics::Diagnostics(Diagnostics&&) noexcept = default;

Diagnostics& Diagnostics::operator=(Diagnostics&& other) noexcept {
  if (this != &other) {
    for (HookHandle& h : hooks_) h.remove();
    state_ = std::move(other.state_);
    hooks_ = std::move(other.hooks_);
  }
  return *this;
}

void Diagnostics::begin_epoch() { state_->begin_epoch(); }
const GradientReport& Diagnostics::record_gradients() { return state_->record_gradients(); }
const GradientReport& Diagnostics::gradients() const { return state_->last; }
std::vector<ActivationStats> Diagnostics::activations() const { return state_->activations(); }
double Diagnostics::grad_norm_first() const { return mean_or_nan(state_->first_sum, state_->gradient_batches); }
double Diagnostics::grad_norm_last() const { return mean_or_nan(state_->last_sum, state_->gradient_batches); }
double Diagnostics::dead_relu_fraction() const { return state_->dead_relu_fraction(); }
double Diagnostics::saturation() const { return state_->saturation(); }
std::vector<std::string> Diagnostics::warnings() const { return state_->warnings(); }

std::string Diagnostics::report() const {
  using detail::percent;
  using detail::sci;
  const State& s = *state_;
  std::string out = "Diagnostics of " + s.model->type_name() + "\n\n";
  if (s.last.layers.empty()) {
    out += "Layers: no gradients recorded (call record_gradients() after backward, or pass optim::callback(diagnostics) to fit)\n";
  } else {
    out += "Layers, last batch recorded\n" + detail::layers_table(s.last);
  }
  const std::vector<ActivationStats> acts = activations();
  if (!acts.empty()) {
    detail::TextTable table({"Activation", "Type", "Units", "Batches", "Dead (batch)", "Dead (epoch)",
                             "Saturated (batch)", "Saturated (epoch)"});
    for (const ActivationStats& a : acts) {
      table.add({a.name, a.type, std::to_string(a.units), std::to_string(a.batches), percent(a.dead_batch),
                 percent(a.dead_epoch), percent(a.saturated_batch), percent(a.saturated_epoch)});
    }
    out += "\nActivations\n" + table.str();
  }
  out += "\nThis epoch: grad_norm_first " + sci(grad_norm_first(), true) + ", grad_norm_last " +
         sci(grad_norm_last(), true) + ", dead_relu_fraction " + percent(dead_relu_fraction()) + ", saturation " +
         percent(saturation()) + "\n";
  const std::vector<std::string> all = warnings();
  if (all.empty()) {
    out += "No warnings.\n";
  } else {
    for (const std::string& w : all) out += "warning: " + w + "\n";
  }
  return out;
}

}  // namespace tg::nn
