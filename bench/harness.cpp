// The harness of bench_mlp: see harness.hpp.
#include "harness.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

extern "C" void openblas_set_num_threads(int);

namespace bench {

// --- options ----------------------------------------------------------------------------

Options parse_options(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* key) -> const char* {
      const std::size_t n = std::strlen(key);
      return a.compare(0, n, key) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("--budget=")) {
      opt.budget_s = std::atof(v);
    } else if (const char* v = value("--threads=")) {
      opt.threads.clear();
      std::stringstream in(v);
      for (std::string t; std::getline(in, t, ',');) opt.threads.push_back(std::atoi(t.c_str()));
    } else if (const char* v = value("--filter=")) {
      opt.filter = v;
    } else if (const char* v = value("--malloc=")) {
      if (std::strcmp(v, "tuned") != 0 && std::strcmp(v, "default") != 0) {
        std::fprintf(stderr, "%s: --malloc takes tuned or default, got '%s'\n", argv[0], v);
        std::exit(2);
      }
      opt.tuned_malloc = std::strcmp(v, "tuned") == 0;
    } else if (a == "--no-torch") {
      opt.torch = false;
    } else if (a == "--quick") {
      opt.budget_s = 0.3;
      opt.warmup_s = 0.05;
      opt.min_samples = 5;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--budget=SECONDS] [--threads=1,2] [--no-torch] [--quick] "
                   "[--filter=SUBSTRING] [--malloc=tuned|default]\n",
                   argv[0]);
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return opt;
}

bool selected(const Options& opt, const std::string& name) {
  return opt.filter.empty() || name.find(opt.filter) != std::string::npos;
}

// --- process facts ----------------------------------------------------------------------

namespace {

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); -1 when unavailable.
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) == 0) return std::atol(line.c_str() + key.size());
  }
  return -1;
}

}  // namespace

double rss_mib() { return static_cast<double>(status_kb("VmRSS")) / 1024.0; }
double peak_rss_mib() { return static_cast<double>(status_kb("VmHWM")) / 1024.0; }
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, 10, "model name") == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// libtorch allocates its tensors with plain malloc. With glibc's defaults a
// buffer above the mmap threshold (128 KiB, raised dynamically to the size
// of the largest mmapped block freed so far) is mapped and unmapped each
// step, and freed heap tops above the trim threshold go back to the kernel:
// the next step page-faults them in again. Whether that happens depends on
// what ran earlier in the process (the dynamic threshold only rises), so a
// case's libtorch time depended on the cases before it (CNN 3.9 ms after
// the MLP cases, 7.2 ms alone). Fixed high thresholds keep every freed
// buffer in the heap: libtorch's most favourable setting, the same for every
// case in any order. tapegrad keeps its buffers in its own pool either way.
std::string apply_malloc_policy(const Options& opt) {
  if (!opt.tuned_malloc) return "glibc malloc with its default (dynamic) thresholds";
  constexpr int kMmapThreshold = 32 << 20, kTrimThreshold = 128 << 20;
  const bool ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 && mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return ok ? "glibc malloc tuned for libtorch: M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 128 MiB (--malloc=default: glibc's dynamic thresholds)"
            : "glibc malloc: mallopt refused the thresholds; defaults in use";
}

void set_threads(int n, bool torch) {
  openblas_set_num_threads(n);
#ifdef TAPEGRAD_BENCH_TORCH
  if (torch) torch_side::set_threads(n);
#else
  (void)torch;
#endif
}

// --- timing -----------------------------------------------------------------------------

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

namespace {

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

// Times the runners with interleaved samples: after a warm-up that also sets
// how many steps make one sample (~sample_s), it takes one sample of each in
// turn until each has had `budget_s` of samples (and at least min_samples).
std::vector<Stats> measure(const std::vector<Runner*>& runners, const Options& opt) {
  const std::size_t n = runners.size();
  std::vector<long> iters(n, 1);
  for (std::size_t r = 0; r < n; ++r) {
    const auto t0 = Clock::now();
    long k = 0;
    do {
      runners[r]->step();
      ++k;
    } while (k < 2 || seconds_since(t0) < opt.warmup_s);
    const double per_step = seconds_since(t0) / static_cast<double>(k);
    iters[r] = std::max(1L, std::lround(opt.sample_s / per_step));
  }
  std::vector<std::vector<double>> per_step(n);
  std::vector<double> spent(n, 0.0);
  for (int s = 0; s < opt.max_samples; ++s) {
    for (std::size_t r = 0; r < n; ++r) {
      const auto t0 = Clock::now();
      for (long i = 0; i < iters[r]; ++i) runners[r]->step();
      const double t = seconds_since(t0);
      spent[r] += t;
      per_step[r].push_back(t / static_cast<double>(iters[r]));
    }
    const bool enough = std::all_of(spent.begin(), spent.end(),
                                    [&](double t) { return t >= opt.budget_s; });
    if (s + 1 >= opt.min_samples && enough) break;
  }
  std::vector<Stats> out(n);
  for (std::size_t r = 0; r < n; ++r) {
    out[r].median = quantile(per_step[r], 0.5);
    out[r].q1 = quantile(per_step[r], 0.25);
    out[r].q3 = quantile(per_step[r], 0.75);
    out[r].samples = static_cast<int>(per_step[r].size());
    out[r].iters_per_sample = iters[r];
  }
  return out;
}

// --- reporting --------------------------------------------------------------------------

std::string fmt(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string time_cell(const Stats& s, double scale, const char* unit, int precision) {
  if (!s.valid()) return "—";
  return fmt(s.median * scale, precision) + " " + unit;
}

std::string ratio_cell(double a, double b) {
  return (std::isfinite(a) && std::isfinite(b) && b > 0) ? fmt(a / b, 2) : "—";
}

void Report::add(Row row, const std::vector<Stats>& stats) {
  std::printf("%-50s tapegrad %-12s libtorch %-12s ratio %-5s", row.name.c_str(),
              row.tapegrad.c_str(), row.libtorch.c_str(), row.ratio.c_str());
  if (!stats.empty()) {
    std::printf("  (±%.0f%%", 100.0 * stats[0].spread());
    for (std::size_t i = 1; i < stats.size(); ++i) {
      if (stats[i].valid()) std::printf("/±%.0f%%", 100.0 * stats[i].spread());
    }
    std::printf(", %d samples)", stats[0].samples);
  }
  std::printf("\n");
  std::fflush(stdout);
  if (!stats.empty()) row.tapegrad_median = stats[0].median;
  rows_.push_back(std::move(row));
}

void Report::print_table() const {
  std::printf("| case | tapegrad | libtorch | ratio |\n| --- | ---: | ---: | ---: |\n");
  for (const Row& r : rows_) {
    std::printf("| %s | %s | %s | %s |\n", r.name.c_str(), r.tapegrad.c_str(), r.libtorch.c_str(),
                r.ratio.c_str());
  }
}

void Report::print_thread_scaling() const {
  const std::string one = " (1 thr)", two = " (2 thr)";
  bool header = false;
  for (const Row& r : rows_) {
    if (r.name.size() < one.size() || r.name.compare(r.name.size() - one.size(), one.size(), one) != 0) continue;
    const std::string base = r.name.substr(0, r.name.size() - one.size());
    for (const Row& r2 : rows_) {
      if (r2.name != base + two || !std::isfinite(r.tapegrad_median) || !std::isfinite(r2.tapegrad_median)) continue;
      if (!header) {
        std::printf("\ntapegrad at 2 threads ÷ at 1 thread (target: none above 1.05)\n"
                    "| case | ratio |\n| --- | ---: |\n");
        header = true;
      }
      const double q = r2.tapegrad_median / r.tapegrad_median;
      std::printf("| %s | %s%s |\n", base.c_str(), fmt(q, 2).c_str(), q > 1.05 ? " (slower)" : "");
    }
  }
}

}  // namespace bench
