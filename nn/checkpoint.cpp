// Checkpoints of models and optimizers: their named tensors to and from a
// safetensors file (nn/safetensors_file.cpp does the file itself).
#include "tapegrad/nn/checkpoint.hpp"

#include <charconv>
#include <set>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"

namespace tg::nn {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

const std::string kOptimizerPrefix = "optimizer.";

}  // namespace

void save(const Module& model, const std::string& path, const SaveOptions& options) {
  std::map<std::string, std::string> metadata = options.metadata;
  for (const char* reserved : {"model", "optimizer", "epoch"}) {
    if (metadata.count(reserved)) {
      throw InvalidArgument(std::string("save: the metadata key '") + reserved +
                            "' is written by save() itself (use SaveOptions::optimizer and ::epoch)");
    }
  }
  metadata["model"] = model.type_name();
  if (options.epoch) metadata["epoch"] = std::to_string(*options.epoch);

  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [name, t] : model.named_parameters()) tensors.emplace_back(name, t);
  for (auto& [name, t] : model.named_buffers()) tensors.emplace_back(name, t);
  if (options.optimizer) {
    metadata["optimizer"] = options.optimizer->name();
    for (auto& [name, t] : options.optimizer->state()) tensors.emplace_back(kOptimizerPrefix + name, t);
  }
  save_tensors(path, tensors, metadata);
}

LoadResult load(Module& model, const std::string& path, const LoadOptions& options) {
  return load(model, load_tensors(path), path, options);
}

LoadResult load(Module& model, const TensorFile& file, const std::string& path, const LoadOptions& options) {
  LoadResult result;
  result.metadata = file.metadata;

  std::vector<NamedTensor> targets = model.named_parameters();
  for (NamedTensor& b : model.named_buffers()) targets.push_back(std::move(b));
  std::unordered_map<std::string_view, const Tensor*> in_file;
  for (const auto& [name, t] : file.tensors) in_file.emplace(name, &t);

  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, const Tensor*>> copies;  // (model's tensor, file's)
  std::set<std::string_view> matched;
  for (const NamedTensor& target : targets) {
    const auto found = in_file.find(target.name);
    if (found == in_file.end()) {
      result.missing.push_back(target.name);
      continue;
    }
    matched.insert(target.name);
    const Tensor& source = *found->second;
    if (source.shape() != target.tensor.shape()) {
      problems.push_back("shape mismatch: " + target.name + " is " + target.tensor.shape().str() + " in the model, " +
                         source.shape().str() + " in the file");
    } else if (source.dtype() != target.tensor.dtype()) {
      const bool floats = is_floating(source.dtype()) && is_floating(target.tensor.dtype());
      if (floats && options.convert_dtype) {
        result.converted.push_back(target.name);
      } else {
        problems.push_back("dtype mismatch: " + target.name + " is " + dtype_name(target.tensor.dtype()) +
                           " in the model, " + dtype_name(source.dtype()) + " in the file" +
                           (floats ? " (LoadOptions::convert_dtype is off)" : ""));
      }
    }
    copies.emplace_back(target.tensor, &source);
  }
  std::vector<std::pair<std::string, Tensor>> optimizer_state;
  for (const auto& [name, t] : file.tensors) {
    if (matched.count(name)) continue;
    if (name.starts_with(kOptimizerPrefix)) optimizer_state.emplace_back(name.substr(kOptimizerPrefix.size()), t);
    else result.unexpected.push_back(name);
  }
  if (options.strict) {
    if (!result.unexpected.empty()) problems.insert(problems.begin(), "unexpected: " + join(result.unexpected));
    if (!result.missing.empty()) problems.insert(problems.begin(), "missing: " + join(result.missing));
  }
  if (options.optimizer) {
    const std::string& kind = options.optimizer->name();
    const auto saved = file.metadata.find("optimizer");
    if (saved != file.metadata.end() && saved->second != kind) {
      problems.push_back("optimizer: the file holds the state of " + saved->second + ", not " + kind);
    } else if (optimizer_state.empty()) {
      problems.push_back("optimizer: the file holds no optimizer state (saved without SaveOptions::optimizer)");
    }
  }
  if (const auto epoch = file.metadata.find("epoch"); epoch != file.metadata.end()) {
    std::int64_t value = 0;
    const std::string& text = epoch->second;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
      problems.push_back("the metadata 'epoch' is '" + text + "', not an integer");
    }
    result.epoch = value;
  }
  if (!problems.empty()) {
    std::string message = "checkpoint '" + path + "' does not fit " + model.type_name() + ": ";
    for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    throw CheckpointError(message);
  }

  // Everything fits the model; the optimizer checks its own state before it
  // changes anything, so a failure here still leaves both untouched.
  if (options.optimizer) {
    try {
      options.optimizer->load_state(optimizer_state);
    } catch (const InvalidArgument& error) {
      throw CheckpointError("checkpoint '" + path + "' does not fit " + options.optimizer->name() + ": " + error.what());
    }
    result.optimizer_loaded = true;
  }
  NoGrad no_grad;
  for (auto& [target, source] : copies) target.copy_(*source);
  return result;
}

}  // namespace tg::nn
