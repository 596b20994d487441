// PyTorch's own checkpoints: what Python's `torch.save(model.state_dict(),
// "model.pt")` writes (PyTorch 1.6 and later: a zip archive holding
// <name>/data.pkl, the pickled dict, and <name>/data/<key>, each storage's
// raw little-endian bytes), read into tapegrad models:
//
//     nn::Sequential model(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10));
//     nn::load_pytorch(model, "model.pt");   // "0.weight", "0.bias", "2.weight", ...
//
// The layers' parameter names and layouts are PyTorch's (Linear's (out, in)
// weight, Conv2d's (out, in, kh, kw), LSTM's weight_ih_l0 with gates i, f,
// g, o, BatchNorm's running statistics), so a state dict maps one to one;
// PyTorchLoadOptions::rename maps names that differ.
//
// The pickle is read by a restricted unpickler of tapegrad's own
// (nn/pytorch/unpickler.cpp): only the opcodes and globals a state dict
// needs (OrderedDict, torch._utils._rebuild_tensor_v2 and _rebuild_parameter,
// the storage types), anything else refused with a CheckpointError. Loading
// never runs code from the file, unlike Python's torch.load without
// weights_only. The zip archive is read with libzip; every size the file
// claims is checked against the archive's real sizes before anything is
// allocated for it. Storages of float32, float64 and int64 keep their dtype;
// float16 and bfloat16 are widened to float32. The legacy (pre-1.6, not
// zip) format is not read: re-save it with a current PyTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "checkpoint.hpp"
#include "module.hpp"

namespace tg::nn {

/// The tensors of a torch.save file, with dotted names in the file's order:
/// a state dict's keys as they are ("fc1.weight"), a dict of dicts joined by
/// dots ("model.fc1.weight" for torch.save({"model": model.state_dict()})),
/// int keys in decimal ("optimizer.state.0.exp_avg"). Values that are not
/// tensors (ints, floats, strings, lists) are skipped. Each tensor is a
/// fresh contiguous copy (views of one storage, as tied weights are, become
/// copies). Throws CheckpointError for a missing, truncated or corrupt file,
/// or one that is not a state dict: "pytorch file 'm.pt': data.pkl: refers
/// to os.system, which loading does not allow ...".
TensorFile load_pytorch_tensors(const std::string& path);

/// load_pytorch_tensors from the bytes of a file in memory (`source` names
/// it in messages).
TensorFile decode_pytorch_tensors(std::span<const std::uint8_t> bytes, const std::string& source = "<memory>");

/// Options of load_pytorch().
struct PyTorchLoadOptions {
  /// Maps each name of the file to the model's name for it, or to "" to
  /// drop the tensor (e.g. strip a "module." prefix that DataParallel adds,
  /// or keep only "model.*" of a training checkpoint). Unset: names as they are.
  std::function<std::string(const std::string&)> rename{};
  /// As LoadOptions::strict: every model tensor in the file and every
  /// (renamed, not dropped) file tensor in the model.
  bool strict = true;
  /// As LoadOptions::convert_dtype: float64 tensors into float32 parameters.
  bool convert_dtype = true;
};

/// Loads a torch.save state dict into `model`: names, shapes and dtypes are
/// checked as by load() (every problem in one CheckpointError) before
/// anything is copied. Throws InvalidArgument when `rename` maps two names
/// to one.
LoadResult load_pytorch(Module& model, const std::string& path, const PyTorchLoadOptions& options = {});

}  // namespace tg::nn
