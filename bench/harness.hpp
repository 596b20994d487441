// The harness of bench_mlp, independent of what is timed: command-line
// options, facts about the process (RSS, CPU model, thread counts), the
// interleaved sampling of Runners with their Stats, and the report (one line
// per case as it finishes, a markdown table at the end).
#pragma once

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "bench_cases.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

#ifdef TAPEGRAD_BENCH_TORCH
inline constexpr bool kHaveTorch = true;
#else
inline constexpr bool kHaveTorch = false;
#endif

// --- options ----------------------------------------------------------------------------

struct Options {
  double budget_s = 2.0;     // time per implementation per case, for samples
  double warmup_s = 0.2;     // per implementation per case, before sampling
  double sample_s = 0.02;    // target duration of one sample
  int min_samples = 7;
  int max_samples = 400;
  std::vector<int> threads = {1, 2};
  bool torch = kHaveTorch;
  std::string filter;
  // glibc malloc's thresholds fixed high (see apply_malloc_policy) unless
  // --malloc=default.
  bool tuned_malloc = true;
};

/// Exits with the usage on an unknown argument (status 0 for --help / -h).
Options parse_options(int argc, char** argv);

/// Whether --filter lets the case `name` run.
bool selected(const Options& opt, const std::string& name);

// --- process facts ----------------------------------------------------------------------

double rss_mib();
double peak_rss_mib();
/// Resets the peak (VmHWM) to the current RSS; false when the kernel refuses.
bool reset_peak_rss();
std::string cpu_model();
/// With opt.tuned_malloc, fixes glibc malloc's mmap and trim thresholds so
/// that freed buffers stay in the heap; returns a line saying what was set.
std::string apply_malloc_policy(const Options& opt);
/// Sets OpenBLAS's threads, and libtorch's pool too when `torch`.
void set_threads(int n, bool torch);

// --- timing -----------------------------------------------------------------------------

double seconds_since(Clock::time_point t0);

struct Stats {
  double median = NAN;  // seconds per step
  double q1 = NAN, q3 = NAN;
  int samples = 0;
  long iters_per_sample = 0;
  bool valid() const { return samples > 0; }
  // Half the interquartile range relative to the median: the noise figure.
  double spread() const { return (q3 - q1) / 2.0 / median; }
};

/// Times the runners with interleaved samples; one Stats per runner, in order.
std::vector<Stats> measure(const std::vector<Runner*>& runners, const Options& opt);

// --- reporting --------------------------------------------------------------------------

struct Row {
  std::string name;
  std::string tapegrad, libtorch, ratio;
  double tapegrad_median = NAN;  // seconds; set by Report::add from the first Stats
};

std::string fmt(double v, int precision);
/// "0.541 ms" or "4.85 µs/op"; "—" when `s` has no samples.
std::string time_cell(const Stats& s, double scale, const char* unit, int precision);
/// a ÷ b with 2 decimals; "—" when either is missing.
std::string ratio_cell(double a, double b);

class Report {
 public:
  /// Prints the row at once (with the noise of `stats`, when given) and keeps
  /// it for the table.
  void add(Row row, const std::vector<Stats>& stats = {});
  void print_table() const;
  /// For every case timed at 1 and 2 threads, tapegrad's 2-thread median
  /// over its 1-thread median.
  void print_thread_scaling() const;

 private:
  std::vector<Row> rows_;
};

}  // namespace bench
