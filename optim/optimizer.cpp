#include "tapegrad/optim/optimizer.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/format.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::optim {
namespace {

std::string describe(const Tensor& t) { return t.shape().str() + " " + dtype_name(t.dtype()); }

// Parses "group<g>.param<i>.<kind>" or "group<g>.lr"; false for any other form.
struct ParsedName {
  std::size_t group = 0;
  bool is_lr = false;
  std::size_t index = 0;
  std::string kind;
};

bool parse_index(std::string_view text, std::string_view prefix, std::size_t& value, std::string_view& rest) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return false;
  rest = text.substr(static_cast<std::size_t>(end - text.data()));
  return true;
}

bool parse_name(std::string_view name, ParsedName& out) {
  std::string_view rest;
  if (!parse_index(name, "group", out.group, rest)) return false;
  if (rest == ".lr") {
    out.is_lr = true;
    return true;
  }
  std::string_view kind;
  if (!parse_index(rest, ".param", out.index, kind) || kind.size() < 2 || kind[0] != '.') return false;
  out.kind = std::string(kind.substr(1));
  return true;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "nothing" : out;
}

// The value of a one-element tensor that must hold a count >= 0.
bool is_count(const Tensor& t) {
  if (t.numel() != 1) return false;
  const double v = t.item();
  return v >= 0 && v == std::floor(v) && v < 9.0e15;
}

const void* raw_data(const Tensor& t) {
  return dispatch_all(t.dtype(), [&]<class T>() -> const void* { return t.data<T>(); });
}

}  // namespace

Optimizer::Optimizer(std::string name) : name_(std::move(name)), step_count_(zeros({}, i64)) {}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (Group& g : groups_) {
    for (Tensor& p : g.params) p.zero_grad();
  }
}

const Optimizer::Group& Optimizer::group_at(std::size_t group, const char* what) const {
  if (group >= groups_.size()) {
    throw InvalidArgument(name_ + "::" + what + ": no group " + std::to_string(group) + "; the optimizer has " +
                          std::to_string(groups_.size()) + " group(s)");
  }
  return groups_[group];
}

double Optimizer::lr(std::size_t group) const { return group_at(group, "lr").lr.data<double>()[0]; }

void Optimizer::set_lr(double lr) {
  for (std::size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

void Optimizer::set_lr(std::size_t group, double lr) {
  const Group& g = group_at(group, "set_lr");
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw InvalidArgument(name_ + "::set_lr: the learning rate must be finite and >= 0, got " + number_str(lr));
  }
  Tensor handle = g.lr;
  handle.mutable_data<double>()[0] = lr;
}

const std::vector<Tensor>& Optimizer::params(std::size_t group) const { return group_at(group, "params").params; }

std::int64_t Optimizer::step_count() const { return step_count_.data<std::int64_t>()[0]; }

void Optimizer::count_step() { step_count_.mutable_data<std::int64_t>()[0] += 1; }

std::string Optimizer::param_label(std::size_t group, std::size_t index) const {
  return "parameter " + std::to_string(index) + " of group " + std::to_string(group);
}

std::string Optimizer::group_label(std::size_t group, bool explicit_groups) const {
  return explicit_groups ? " (group " + std::to_string(group) + ")" : "";
}

std::string Optimizer::format(double value) { return number_str(value); }

void Optimizer::check_option(bool ok, const char* option, const char* requirement, double value,
                             const std::string& where) const {
  if (!ok) {
    throw InvalidArgument(name_ + ": " + option + " must be " + requirement + ", got " + number_str(value) + where);
  }
}

void Optimizer::add_group(std::vector<Tensor> params, double lr, std::vector<std::string> state_kinds) {
  const std::size_t g = groups_.size();
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    const std::string label = name_ + ": " + param_label(g, i);
    if (!p.defined()) throw InvalidArgument(label + " is an undefined tensor");
    if (!is_floating(p.dtype())) {
      throw DtypeError(label + " is " + dtype_name(p.dtype()) + "; only float32 and float64 tensors can be optimized");
    }
    if (!p.is_leaf()) {
      throw InvalidArgument(label + " " + p.shape().str() + " is the result of '" + p.op_name() +
                            "', not a leaf; an optimizer updates leaf tensors (model.parameters(), or a tensor "
                            "made with requires_grad_())");
    }
    if (!p.requires_grad()) {
      throw InvalidArgument(label + " " + p.shape().str() +
                            " does not require grad, so it never gets a gradient; mark it with requires_grad_()");
    }
    for (std::size_t h = 0; h <= g; ++h) {
      const std::vector<Tensor>& others = h < g ? groups_[h].params : params;
      const std::size_t n = h < g ? others.size() : i;
      for (std::size_t j = 0; j < n; ++j) {
        if (others[j].impl() == p.impl()) {
          throw InvalidArgument(label + " is the same tensor as " + param_label(h, j) +
                                "; a parameter may appear in one group only, once");
        }
      }
    }
  }
  if (!(lr >= 0) || !std::isfinite(lr)) {
    throw InvalidArgument(name_ + ": lr must be finite and >= 0, got " + number_str(lr) +
                          (g > 0 ? " (group " + std::to_string(g) + ")" : ""));
  }
  Group group;
  group.states.resize(params.size());
  group.params = std::move(params);
  group.lr = full({}, lr, f64);
  group.kinds = std::move(state_kinds);
  groups_.push_back(std::move(group));
}

void Optimizer::check_not_empty() const {
  for (const Group& g : groups_) {
    if (!g.params.empty()) return;
  }
  throw InvalidArgument(name_ + ": no parameters to optimize (an empty parameter list)");
}

void Optimizer::check_step() const {
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const Group& group = groups_[g];
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      const Tensor grad = p.grad();
      if (!grad.defined()) continue;
      if (grad.shape() != p.shape() || grad.dtype() != p.dtype()) {
        const std::string message = name_ + ": the gradient of " + param_label(g, i) + " is " + describe(grad) +
                                    " but the parameter is " + describe(p);
        if (grad.shape() != p.shape()) throw ShapeError(message);
        throw DtypeError(message);
      }
      // The updates read the gradient while they write the parameter.
      const auto* p_bytes = static_cast<const char*>(raw_data(p));
      const auto* g_bytes = static_cast<const char*>(raw_data(grad));
      const auto bytes = static_cast<std::ptrdiff_t>(p.numel() * static_cast<std::int64_t>(dtype_size(p.dtype())));
      if (p_bytes < g_bytes + bytes && g_bytes < p_bytes + bytes) {
        throw InvalidArgument(name_ + ": the gradient of " + param_label(g, i) +
                              " shares its memory with the parameter; give it a gradient of its own");
      }
      const ParamState& s = group.states[i];
      if (!s.live) continue;
      for (std::size_t k = 0; k < s.slots.size(); ++k) {
        if (group.kinds[k] == "step") continue;
        const Tensor& buffer = s.slots[k];
        if (buffer.shape() != p.shape() || buffer.dtype() != p.dtype()) {
          const std::string message = name_ + ": " + param_label(g, i) + " is now " + describe(p) +
                                      " but its state was made for " + describe(buffer) +
                                      "; convert the model (to(), set_data) before building the optimizer, or "
                                      "build a new one";
          if (buffer.shape() != p.shape()) throw ShapeError(message);
          throw DtypeError(message);
        }
        break;  // every buffer of a parameter is made alike
      }
    }
  }
}

void Optimizer::make_state(std::size_t group, std::size_t index, bool zero) {
  Group& g = groups_[group];
  const Tensor& p = g.params[index];
  ParamState& s = g.states[index];
  if (s.slots.size() != g.kinds.size()) s.slots.assign(g.kinds.size(), Tensor());
  for (std::size_t k = 0; k < g.kinds.size(); ++k) {
    Tensor& slot = s.slots[k];
    const bool is_step = g.kinds[k] == "step";
    const Shape shape = is_step ? Shape{} : p.shape();
    const Dtype dtype = is_step ? i64 : p.dtype();
    if (!slot.defined() || slot.shape() != shape || slot.dtype() != dtype) {
      slot = zeros(shape, dtype);
    } else if (!zero) {
      continue;
    } else {
      dispatch_all(dtype, [&]<class T>() { std::fill_n(slot.mutable_data<T>(), slot.numel(), T{0}); });
    }
  }
  s.live = true;
}

bool Optimizer::prepare(std::size_t group, std::size_t index, Update& update) {
  Group& g = groups_[group];
  update.param = g.params[index];
  update.grad = update.param.grad();
  if (!update.grad.defined()) return false;
  ParamState& s = g.states[index];
  update.fresh = !s.live;
  if (!s.live) make_state(group, index, /*zero=*/true);
  update.state = std::span<Tensor>(s.slots);
  return true;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", step_count_);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const Group& group = groups_[g];
    const std::string prefix = "group" + std::to_string(g);
    out.emplace_back(prefix + ".lr", group.lr);
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const ParamState& s = group.states[i];
      if (!s.live) continue;
      for (std::size_t k = 0; k < group.kinds.size(); ++k) {
        out.emplace_back(prefix + ".param" + std::to_string(i) + "." + group.kinds[k], s.slots[k]);
      }
    }
  }
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  const std::string where = name_ + "::load_state: ";
  std::unordered_map<std::string, const Tensor*> by_name;
  // (group, index) -> the kinds found, by position in the group's kinds.
  std::map<std::pair<std::size_t, std::size_t>, std::vector<const Tensor*>> found;
  for (const auto& [entry, tensor] : state) {
    if (!by_name.emplace(entry, &tensor).second) throw InvalidArgument(where + "'" + entry + "' appears twice");
    if (!tensor.defined()) throw InvalidArgument(where + "'" + entry + "' is an undefined tensor");
    if (entry == "step") {
      if (!is_count(tensor)) {
        throw InvalidArgument(where + "'step' must be one count >= 0, got " + tensor.str());
      }
      continue;
    }
    ParsedName parsed;
    if (!parse_name(entry, parsed)) {
      throw InvalidArgument(where + "unknown entry '" + entry +
                            "'; expected 'step', 'group<g>.lr' or 'group<g>.param<i>.<kind>'");
    }
    if (parsed.group >= groups_.size()) {
      throw InvalidArgument(where + "'" + entry + "' names group " + std::to_string(parsed.group) + ", but " + name_ +
                            " has " + std::to_string(groups_.size()) + " group(s)");
    }
    const Group& group = groups_[parsed.group];
    if (parsed.is_lr) {
      if (tensor.numel() != 1 || !(tensor.item() >= 0) || !std::isfinite(tensor.item())) {
        throw InvalidArgument(where + "'" + entry + "' must be one finite learning rate >= 0, got " + tensor.str());
      }
      continue;
    }
    if (parsed.index >= group.params.size()) {
      throw InvalidArgument(where + "'" + entry + "' names parameter " + std::to_string(parsed.index) + ", but group " +
                            std::to_string(parsed.group) + " has " + std::to_string(group.params.size()) +
                            " parameter(s)");
    }
    std::size_t k = 0;
    while (k < group.kinds.size() && group.kinds[k] != parsed.kind) ++k;
    if (k == group.kinds.size()) {
      throw InvalidArgument(where + "unexpected entry '" + entry + "': " + name_ + " keeps " + join(group.kinds) +
                            " for the parameters of group " + std::to_string(parsed.group) +
                            " (a state from another optimizer, or other options?)");
    }
    const Tensor& p = group.params[parsed.index];
    if (parsed.kind == "step") {
      if (!is_count(tensor)) throw InvalidArgument(where + "'" + entry + "' must be one count >= 0, got " + tensor.str());
    } else if (tensor.shape() != p.shape()) {
      throw ShapeError(where + "'" + entry + "' has shape " + tensor.shape().str() + ", but its parameter has shape " +
                       p.shape().str());
    }
    auto& slots = found[{parsed.group, parsed.index}];
    slots.resize(group.kinds.size(), nullptr);
    slots[k] = &tensor;
  }
  if (!by_name.count("step")) throw InvalidArgument(where + "'step' is missing; pass what " + name_ + "::state() returns");
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::string lr_name = "group" + std::to_string(g) + ".lr";
    if (!by_name.count(lr_name)) throw InvalidArgument(where + "'" + lr_name + "' is missing");
  }
  for (const auto& [key, slots] : found) {
    const Group& group = groups_[key.first];
    for (std::size_t k = 0; k < slots.size(); ++k) {
      if (slots[k] == nullptr) {
        throw InvalidArgument(where + "'group" + std::to_string(key.first) + ".param" + std::to_string(key.second) +
                              "." + group.kinds[k] + "' is missing; the parameter's state must be complete (" +
                              join(group.kinds) + ")");
      }
    }
  }

  // Everything checked: apply.
  step_count_.mutable_data<std::int64_t>()[0] = static_cast<std::int64_t>(by_name.at("step")->item());
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    Group& group = groups_[g];
    group.lr.mutable_data<double>()[0] = by_name.at("group" + std::to_string(g) + ".lr")->item();
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const auto it = found.find({g, i});
      if (it == found.end()) {
        group.states[i].live = false;  // buffers kept for reuse; reset on the next step
        continue;
      }
      // Not zeroed first: the source may be this optimizer's own state().
      make_state(g, i, /*zero=*/false);
      for (std::size_t k = 0; k < group.kinds.size(); ++k) {
        Tensor& slot = group.states[i].slots[k];
        const Tensor& source = *it->second[k];
        if (slot.dtype() == i64) slot.mutable_data<std::int64_t>()[0] = static_cast<std::int64_t>(source.item());
        else {
          NoGrad no_grad;  // state, not a taped step
          slot.copy_(source);
        }
      }
    }
  }
}

}  // namespace tg::optim
