// Safetensors files on disk: atomic writes (temporary file, fsync, rename)
// and reads through the checked decoder of nn/safetensors.cpp.
#include "tapegrad/nn/safetensors.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <set>
#include <system_error>

#include "safetensors_format.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn {

namespace {

std::string system_message(int error) { return std::system_category().message(error); }

// The names of the temporary files this process is writing now (unique:
// each has its own counter): a file of this pid not among them was left by an
// earlier process that had the same pid.
class TempFilesInUse {
 public:
  void add(const std::string& name) {
    std::lock_guard lock(mutex_);
    names_.insert(name);
  }
  void remove(const std::string& name) {
    std::lock_guard lock(mutex_);
    names_.erase(name);
  }
  bool contains(const std::string& name) {
    std::lock_guard lock(mutex_);
    return names_.count(name) > 0;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> names_;
};

TempFilesInUse& temp_files_in_use() {
  static TempFilesInUse files;
  return files;
}

// The pid in a temporary file name "<file name>.tmp.<pid>.<n>" of `target`,
// or 0 for any other name.
pid_t temp_file_pid(const std::string& name, const std::string& target) {
  const std::string prefix = target + ".tmp.";
  if (!name.starts_with(prefix)) return 0;
  const char* first = name.data() + prefix.size();
  const char* last = name.data() + name.size();
  pid_t pid = 0;
  const auto [dot, error] = std::from_chars(first, last, pid);
  if (error != std::errc() || dot == first || dot == last || *dot != '.' || pid <= 0) return 0;
  const char* counter = dot + 1;
  if (counter == last || !std::all_of(counter, last, [](char c) { return c >= '0' && c <= '9'; })) return 0;
  return pid;
}

// Note [Stale temporary files]: a process killed mid-save leaves its
// "<path>.tmp.<pid>.<n>"; with checkpoints of gigabytes a few such crashes
// fill the disk. A save removes those of its own target whose writer is
// gone: a pid no process has, or this process's pid but a name it is not
// writing (a restarted container often gets the pid of the one that died).
// A temporary file of a live process is left alone: it may be saving now.
// (Pids of another pid namespace sharing the directory, another container's,
// cannot be told apart; if its writer was alive after all, its rename fails
// with a CheckpointError and the checkpoint stays as it was.)
void remove_stale_temp_files(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string target_name = target.filename().string();
  const std::filesystem::path parent = target.parent_path().empty() ? "." : target.parent_path();
  std::error_code ec;
  std::filesystem::directory_iterator entries(parent, ec);
  for (; !ec && entries != std::filesystem::directory_iterator(); entries.increment(ec)) {
    const std::string name = entries->path().filename().string();
    const pid_t pid = temp_file_pid(name, target_name);
    if (pid == 0) continue;
    const bool writer_gone = pid == ::getpid() ? !temp_files_in_use().contains(name)
                                               : ::kill(pid, 0) != 0 && errno == ESRCH;
    if (writer_gone) ::unlink(entries->path().c_str());  // best effort: the save does not depend on it
  }
}

// A file written beside its target and renamed over it on commit(); removed
// when destroyed uncommitted (an exception on the way).
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {
    static std::atomic<unsigned> counter{0};
    remove_stale_temp_files(path_);
    temp_ = path_ + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    temp_name_ = std::filesystem::path(temp_).filename().string();
    temp_files_in_use().add(temp_name_);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int error = errno;
      temp_files_in_use().remove(temp_name_);
      fail(error, "cannot create the temporary file '" + temp_ + "'");
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
    temp_files_in_use().remove(temp_name_);
  }

  void write(const void* data, std::uint64_t size) {
    const char* bytes = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(fd_, bytes, std::min<std::uint64_t>(size, 1u << 30));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = n == 0 ? ENOSPC : errno;
        fail(error, "writing '" + temp_ + "' failed");
      }
      bytes += n;
      size -= static_cast<std::uint64_t>(n);
    }
  }

  void commit() {
    if (::fsync(fd_) != 0) {
      const int error = errno;
      fail(error, "flushing '" + temp_ + "' to disk failed");
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      const int error = errno;
      fail(error, "closing '" + temp_ + "' failed");
    }
    if (::rename(temp_.c_str(), path_.c_str()) != 0) {
      const int error = errno;
      fail(error, "cannot rename '" + temp_ + "' to it");
    }
    committed_ = true;
    // Make the rename itself durable; the data is safe either way, so a
    // directory that cannot be opened or synced is not an error.
    const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
    const std::string directory = parent.empty() ? std::string(".") : parent.string();
    if (const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  // Throws naming the step that failed and the reason: pass errno as read
  // right after the call (building the message may allocate and change it).
  [[noreturn]] void fail(int error, const std::string& what) const {
    throw CheckpointError("cannot write checkpoint '" + path_ + "': " + what + ": " + system_message(error));
  }

  std::string path_;
  std::string temp_;
  std::string temp_name_;  // temp_ without its directory
  int fd_ = -1;
  bool committed_ = false;
};

const void* bytes_of(const Tensor& t) {
  return dispatch_all(t.dtype(), [&]<class T>() -> const void* { return t.data<T>(); });
}

}  // namespace

Tensor TensorFile::get(const std::string& name) const {
  for (const auto& [n, t] : tensors) {
    if (n == name) return t;
  }
  return Tensor();
}

void save_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                  const std::map<std::string, std::string>& metadata) {
  std::set<std::string_view> names;
  for (const auto& [name, t] : tensors) {
    if (!t.defined()) throw InvalidArgument("save_tensors: '" + name + "' is an undefined tensor");
    if (name == "__metadata__") throw InvalidArgument("save_tensors: '__metadata__' is reserved for the metadata");
    if (!names.insert(name).second) throw InvalidArgument("save_tensors: the name '" + name + "' is given twice");
  }
  // 8-byte dtypes first: the header is padded to 8 bytes, so each tensor is
  // then aligned to its element size (as the reference writer does).
  std::vector<const std::pair<std::string, Tensor>*> order;
  for (const auto& entry : tensors) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return dtype_size(a->second.dtype()) > dtype_size(b->second.dtype()); });
  std::vector<safetensors::Entry> entries;
  std::uint64_t offset = 0;
  for (const auto* entry : order) {
    const Tensor& t = entry->second;
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.numel()) * dtype_size(t.dtype());
    entries.push_back({.name = entry->first, .dtype = t.dtype(), .shape = t.shape(), .begin = offset, .end = offset + bytes});
    offset += bytes;
  }
  const std::string header = safetensors::encode_header(entries, metadata);

  AtomicFile file(path);
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));
  file.write(length, 8);
  file.write(header.data(), header.size());
  for (std::size_t i = 0; i < order.size(); ++i) file.write(bytes_of(order[i]->second), entries[i].end - entries[i].begin);
  file.commit();
}

TensorFile load_tensors(const std::string& path) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever;
  // the regular-file check below refuses it (a regular file ignores the flag).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    throw CheckpointError("cannot open checkpoint '" + path + "': " + system_message(error));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    throw CheckpointError("cannot read checkpoint '" + path + "': " + system_message(error));
  }
  if (!S_ISREG(info.st_mode)) throw CheckpointError("checkpoint '" + path + "' is not a regular file");
  const auto read_at = [&](std::uint64_t offset, std::uint64_t size, void* destination) {
    char* out = static_cast<char*>(destination);
    while (size > 0) {
      const ssize_t n = ::pread(fd, out, std::min<std::uint64_t>(size, 1u << 30), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        throw CheckpointError("cannot read checkpoint '" + path + "': " + system_message(error));
      }
      if (n == 0) throw CheckpointError("checkpoint '" + path + "': the file became shorter while it was read");
      out += n;
      offset += static_cast<std::uint64_t>(n);
      size -= static_cast<std::uint64_t>(n);
    }
  };
  return safetensors::decode(static_cast<std::uint64_t>(info.st_size), read_at, path);
}

TensorFile decode_tensors(std::span<const std::uint8_t> bytes, const std::string& source) {
  // decode() reads only ranges it has checked against the size.
  const auto read_at = [&](std::uint64_t offset, std::uint64_t size, void* destination) {
    std::memcpy(destination, bytes.data() + offset, size);
  };
  return safetensors::decode(bytes.size(), read_at, source);
}

}  // namespace tg::nn
