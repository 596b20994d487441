// Checks shared by the data readers (private to nn/data).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "tapegrad/nn/data/errors.hpp"

namespace tg::data::detail {

/// Throws DataError naming `path` unless it is an existing regular file (or
/// a link to one): "read_idx: no such file: 'x.gz'".
inline void check_readable_file(const std::string& path, const char* op) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw DataError(std::string(op) + ": no such file: '" + path + "'");
  if (std::filesystem::is_directory(status)) {
    throw DataError(std::string(op) + ": '" + path + "' is a directory, not a file");
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw DataError(std::string(op) + ": '" + path + "' is not a regular file");
  }
}

}  // namespace tg::data::detail
