// The readers under fuzzing take a path, not bytes: each input is written to
// one file of this process's own, in memory (/dev/shm) where there is one.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>

namespace tg::fuzz {

class ScratchFile {
 public:
  explicit ScratchFile(const std::string& suffix) {
    const char* dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/tapegrad-fuzz-" + std::to_string(::getpid()) + suffix;
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's content with `size` bytes; aborts if it cannot (a
  // broken harness, not a finding).
  const std::string& hold(const std::uint8_t* data, std::size_t size) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) harness_failure("cannot create");
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd, data + done, size - done);
      if (n <= 0) harness_failure("cannot write");
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path_;
  }

 private:
  [[noreturn]] void harness_failure(const char* what) const {
    std::fprintf(stderr, "fuzz harness: %s %s\n", what, path_.c_str());
    std::abort();
  }

  std::string path_;
};

}  // namespace tg::fuzz
