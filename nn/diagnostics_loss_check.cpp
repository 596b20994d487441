// Does the output activation fit the loss?
#include <array>
#include <string_view>

#include "diagnostics_support.hpp"

namespace tg::nn {
namespace {

// What the model's last module does to the range of its output.
enum class Ending {
  unbounded,    // Linear, Conv, normalisation: logits or regression values
  sigmoid,      // (0, 1)
  tanh,         // (-1, 1); also the hidden state of an LSTM, a GRU, a tanh RNN
  relu,         // [0, inf)
  softmax,      // probabilities that sum to 1
  log_softmax,  // log-probabilities
  other,        // another activation (ELU, GELU, Softplus, ...)
  unknown,      // a custom module: its forward cannot be seen
};

bool in(std::string_view type, std::initializer_list<std::string_view> types) {
  for (std::string_view t : types)
    if (t == type) return true;
  return false;
}

Ending classify(const Module& m) {
  const std::string_view type = m.type_name();
  if (type == "RNN") return m.describe().find(", relu") != std::string::npos ? Ending::relu : Ending::tanh;
  if (type == "Sigmoid") return Ending::sigmoid;
  if (in(type, {"Tanh", "LSTM", "GRU"})) return Ending::tanh;
  if (type == "ReLU") return Ending::relu;
  if (type == "Softmax") return Ending::softmax;
  if (type == "LogSoftmax") return Ending::log_softmax;
  if (in(type, {"LeakyReLU", "ELU", "SELU", "GELU", "Softplus", "Perceptron"})) return Ending::other;
  if (in(type, {"Linear", "Conv1d", "Conv2d", "Residual", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding"})) {
    return Ending::unbounded;
  }
  return Ending::unknown;
}

// Modules that keep the range of their input: look past them.
bool keeps_range(const Module& m) {
  return in(m.type_name(), {"Dropout", "Flatten", "Identity", "MaxPool2d", "AvgPool2d"});
}

struct Last {
  const Module* module = nullptr;
  std::string path;
};

// The module whose output ends `model`: the last child of a Sequential that
// does not keep the range, descending into nested Sequentials; an explicit
// stack of (Sequential, path, children left to look at).
Last last_module(const Module& model) {
  struct Frame {
    std::vector<std::pair<std::string, ModulePtr>> children;
    std::string prefix;
  };
  if (model.type_name() != "Sequential") return {&model, ""};
  std::vector<Frame> stack{{model.named_children(), ""}};
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.children.empty()) {
      stack.pop_back();
      continue;
    }
    auto [name, child] = frame.children.back();
    frame.children.pop_back();
    const std::string path = frame.prefix + name;
    if (child->type_name() == "Sequential") {
      stack.push_back({child->named_children(), path + "."});
    } else if (!keeps_range(*child)) {
      return {child.get(), path};
    }
  }
  return {};  // nothing but range-keeping modules: the input comes out
}

}  // namespace

const char* loss_kind_name(LossKind loss) {
  switch (loss) {
    case LossKind::mse: return "mse_loss";
    case LossKind::l1: return "l1_loss";
    case LossKind::huber: return "huber_loss";
    case LossKind::cross_entropy: return "cross_entropy";
    case LossKind::nll: return "nll_loss";
    case LossKind::bce: return "binary_cross_entropy";
    case LossKind::bce_with_logits: return "binary_cross_entropy_with_logits";
  }
  return "?";
}

std::vector<std::string> check_output_and_loss(const Module& model, LossKind loss) {
  const Last last = last_module(model);
  if (!last.module) return {};
  const Ending ending = classify(*last.module);
  if (ending == Ending::unknown) return {};
  const std::string& type = last.module->type_name();
  const std::string where = std::string(loss_kind_name(loss)) + " after " + type +
                            (last.path.empty() ? "" : " (module '" + last.path + "')") + ": ";
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& problem, const std::string& instead) {
    warnings.push_back(where + problem + "; instead, " + instead);
  };
  const std::string bounded = ending == Ending::sigmoid ? "(0, 1)" : ending == Ending::tanh ? "(-1, 1)" : "[0, inf)";

  switch (loss) {
    case LossKind::mse:
    case LossKind::l1:
    case LossKind::huber:
      if (ending == Ending::sigmoid || ending == Ending::tanh) {
        warn("the predictions are bounded to " + bounded +
                 " and the gradient vanishes as they near the bounds, so targets outside are never reached",
             "end a regression with a Linear layer (no activation)" +
                 std::string(ending == Ending::sigmoid
                                 ? ", or for 0/1 targets use binary_cross_entropy_with_logits on the logits"
                                 : ""));
      } else if (ending == Ending::relu) {
        warn("the predictions cannot be negative, and an output stuck at 0 gets no gradient",
             "end a regression with a Linear layer (no activation)");
      } else if (ending == Ending::softmax) {
        warn("a regression on class probabilities gives small, poorly scaled gradients",
             "train a classifier with cross_entropy on the logits (drop the Softmax)");
      } else if (ending == Ending::log_softmax) {
        warn("a regression on log-probabilities does not train a classifier",
             "use nll_loss on the log-probabilities, or cross_entropy on the logits");
      }
      break;
    case LossKind::cross_entropy:
      if (ending == Ending::softmax) {
        warn("a double softmax: cross_entropy applies log_softmax to its input itself, so the probabilities are "
             "squashed again and the gradients shrink",
             "drop the Softmax and pass the logits (apply softmax only to read probabilities)");
      } else if (ending == Ending::log_softmax) {
        warn("log_softmax is applied twice (harmless, but not what was meant)",
             "use nll_loss on the log-probabilities, or drop the LogSoftmax and pass the logits");
      } else if (ending == Ending::sigmoid || ending == Ending::tanh || ending == Ending::relu) {
        warn("cross_entropy expects logits, but these are bounded to " + bounded +
                 ", so the softmax over the classes cannot become confident",
             "drop the " + type + " and pass the logits of a Linear layer");
      }
      break;
    case LossKind::nll:
      if (ending == Ending::softmax) {
        warn("nll_loss expects log-probabilities, but Softmax gives probabilities",
             "end with LogSoftmax, or use cross_entropy on the logits");
      } else if (ending != Ending::log_softmax) {
        warn("nll_loss expects log-probabilities (LogSoftmax's output), not the output of " + type,
             "end with LogSoftmax, or use cross_entropy, which applies log_softmax to the logits itself");
      }
      break;
    case LossKind::bce:
      if (ending == Ending::softmax) {
        warn("Softmax ties the outputs together (they sum to 1; a single output is always 1)",
             "end with Sigmoid for independent binary targets (better: binary_cross_entropy_with_logits on the "
             "logits), or use cross_entropy on the logits for exclusive classes");
      } else if (ending != Ending::sigmoid) {
        warn("binary_cross_entropy expects probabilities in [0, 1], not the output of " + type,
             "use binary_cross_entropy_with_logits on the logits (numerically stable), or end with Sigmoid");
      }
      break;
    case LossKind::bce_with_logits:
      if (ending == Ending::sigmoid) {
        warn("a double sigmoid: binary_cross_entropy_with_logits applies the sigmoid itself",
             "drop the Sigmoid and pass the logits (or keep it and use binary_cross_entropy)");
      } else if (ending == Ending::softmax || ending == Ending::log_softmax) {
        warn("binary_cross_entropy_with_logits expects logits, not the output of " + type,
             "drop the " + type + " and pass the logits of a Linear layer");
      } else if (ending == Ending::tanh || ending == Ending::relu) {
        warn("the logits are bounded to " + bounded + ", so the predicted probabilities cannot become confident",
             "drop the " + type + " and pass the logits of a Linear layer");
      }
      break;
  }
  return warnings;
}

}  // namespace tg::nn
