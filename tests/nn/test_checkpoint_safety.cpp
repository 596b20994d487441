// Checkpoint safety: a save killed at any stage or failing on a full disk
// leaves the previous checkpoint loadable and reports the path; places the
// file system refuses are named; the temporary files of dead writers are
// removed by the next save, those of live ones kept.
#include <doctest/doctest.h>

#include <errno.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint_support.hpp"

using namespace tg;
using namespace tg::test;

// Note [Injected write failures]: this test program defines write(2) and
// fsync(2) itself, so the library's calls come here first. Disarmed they are
// the system calls; armed, writes to `injected_fd` succeed for the first
// `injected_bytes_left` bytes (a short write at the boundary) and then fail
// with `injected_write_error`, as on a disk that just filled up, and fsync
// fails with `injected_fsync_error`.
namespace {
std::atomic<int> injected_write_error{0};
std::atomic<int> injected_fsync_error{0};
std::atomic<std::int64_t> injected_bytes_left{0};

// Arms the injection for the writes of one save (files opened after this
// call: the temporary file is the only one a save opens for writing).
struct InjectFailures {
  InjectFailures(int write_error, std::int64_t bytes_first, int fsync_error = 0) {
    injected_bytes_left = bytes_first;
    injected_fsync_error = fsync_error;
    injected_write_error = write_error;
  }
  ~InjectFailures() {
    injected_write_error = 0;
    injected_fsync_error = 0;
  }
};
}  // namespace

extern "C" ssize_t write(int fd, const void* data, size_t size) {
  if (injected_write_error != 0 && fd > 2) {
    const std::int64_t left = injected_bytes_left;
    if (left <= 0) {
      errno = injected_write_error;
      return -1;
    }
    size = std::min<std::size_t>(size, static_cast<std::size_t>(left));
    injected_bytes_left -= static_cast<std::int64_t>(size);
  }
  return ::syscall(SYS_write, fd, data, size);
}

extern "C" int fsync(int fd) {
  if (injected_fsync_error != 0 && fd > 2) {
    errno = injected_fsync_error;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fsync, fd));
}

namespace {

// A pid no process has: a child's, after it has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return pid;
}

}  // namespace

TEST_CASE("a process killed mid-write leaves the old checkpoint intact, and the next save removes its temporary file") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  nn::Sequential old_model = make_model(1, 256), new_model = make_model(2, 256);
  nn::save(old_model, path);
  const auto old_bytes = read_bytes(path);
  REQUIRE(old_bytes.size() > 8000);
  // Past 4 KiB the kernel kills the writer with SIGXFSZ, in the middle of the data.
  std::string message;
  const int status = run_limited(4096, false, [&] {
    nn::save(new_model, path);
    return std::string("(the save finished)");
  }, message);
  CHECK(message == "");
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGXFSZ);
  CHECK(read_bytes(path) == old_bytes);
  const auto files = dir.files();
  REQUIRE(files.size() == 2);  // the checkpoint and the dead writer's partial temporary file
  CHECK(files[1].starts_with("m.safetensors.tmp."));
  CHECK(fs::file_size(dir.path / files[1]) == 4096);
  nn::Sequential reloaded = make_model(3, 256);
  nn::load(reloaded, path);
  CHECK(values_of(reloaded) == values_of(old_model));
  // The next save succeeds and removes the dead writer's file.
  nn::save(new_model, path);
  CHECK(dir.files() == std::vector<std::string>{"m.safetensors"});
  nn::load(reloaded, path);
  CHECK(values_of(reloaded) == values_of(new_model));
}

TEST_CASE("a save killed at any stage leaves the old checkpoint loadable") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  nn::Sequential old_model = make_model(1, 64), new_model = make_model(2, 64);
  optim::Adam adam(new_model.parameters());
  nn::save(old_model, path);
  const auto old_bytes = read_bytes(path);
  nn::save(new_model, dir / "probe.safetensors", {.optimizer = &adam});
  const std::uint64_t new_size = fs::file_size(dir.path / "probe.safetensors");
  fs::remove(dir.path / "probe.safetensors");
  // Killed (SIGXFSZ) before the first byte, in the length, in the header, in the data, before the last byte.
  for (std::uint64_t limit : {std::uint64_t{0}, std::uint64_t{4}, std::uint64_t{100}, new_size / 2, new_size - 1}) {
    INFO("killed after " << limit << " bytes");
    std::string message;
    const int status = run_limited(limit, false, [&] {
      nn::save(new_model, path, {.optimizer = &adam});
      return std::string("(the save finished)");
    }, message);
    CHECK(message == "");
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ));
    CHECK(read_bytes(path) == old_bytes);
    nn::Sequential reloaded = make_model(3, 64);
    nn::load(reloaded, path);
    CHECK(values_of(reloaded) == values_of(old_model));
  }
}

TEST_CASE("a file size limit (EFBIG) reports the path and the reason, removes its temporary file, keeps the old one") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  nn::Sequential old_model = make_model(1, 256), new_model = make_model(2, 256);
  nn::save(old_model, path);
  const auto old_bytes = read_bytes(path);
  std::string message;
  const int status = run_limited(4096, true, [&] {
    try {
      nn::save(new_model, path);
    } catch (const nn::CheckpointError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  }, message);
  CHECK(WIFEXITED(status));
  check_contains(message, {"cannot write checkpoint '" + path + "': writing '" + path + ".tmp.", "File too large"});
  CHECK(dir.files() == std::vector<std::string>{"m.safetensors"});
  CHECK(read_bytes(path) == old_bytes);
}

TEST_CASE("a full disk mid-save names the path and the reason, removes its temporary file, keeps the old checkpoint") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  nn::Sequential old_model = make_model(1, 64), new_model = make_model(2, 64);
  nn::save(old_model, path);
  const auto old_bytes = read_bytes(path);
  // Full at once, in the header, in the data, and one byte short.
  for (std::int64_t room : {std::int64_t{0}, std::int64_t{5}, std::int64_t{300},
                            static_cast<std::int64_t>(old_bytes.size()) - 1}) {
    INFO("room for " << room << " bytes");
    {
      InjectFailures full(ENOSPC, room);
      CHECK_ERROR(nn::CheckpointError, nn::save(new_model, path), "cannot write checkpoint '" + path + "': writing '" + path + ".tmp.",
                  "No space left on device");
    }
    CHECK(dir.files() == std::vector<std::string>{"m.safetensors"});
    CHECK(read_bytes(path) == old_bytes);
  }
  // Everything written, but the flush to disk fails (an I/O error, or a
  // delayed allocation that finds no room).
  {
    InjectFailures flush(ENOSPC, std::int64_t{1} << 40, EIO);
    CHECK_ERROR(nn::CheckpointError, nn::save(new_model, path), "cannot write checkpoint '" + path + "': flushing '" + path + ".tmp.",
                "Input/output error");
  }
  CHECK(dir.files() == std::vector<std::string>{"m.safetensors"});
  nn::Sequential reloaded = make_model(3, 64);
  nn::load(reloaded, path);
  CHECK(values_of(reloaded) == values_of(old_model));
  nn::save(new_model, path);  // room again
  nn::load(reloaded, path);
  CHECK(values_of(reloaded) == values_of(new_model));
}

TEST_CASE("an unwritable place names the path and the system's reason") {
  TempDir dir;
  nn::Linear model(3, 2);
  const std::string in_missing_dir = dir / "missing/m.safetensors";
  CHECK_ERROR(nn::CheckpointError, nn::save(model, in_missing_dir), "cannot write checkpoint '" + in_missing_dir + "'", "cannot create the temporary file", "No such file or directory");
  write_bytes(dir / "file", {1});
  const std::string under_file = dir / "file/m.safetensors";
  CHECK_ERROR(nn::CheckpointError, nn::save(model, under_file), "'" + under_file + "'", "Not a directory");
  fs::create_directory(dir / "taken");
  CHECK_ERROR(nn::CheckpointError, nn::save(model, dir / "taken"), "cannot rename", "Is a directory");
  CHECK(dir.files() == std::vector<std::string>{"file", "taken"});
  CHECK_ERROR(nn::CheckpointError, nn::load(model, dir / "none.safetensors"), "cannot open checkpoint '" + (dir / "none.safetensors") + "'", "No such file or directory");
  CHECK_ERROR(nn::CheckpointError, nn::load(model, dir / "taken"), "is not a regular file");

  const std::string under_device = "/dev/null/m.safetensors";
  CHECK_ERROR(nn::CheckpointError, nn::save(model, under_device), "cannot write checkpoint '" + under_device + "'",
              "cannot create the temporary file '" + under_device + ".tmp.", "Not a directory");
  // sysfs refuses new files even to root, whatever the permission bits say.
  if (fs::exists("/sys/kernel")) {
    const std::string in_sysfs = "/sys/m.safetensors";
    CHECK_ERROR(nn::CheckpointError, nn::save(model, in_sysfs), "cannot write checkpoint '" + in_sysfs + "'",
                "cannot create the temporary file");
  } else {
    MESSAGE("read-only location skipped: no /sys here");
  }

  fs::create_directory(dir / "locked");
  fs::permissions(dir.path / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  if (::geteuid() == 0) {
    MESSAGE("permission check skipped: root may write into a read-only directory");
  } else {
    const std::string locked = dir / "locked/m.safetensors";
    CHECK_ERROR(nn::CheckpointError, nn::save(model, locked), "cannot write checkpoint '" + locked + "'", "Permission denied");
  }
}

TEST_CASE("a save removes the temporary files of dead writers of its path, and only those") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getppid());
  const std::string own = std::to_string(::getpid());
  const std::vector<std::string> removed = {"m.safetensors.tmp." + dead + ".0",
                                            "m.safetensors.tmp." + own + ".999999"};  // an earlier process with our pid
  const std::vector<std::string> kept = {"m.safetensors.tmp." + live + ".0",  // may be saving right now
                                         "m.safetensors.tmp." + dead,         // not a name save() makes
                                         "m.safetensors.tmp." + dead + ".0x",
                                         "m.safetensors.tmp.notes",
                                         "n.safetensors.tmp." + dead + ".0"};  // another checkpoint's
  for (const auto& name : removed) write_bytes(dir / name, {1, 2, 3});
  for (const auto& name : kept) write_bytes(dir / name, {1, 2, 3});
  nn::Linear model(3, 2);
  nn::save(model, path);
  std::vector<std::string> expected = kept;
  expected.push_back("m.safetensors");
  std::sort(expected.begin(), expected.end());
  CHECK(dir.files() == expected);
}

TEST_CASE("two threads saving to one path at once: every save succeeds, no temporary file is left") {
  TempDir dir;
  const std::string path = dir / "m.safetensors";
  nn::Sequential a = make_model(1), b = make_model(2);
  std::atomic<int> failures{0};
  const auto saver = [&](const nn::Sequential& model) {
    for (int i = 0; i < 40; ++i) {
      try {
        nn::save(model, path);
      } catch (const std::exception&) {
        ++failures;
      }
    }
  };
  std::thread ta(saver, std::cref(a)), tb(saver, std::cref(b));
  ta.join();
  tb.join();
  CHECK(failures == 0);
  CHECK(dir.files() == std::vector<std::string>{"m.safetensors"});
  nn::Sequential reloaded = make_model(3);
  nn::load(reloaded, path);
  const auto values = values_of(reloaded);
  CHECK((values == values_of(a) || values == values_of(b)));
}

// load_tensors opened the path before its regular-file check, and open(2) of
// a FIFO with no writer blocks forever (issue 20). The call runs on a thread
// so that, on the old code, the test fails instead of hanging: after the
// timeout it opens the FIFO's write side, which lets the blocked open return.
TEST_CASE("load_tensors and load refuse a FIFO at once instead of blocking on it") {
  TempDir dir;
  const std::string fifo = dir / "pipe.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto refused_quickly = [&](const std::function<void()>& call) {
    std::promise<std::string> message;
    std::future<std::string> result = message.get_future();
    std::thread reader([&] {
      try {
        call();
        message.set_value("no exception");
      } catch (const nn::CheckpointError& e) {
        message.set_value(e.what());
      } catch (const std::exception& e) {
        message.set_value(std::string("wrong exception: ") + e.what());
      }
    });
    const bool in_time = result.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    if (!in_time) {
      const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
    reader.join();
    CHECK(in_time);
    return result.get();
  };
  check_contains(refused_quickly([&] { nn::load_tensors(fifo); }),
                 {"checkpoint '" + fifo + "' is not a regular file"});
  nn::Sequential model = make_model(1);
  check_contains(refused_quickly([&] { nn::load(model, fifo); }), {"checkpoint '" + fifo + "' is not a regular file"});
  CHECK_ERROR(nn::CheckpointError, nn::load_tensors(dir / "missing"), "cannot open checkpoint", "No such file");
}

// nlohmann's lexer ends its input at a NUL byte, so a header "{} \0 junk"
// was read as "{}" and the rest ignored (issue 20).
TEST_CASE("a safetensors header holding a NUL byte is refused, naming where") {
  const std::string json = std::string("{\"__metadata__\": {}}") + '\0' + "{\"x\": 1}   ";
  std::vector<std::uint8_t> bytes(8);
  for (int i = 0; i < 8; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(json.size() >> (8 * i));
  bytes.insert(bytes.end(), json.begin(), json.end());
  CHECK_ERROR(nn::CheckpointError, nn::decode_tensors(bytes, "nul.safetensors"),
              "checkpoint 'nul.safetensors': the header holds a NUL byte at byte 20 of its 32",
              "JSON text cannot contain one");
  TempDir dir;
  write_bytes(dir / "nul.safetensors", bytes);
  CHECK_ERROR(nn::CheckpointError, nn::load_tensors(dir / "nul.safetensors"), "NUL byte at byte 20");
}
