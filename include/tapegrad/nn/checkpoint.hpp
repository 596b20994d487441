// Checkpoints: a model's parameters and buffers, and optionally an
// optimizer's state and the epoch, in one safetensors file
// (https://github.com/huggingface/safetensors) that Python reads with
// `safetensors.numpy.load_file` or a few lines of json + numpy:
//
//     8 bytes      N, the header's length, little-endian uint64
//     N bytes      a JSON object, padded with spaces to a multiple of 8 bytes:
//                  {"__metadata__": {"epoch": "7", ...},
//                   "0.weight": {"dtype": "F32", "shape": [256, 784], "data_offsets": [0, 802816]}, ...}
//     the rest     the tensors' values, row-major, little-endian, back to back
//                  (data_offsets count from the first byte after the header)
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
// Writing is atomic: the file is written to "<path>.tmp.<pid>.<n>" in the
// same directory, flushed to disk (fsync), then renamed over `path`. A crash
// or a full disk mid-write leaves the previous checkpoint as it was; on an
// error the temporary file is removed. (A process killed mid-write cannot
// remove it: a stray "*.tmp.*" file is never read as the checkpoint, and the
// next save to the same path removes it once its process is gone.)
//
// Reading checks the whole file before it allocates a tensor: the header
// length against the file size (and a 100 MB limit), the JSON, every dtype,
// shape and byte range (in range, matching dtype × shape, no overlap, no gap,
// the data section covered exactly), duplicate names. A truncated or corrupt
// file throws CheckpointError naming the file and the problem; it never
// crashes and never yields a silently wrong model.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/tensor.hpp"
#include "module.hpp"

namespace tg::optim {
class Optimizer;
}

namespace tg::nn {

/// A checkpoint that cannot be written (the message names the path, the
/// step that failed and the system's reason: "Permission denied", "No space
/// left on device"), or cannot be read: missing, truncated, corrupt, or not
/// fitting the model (every missing or unexpected name and every shape or
/// dtype mismatch, listed in one message). A std::runtime_error: the state
/// of a file. Bad arguments (two tensors of one name) throw InvalidArgument.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// --- The raw layer: named tensors in a safetensors file ------------------------

/// The content of a safetensors file.
struct TensorFile {
  /// The tensors in the order of their bytes in the file, each a fresh
  /// float32, float64 or int64 tensor that owns its values.
  std::vector<std::pair<std::string, Tensor>> tensors;
  /// The "__metadata__" strings (empty when the file has none).
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`; an undefined Tensor when there is none.
  Tensor get(const std::string& name) const;
};

/// Writes `tensors` (float32 "F32", float64 "F64", int64 "I64", any shape,
/// 0-d and empty included) and `metadata` to `path`, atomically (see the top
/// of this file). The header lists the tensors in the order given, those of
/// 8-byte dtypes first, so every tensor's bytes are aligned to its element
/// size. Throws InvalidArgument, before touching the disk, for an undefined
/// tensor, a name given twice, the reserved name "__metadata__" or a name or
/// metadata string that is not valid UTF-8; CheckpointError when the file
/// cannot be written.
void save_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata = {});

/// Reads a safetensors file of F32, F64 and I64 tensors, and of F16 and
/// BF16 ones (as written by PyTorch or NumPy), widened to float32. Throws
/// CheckpointError for a file that is missing, unreadable, truncated or
/// corrupt, or that holds another dtype (I32, U8, BOOL, ...).
TensorFile load_tensors(const std::string& path);

/// load_tensors from the bytes of a file in memory (`source` names it in
/// error messages). The entry point of the reader's fuzz target.
TensorFile decode_tensors(std::span<const std::uint8_t> bytes, const std::string& source = "<memory>");

// --- Models -----------------------------------------------------------------------

/// Options of save().
struct SaveOptions {
  /// Also saves this optimizer's state() under "optimizer.<name>", and its
  /// name() as metadata "optimizer".
  const optim::Optimizer* optimizer = nullptr;
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
  optim::Optimizer* optimizer = nullptr;
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
