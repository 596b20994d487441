// Checkpoints: a model's parameters and buffers, and optionally an
// optimizer's state and the epoch, in one safetensors file (the format and
// its reader and writer: nn/safetensors.hpp).
//
// Names are the dotted paths of named_parameters() and named_buffers()
// ("0.weight", "fc1.bias", "bn.running_mean"), PyTorch's state_dict names, so
// a Linear's (out, in) weight maps one to one. An optimizer's state is saved
// under "optimizer.<name>" (Optimizer::state() names: "optimizer.step",
// "optimizer.group0.param0.exp_avg", ...).
//
//     nn::save(model, "model.safetensors", {.optimizer = &adam, .epoch = epoch});
//     auto loaded = nn::load(model, "model.safetensors", {.optimizer = &adam});
//     int first_epoch = loaded.epoch.value_or(-1) + 1;
//
// Writing is atomic and reading checked as save_tensors and load_tensors
// do (nn/safetensors.hpp): a crash mid-write leaves the previous checkpoint
// as it was, and a truncated or corrupt file throws CheckpointError.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "module.hpp"
#include "safetensors.hpp"
#include "stateful.hpp"

namespace tg::nn {

/// Options of save().
struct SaveOptions {
  /// Also saves this optimizer's state() under "optimizer.<name>", and its
  /// name() as metadata "optimizer" (any Stateful: every optim::Optimizer).
  const Stateful* optimizer = nullptr;
  /// Saved as metadata "epoch" (decimal), returned by load().
  std::optional<std::int64_t> epoch{};
  /// More metadata strings (a validation loss, a git commit, ...). The keys
  /// "model", "optimizer" and "epoch" are written by save() itself.
  std::map<std::string, std::string> metadata{};
};

/// Writes `model`'s parameters and buffers under their dotted names, with
/// metadata "model" (its type name), and optionally an optimizer's state and
/// the epoch, atomically to `path`. Throws InvalidArgument for a reserved
/// metadata key or a name used twice (a model parameter "optimizer.step"
/// beside an optimizer); CheckpointError when the file cannot be written.
void save(const Module& model, const std::string& path, const SaveOptions& options = {});

/// Options of load().
struct LoadOptions {
  /// Also restores this optimizer from the "optimizer.*" tensors (an
  /// optimizer of the same kind, built over the model's parameters in the
  /// same order). Without it those tensors are ignored.
  Stateful* optimizer = nullptr;
  /// Every parameter and buffer of the model must be in the file, and every
  /// tensor of the file (besides "optimizer.*") in the model. When false,
  /// the names that do not match are returned in LoadResult instead and the
  /// model's own values stay for the missing ones. Shape and dtype
  /// mismatches are errors either way.
  bool strict = true;
  /// A float32 tensor in the file may load into a float64 parameter and
  /// vice versa, converted (as PyTorch's load_state_dict does); the names
  /// are listed in LoadResult::converted. False makes it an error. int64
  /// never converts to or from a float.
  bool convert_dtype = true;
};

/// What load() found besides the values it copied.
struct LoadResult {
  /// The metadata "epoch", when the file has one.
  std::optional<std::int64_t> epoch;
  /// All the file's metadata strings.
  std::map<std::string, std::string> metadata;
  /// With strict = false: the model's names that the file lacks, and the
  /// file's names (besides "optimizer.*") the model lacks.
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;
  /// The names whose values were converted between float32 and float64.
  std::vector<std::string> converted;
  /// An optimizer was passed and restored.
  bool optimizer_loaded = false;
};

/// Loads `path` into `model` (and LoadOptions::optimizer). Checks every name,
/// shape and dtype, and the optimizer's state, before changing anything, and
/// reports every problem in one CheckpointError: "checkpoint 'm.safetensors'
/// does not fit Sequential: missing: 2.bias; unexpected: 3.weight; shape
/// mismatch: 0.weight is (256, 784) in the model, (128, 784) in the file".
/// Values are copied into the existing tensors (Tensor::copy_), so handles an
/// optimizer or a layer holds stay valid and see the loaded values.
LoadResult load(Module& model, const std::string& path, const LoadOptions& options = {});

/// load() of named tensors already read: a TensorFile from load_tensors(),
/// load_pytorch_tensors() or built by hand; `source` names it in messages.
LoadResult load(Module& model, const TensorFile& file, const std::string& source, const LoadOptions& options = {});

}  // namespace tg::nn
