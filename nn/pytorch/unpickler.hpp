// A restricted unpickler for the data.pkl of a torch.save archive: it
// understands the opcodes a pickled state dict uses and the handful of
// globals it names, and refuses everything else, so that reading a file
// never runs code (Python's pickle calls whatever a GLOBAL names: a .pt file
// can hold `os.system`). Candle's candle-core/src/pickle.rs takes the same
// approach. The opcodes are those of Python's Lib/pickletools.py.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tg::nn::pytorch {

/// The element type of a storage, from its pickled class (torch.FloatStorage, ...).
enum class StorageType { f32, f64, i64, f16, bf16 };

/// Bytes per element.
int element_size(StorageType type);
/// "torch.FloatStorage", ...
const char* storage_class_name(StorageType type);

/// One tensor of the pickled state dict, as _rebuild_tensor_v2 describes it:
/// a view (offset, sizes, strides, all in elements) of the storage in the
/// archive's entry data/<storage_key>. Checked against the pickle itself:
/// at most kMaxRank axes, no negative size or stride, no overflow, every
/// element inside the storage's declared numel.
struct TensorRecord {
  std::string name;
  std::string storage_key;
  StorageType type = StorageType::f32;
  std::int64_t storage_numel = 0;
  std::int64_t offset = 0;
  std::vector<std::int64_t> sizes;
  std::vector<std::int64_t> strides;
};

/// Unpickles `pickle` (protocol 2 to 5) and returns its tensors with dotted
/// names: the top level must be a dict (a state dict, or a dict holding
/// state dicts), nested dicts add their key to the name ("model.fc1.weight",
/// int keys in decimal: "optimizer.state.0.exp_avg"); values that are not
/// tensors or dicts (ints, floats, strings, lists) are skipped. Only the
/// globals collections.OrderedDict, torch._utils._rebuild_tensor_v2,
/// torch._utils._rebuild_parameter and the storage types of StorageType are
/// accepted, and a storage only as the persistent id
/// ('storage', type, key, location, numel). Throws CheckpointError
/// "pytorch file '<source>': data.pkl: <problem> (at byte N)".
std::vector<TensorRecord> unpickle_state_dict(std::string_view pickle, const std::string& source);

}  // namespace tg::nn::pytorch
