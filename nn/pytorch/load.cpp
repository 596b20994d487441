// torch.save archives to named tensors: find the archive's data.pkl, let
// the restricted unpickler describe the tensors, check each storage against
// its entry's real size, and copy each tensor's view out of its storage.
#include <cstring>
#include <map>
#include <set>

#include "../half_float.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/nn/pytorch.hpp"
#include "unpickler.hpp"
#include "zip_archive.hpp"

namespace tg::nn {

namespace {

using pytorch::StorageType;
using pytorch::TensorRecord;
using pytorch::ZipArchive;

Dtype loaded_dtype(StorageType type) {
  switch (type) {
    case StorageType::f64: return Dtype::f64;
    case StorageType::i64: return Dtype::i64;
    default: return Dtype::f32;  // f32, and f16 / bf16 widened
  }
}

// The element at `index` of a storage of `type`, as the loaded dtype T.
template <typename T>
T element(const std::uint8_t* storage, std::int64_t index, StorageType type) {
  const std::uint8_t* at = storage + index * pytorch::element_size(type);
  switch (type) {
    case StorageType::f32: { float v; std::memcpy(&v, at, 4); return static_cast<T>(v); }
    case StorageType::f64: { double v; std::memcpy(&v, at, 8); return static_cast<T>(v); }
    case StorageType::i64: { std::int64_t v; std::memcpy(&v, at, 8); return static_cast<T>(v); }
    case StorageType::f16: { std::uint16_t v; std::memcpy(&v, at, 2); return static_cast<T>(float16_to_float(v)); }
    case StorageType::bf16: { std::uint16_t v; std::memcpy(&v, at, 2); return static_cast<T>(bfloat16_to_float(v)); }
  }
  return T{};
}

// The view (offset, sizes, strides) of `storage`, row-major into `out`.
template <typename T>
void gather(const TensorRecord& r, const std::uint8_t* storage, T* out) {
  const std::size_t rank = r.sizes.size();
  std::int64_t numel = 1;
  for (std::int64_t s : r.sizes) numel *= s;
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t at = r.offset;
  for (std::int64_t i = 0; i < numel; ++i) {
    out[i] = element<T>(storage, at, r.type);
    for (std::size_t axis = rank; axis-- > 0;) {  // odometer over the axes
      at += r.strides[axis];
      if (++index[axis] < r.sizes[axis]) break;
      at -= r.strides[axis] * r.sizes[axis];
      index[axis] = 0;
    }
  }
}

// The directory of data.pkl: "<name>/" (torch.save puts everything under
// one top-level directory named after the file), or "" at the top.
std::string archive_prefix(const ZipArchive& archive) {
  std::vector<std::string> found;
  for (const std::string& name : archive.names()) {
    if (name == "data.pkl") found.emplace_back("");
    else if (name.ends_with("/data.pkl") && name.find('/') == name.size() - 9) found.push_back(name.substr(0, name.size() - 8));
  }
  if (found.empty()) {
    throw CheckpointError("pytorch file '" + archive.source() +
                          "': the archive has no data.pkl: not a file written by torch.save");
  }
  if (found.size() > 1) {
    throw CheckpointError("pytorch file '" + archive.source() + "': the archive has " + std::to_string(found.size()) +
                          " data.pkl entries ('" + found[0] + "data.pkl', '" + found[1] + "data.pkl')");
  }
  return found[0];
}

TensorFile decode_archive(const ZipArchive& archive) {
  const std::string where = "pytorch file '" + archive.source() + "': ";
  const std::string prefix = archive_prefix(archive);
  if (archive.contains(prefix + "byteorder")) {
    const std::uint64_t size = archive.size(prefix + "byteorder");
    if (size > 16) throw CheckpointError(where + "the byteorder entry holds " + std::to_string(size) + " bytes");
    const std::string order = archive.read_string(prefix + "byteorder");
    if (order != "little") throw CheckpointError(where + "the tensors are stored '" + order + "'-endian; only little-endian is read");
  }
  const std::vector<TensorRecord> records =
      pytorch::unpickle_state_dict(archive.read_string(prefix + "data.pkl"), archive.source());

  // Each storage once, checked against its entry's size before it is read:
  // the pickle's numel × element size must be what the archive holds.
  std::map<std::string, std::vector<std::uint8_t>> storages;
  std::map<std::string, const TensorRecord*> first_use;
  for (const TensorRecord& r : records) {
    const auto [seen, fresh] = first_use.emplace(r.storage_key, &r);
    if (!fresh) {
      if (seen->second->type != r.type || seen->second->storage_numel != r.storage_numel) {
        throw CheckpointError(where + "the storage '" + r.storage_key + "' is described twice, differently");
      }
      continue;
    }
    const std::string entry = prefix + "data/" + r.storage_key;
    const std::uint64_t bytes = archive.size(entry);
    const auto element = static_cast<std::uint64_t>(pytorch::element_size(r.type));
    if (bytes % element != 0 || bytes / element != static_cast<std::uint64_t>(r.storage_numel)) {
      throw CheckpointError(where + "the storage '" + r.storage_key + "' of '" + r.name + "' should hold " +
                            std::to_string(r.storage_numel) + " elements of " + pytorch::storage_class_name(r.type) +
                            ", but its entry has " + std::to_string(bytes) + " bytes");
    }
    std::vector<std::uint8_t>& storage = storages[r.storage_key];
    storage.resize(bytes);
    archive.read(entry, storage);
  }

  TensorFile file;
  std::set<std::string> names;
  for (const TensorRecord& r : records) {
    if (!names.insert(r.name).second) throw CheckpointError(where + "the name '" + r.name + "' appears twice");
    Shape shape;
    for (std::int64_t s : r.sizes) shape.push_back(s);
    if (shape.numel() > r.storage_numel) {
      throw CheckpointError(where + "'" + r.name + "' " + shape.str() + " has more elements than its storage (" +
                            std::to_string(r.storage_numel) + "): an expanded view, which is not read");
    }
    Tensor t = zeros(shape, loaded_dtype(r.type));
    if (shape.numel() > 0) {
      const std::uint8_t* storage = storages[r.storage_key].data();
      dispatch_all(t.dtype(), [&]<class T>() { gather(r, storage, t.mutable_data<T>()); });
    }
    file.tensors.emplace_back(r.name, std::move(t));
  }
  return file;
}

}  // namespace

TensorFile load_pytorch_tensors(const std::string& path) { return decode_archive(ZipArchive::open_file(path)); }

TensorFile decode_pytorch_tensors(std::span<const std::uint8_t> bytes, const std::string& source) {
  return decode_archive(ZipArchive::open_memory(bytes, source));
}

LoadResult load_pytorch(Module& model, const std::string& path, const PyTorchLoadOptions& options) {
  TensorFile file = load_pytorch_tensors(path);
  if (options.rename) {
    TensorFile renamed;
    std::map<std::string, std::string> source_of;
    for (auto& [name, t] : file.tensors) {
      std::string target = options.rename(name);
      if (target.empty()) continue;
      const auto [other, fresh] = source_of.emplace(target, name);
      if (!fresh) {
        throw InvalidArgument("load_pytorch: rename maps both '" + other->second + "' and '" + name + "' to '" + target + "'");
      }
      renamed.tensors.emplace_back(std::move(target), std::move(t));
    }
    file = std::move(renamed);
  }
  return load(model, file, path, {.strict = options.strict, .convert_dtype = options.convert_dtype});
}

}  // namespace tg::nn
