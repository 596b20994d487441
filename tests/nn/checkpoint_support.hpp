// What the checkpoint suites share: a scratch directory, whole files as
// bytes, a small model and its values, a child process with a file size limit.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "../support.hpp"

namespace tg::test {

namespace fs = std::filesystem;

// A fresh directory for one test case, removed with its content.
struct TempDir {
  fs::path path;
  TempDir() {
    char name[] = "/tmp/tg_checkpoint_XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(path, fs::perms::owner_all, ignored);
    fs::remove_all(path, ignored);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(path)) out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Linear, BatchNorm1d (two float buffers and an int64 one), ReLU, Linear.
inline nn::Sequential make_model(std::uint64_t seed, std::int64_t width = 8) {
  Generator g(seed);
  return nn::Sequential(nn::Linear(4, width, {.generator = &g}), nn::BatchNorm1d(width), nn::ReLU(),
                        nn::Linear(width, 3, {.generator = &g}));
}

// Every parameter and buffer, by name, as doubles.
inline std::map<std::string, std::vector<double>> values_of(const nn::Module& model) {
  std::map<std::string, std::vector<double>> out;
  for (const auto& [name, t] : model.named_parameters()) out[name] = t.to_vector<double>();
  for (const auto& [name, t] : model.named_buffers()) out[name] = t.to_vector<double>();
  return out;
}

// Runs `child` in a forked process with its file size limited to `limit`
// bytes; returns the wait status. What the child writes to `report` comes
// back in `message`.
inline int run_limited(std::uint64_t limit, bool ignore_sigxfsz, const std::function<std::string()>& child,
                std::string& message) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fds[0]);
    const rlimit no_core{0, 0}, size{limit, limit};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &size);
    std::string text;
    try {
      text = child();
    } catch (...) {
      text = "(unexpected exception)";
    }
    (void)!::write(pipe_fds[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace tg::test
