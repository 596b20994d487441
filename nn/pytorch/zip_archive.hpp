// Reading a zip archive (PyTorch's torch.save format is one) through
// libzip: the entries' names and sizes, and an entry's bytes, with every
// size checked against the archive's real size before anything is
// allocated for it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

struct zip;

namespace tg::nn::pytorch {

/// An open archive, read-only. Errors throw CheckpointError naming
/// `source` ("pytorch file '<source>': ...").
class ZipArchive {
 public:
  /// Opens the file at `path` (libzip checks the central directory's
  /// consistency).
  static ZipArchive open_file(const std::string& path);
  /// Opens the archive in `bytes`, which must outlive the ZipArchive (the
  /// fuzz target's and the tests' entry point).
  static ZipArchive open_memory(std::span<const std::uint8_t> bytes, const std::string& source);

  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  /// The names of the entries, in the archive's order.
  const std::vector<std::string>& names() const { return names_; }
  /// Whether an entry of that name exists.
  bool contains(const std::string& name) const;
  /// The uncompressed size of entry `name`, checked to be possible: a
  /// stored entry's size equals its compressed size, a deflated one's is at
  /// most deflate's largest ratio (1032:1) of it, and no compressed size
  /// exceeds the archive's. Throws for a missing, encrypted or otherwise
  /// compressed entry.
  std::uint64_t size(const std::string& name) const;
  /// Reads all of entry `name` into `destination`, which holds exactly
  /// size(name) bytes; throws when the entry ends early or is corrupt (CRC).
  void read(const std::string& name, std::span<std::uint8_t> destination) const;
  /// read() into a fresh string of size(name) bytes.
  std::string read_string(const std::string& name) const;

  const std::string& source() const { return source_; }

 private:
  ZipArchive(::zip* archive, std::uint64_t archive_size, std::string source);
  [[noreturn]] void fail(const std::string& problem) const;
  std::int64_t index_of(const std::string& name) const;

  struct Closer {
    void operator()(::zip* archive) const;
  };
  std::unique_ptr<::zip, Closer> archive_;
  std::uint64_t archive_size_ = 0;
  std::string source_;
  std::vector<std::string> names_;
};

}  // namespace tg::nn::pytorch
