// torch.save archives built by hand for the PyTorch suites: a pickle
// writer for the opcodes a state dict uses (and those a malicious file
// would), and zip archives written with libzip, as PyTorch lays them out
// (<name>/data.pkl, <name>/data/<key>, stored uncompressed).
#pragma once

#include <zip.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "checkpoint_support.hpp"

namespace tg::test {

// Appends pickle opcodes (protocol 2, as torch.save writes them).
struct Pickle {
  std::string bytes = "\x80\x02";

  Pickle& op(char c) { bytes += c; return *this; }
  Pickle& global(const std::string& module, const std::string& name) { bytes += "c" + module + "\n" + name + "\n"; return *this; }
  Pickle& str(const std::string& s) {
    bytes += 'X';
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>(s.size() >> (8 * i));
    bytes += s;
    return *this;
  }
  Pickle& integer(std::int64_t v) {  // BININT (4 bytes, signed)
    bytes += 'J';
    for (int i = 0; i < 4; ++i) bytes += static_cast<char>(static_cast<std::uint32_t>(v) >> (8 * i));
    return *this;
  }
  Pickle& ints(const std::vector<std::int64_t>& values) {  // a tuple
    op('(');
    for (std::int64_t v : values) integer(v);
    return op('t');
  }
  Pickle& mark() { return op('('); }
  // _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, sizes, strides, False, OrderedDict())
  Pickle& tensor(const std::string& type, const std::string& key, std::int64_t numel, std::int64_t offset,
                 const std::vector<std::int64_t>& sizes, const std::vector<std::int64_t>& strides) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark().mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t').op('Q');
    integer(offset).ints(sizes).ints(strides).op('\x89');
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  // OrderedDict() followed by MARK; close it with end_dict().
  Pickle& begin_dict() { return global("collections", "OrderedDict").op(')').op('R').mark(); }
  Pickle& end_dict() { return op('u'); }
  std::string stop() { return bytes + "."; }
};

inline std::string float_bytes(const std::vector<float>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)};
}

// A zip archive of (name, content) entries, stored, at `path`.
inline void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  REQUIRE(archive != nullptr);
  for (const auto& [name, content] : entries) {
    zip_source_t* source = zip_source_buffer(archive, content.data(), content.size(), 0);
    REQUIRE(source != nullptr);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_OVERWRITE);
    REQUIRE(index >= 0);
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  REQUIRE(zip_close(archive) == 0);
}

// A torch.save archive: archive/data.pkl, archive/data/<key> for each storage.
inline void write_pt(const std::string& path, const std::string& pickle,
                     const std::vector<std::pair<std::string, std::string>>& storages) {
  std::vector<std::pair<std::string, std::string>> entries{{"archive/data.pkl", pickle}, {"archive/byteorder", "little"}};
  for (const auto& [key, bytes] : storages) entries.emplace_back("archive/data/" + key, bytes);
  entries.emplace_back("archive/version", "3\n");
  write_zip(path, entries);
}

// The message of what `f` throws as a CheckpointError ("" when it does not throw one).
template <typename F>
std::string checkpoint_error(F&& f) {
  try {
    f();
  } catch (const nn::CheckpointError& e) {
    return e.what();
  }
  return "";
}

}  // namespace tg::test
