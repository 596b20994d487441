// libzip does the zip format (central directory, local headers, deflate,
// CRC); this file only asks it for entries and bounds what it believes.
#include "zip_archive.hpp"

#include <sys/stat.h>
#include <zip.h>

#include <cerrno>
#include <system_error>

#include "tapegrad/nn/checkpoint.hpp"

namespace tg::nn::pytorch {

namespace {

// Deflate's largest expansion: 258 bytes from one 2-bit code, about 1032:1
// (RFC 1951); a larger claimed size is a lie, not a tensor.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

}  // namespace

void ZipArchive::Closer::operator()(::zip* archive) const { zip_discard(archive); }

ZipArchive::ZipArchive(::zip* archive, std::uint64_t archive_size, std::string source)
    : archive_(archive), archive_size_(archive_size), source_(std::move(source)) {
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* name = zip_get_name(archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (!name) fail("entry " + std::to_string(i) + " has no readable name");
    names_.emplace_back(name);
  }
}

ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;
ZipArchive& ZipArchive::operator=(ZipArchive&&) noexcept = default;
ZipArchive::~ZipArchive() = default;

ZipArchive ZipArchive::open_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    throw CheckpointError("cannot open pytorch file '" + path + "': " + std::system_category().message(error));
  }
  if (!S_ISREG(info.st_mode)) throw CheckpointError("pytorch file '" + path + "' is not a regular file");
  int code = 0;
  ::zip* archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!archive) {
    throw CheckpointError("pytorch file '" + path + "': not a readable zip archive (" + zip_error_text(code) +
                          "); torch.save writes one since PyTorch 1.6, the older format is not read");
  }
  return ZipArchive(archive, static_cast<std::uint64_t>(info.st_size), path);
}

ZipArchive ZipArchive::open_memory(std::span<const std::uint8_t> bytes, const std::string& source) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  ::zip* archive = buffer ? zip_open_from_source(buffer, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr;
  if (!archive) {
    const std::string text = zip_error_strerror(&error);
    if (buffer) zip_source_free(buffer);
    zip_error_fini(&error);
    throw CheckpointError("pytorch file '" + source + "': not a readable zip archive (" + text + ")");
  }
  zip_error_fini(&error);
  return ZipArchive(archive, bytes.size(), source);
}

void ZipArchive::fail(const std::string& problem) const {
  throw CheckpointError("pytorch file '" + source_ + "': " + problem);
}

bool ZipArchive::contains(const std::string& name) const {
  return zip_name_locate(archive_.get(), name.c_str(), ZIP_FL_ENC_RAW) >= 0;
}

std::int64_t ZipArchive::index_of(const std::string& name) const {
  const zip_int64_t index = zip_name_locate(archive_.get(), name.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) fail("the archive has no entry '" + name + "'");
  return index;
}

std::uint64_t ZipArchive::size(const std::string& name) const {
  zip_stat_t info;
  zip_stat_init(&info);
  if (zip_stat_index(archive_.get(), static_cast<zip_uint64_t>(index_of(name)), 0, &info) != 0) {
    fail("cannot read the entry '" + name + "': " + zip_strerror(archive_.get()));
  }
  const zip_uint64_t needed = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if ((info.valid & needed) != needed) fail("the entry '" + name + "' has no recorded size");
  if ((info.valid & ZIP_STAT_ENCRYPTION_METHOD) && info.encryption_method != ZIP_EM_NONE) fail("the entry '" + name + "' is encrypted");
  if (info.comp_size > archive_size_) {
    fail("the entry '" + name + "' claims " + std::to_string(info.comp_size) + " compressed bytes, more than the archive's " +
         std::to_string(archive_size_));
  }
  if (info.comp_method == ZIP_CM_STORE) {
    if (info.size != info.comp_size) {
      fail("the stored entry '" + name + "' claims " + std::to_string(info.size) + " bytes but occupies " +
           std::to_string(info.comp_size));
    }
  } else if (info.comp_method == ZIP_CM_DEFLATE) {
    if (info.size / kMaxDeflateRatio > info.comp_size) {
      fail("the entry '" + name + "' claims " + std::to_string(info.size) + " bytes from " + std::to_string(info.comp_size) +
           " deflated ones, more than deflate can produce");
    }
  } else {
    fail("the entry '" + name + "' uses compression method " + std::to_string(info.comp_method) +
         " (only stored and deflated entries are read)");
  }
  return info.size;
}

void ZipArchive::read(const std::string& name, std::span<std::uint8_t> destination) const {
  const std::uint64_t expected = size(name);
  if (destination.size() != expected) {
    fail("the entry '" + name + "' holds " + std::to_string(expected) + " bytes, " + std::to_string(destination.size()) +
         " were expected");
  }
  zip_file_t* file = zip_fopen_index(archive_.get(), static_cast<zip_uint64_t>(index_of(name)), 0);
  if (!file) fail("cannot open the entry '" + name + "': " + zip_strerror(archive_.get()));
  std::uint64_t done = 0;
  std::string problem;
  while (done < expected) {
    const zip_int64_t n = zip_fread(file, destination.data() + done, expected - done);
    if (n < 0) {
      problem = std::string("corrupt entry '") + name + "': " + zip_file_strerror(file);
      break;
    }
    if (n == 0) {
      problem = "the entry '" + name + "' ends after " + std::to_string(done) + " of its " + std::to_string(expected) +
                " bytes (truncated archive?)";
      break;
    }
    done += static_cast<std::uint64_t>(n);
  }
  // The CRC is checked once the whole entry has been read.
  if (problem.empty()) {
    std::uint8_t extra = 0;
    if (zip_fread(file, &extra, 1) < 0) problem = std::string("corrupt entry '") + name + "': " + zip_file_strerror(file);
  }
  zip_fclose(file);
  if (!problem.empty()) fail(problem);
}

std::string ZipArchive::read_string(const std::string& name) const {
  std::string bytes(size(name), '\0');
  read(name, std::span(reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()));
  return bytes;
}

}  // namespace tg::nn::pytorch
