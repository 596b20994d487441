// bench_mlp: tapegrad against libtorch (when installed) and against the bare
// OpenBLAS gemms, in one process run.
//
// Cases (DESIGN.md "Performance", issue 9):
//   - a 784-256-128-10 MLP training step (forward, softmax cross-entropy from
//     primitives, backward, a plain SGD update on the raw buffers, gradients
//     dropped) at batch 32, 128 and 1024, float32;
//   - the 8 gemms of each step alone in OpenBLAS (the floor tapegrad's step
//     is held to at batch 1024);
//   - per-op overhead: a chain of 1,000 elementwise ops on a 1-element tensor,
//     forward + backward (and forward alone, recorded and not);
//   - memory added by training the batch-128 MLP for 1,000 steps.
// Each case runs at 1 thread and at 2 threads (OpenBLAS and libtorch's pool
// both set). Figures are medians over samples; the samples of tapegrad and
// libtorch alternate, so machine noise hits both alike.
//
// Usage: bench_mlp [--budget=SECONDS] [--threads=1,2] [--no-torch] [--quick]
//                  [--filter=SUBSTRING]
#include <cblas.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "bench_cases.hpp"

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);
extern "C" char* openblas_get_config(void);

namespace {

using bench::ChainMode;
using bench::MlpInit;
using bench::Runner;
using Clock = std::chrono::steady_clock;

#ifdef TAPEGRAD_BENCH_TORCH
constexpr bool kHaveTorch = true;
#else
constexpr bool kHaveTorch = false;
#endif

// --- options --------------------------------------------------------------------------

struct Options {
  double budget_s = 2.0;     // time per implementation per case, for samples
  double warmup_s = 0.2;     // per implementation per case, before sampling
  double sample_s = 0.02;    // target duration of one sample
  int min_samples = 7;
  int max_samples = 400;
  std::vector<int> threads = {1, 2};
  bool torch = kHaveTorch;
  std::string filter;
};

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
    } else if (a == "--no-torch") {
      opt.torch = false;
    } else if (a == "--quick") {
      opt.budget_s = 0.3;
      opt.warmup_s = 0.05;
      opt.min_samples = 5;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--budget=SECONDS] [--threads=1,2] [--no-torch] [--quick] "
                   "[--filter=SUBSTRING]\n",
                   argv[0]);
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  return opt;
}

// --- process facts ----------------------------------------------------------------------

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); -1 when unavailable.
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) == 0) return std::atol(line.c_str() + key.size());
  }
  return -1;
}
double rss_mib() { return static_cast<double>(status_kb("VmRSS")) / 1024.0; }
double peak_rss_mib() { return static_cast<double>(status_kb("VmHWM")) / 1024.0; }
// Resets the peak (VmHWM) to the current RSS; false when the kernel refuses.
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

void set_threads(int n, bool torch) {
  openblas_set_num_threads(n);
#ifdef TAPEGRAD_BENCH_TORCH
  if (torch) bench::torch_side::set_threads(n);
#else
  (void)torch;
#endif
}

// --- timing -------------------------------------------------------------------------------

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Stats {
  double median = NAN;  // seconds per step
  double q1 = NAN, q3 = NAN;
  int samples = 0;
  long iters_per_sample = 0;
  bool valid() const { return samples > 0; }
  // Half the interquartile range relative to the median: the noise figure.
  double spread() const { return (q3 - q1) / 2.0 / median; }
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

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

// --- the tapegrad cases ------------------------------------------------------------------

// Values straight from a tg::Generator (not through tensors), so that making
// them leaves nothing in tapegrad's buffer pool for the memory case to reuse.
MlpInit make_mlp_init(std::int64_t batch, std::uint64_t seed) {
  MlpInit init;
  init.sizes = {784, 256, 128, 10};
  init.batch = batch;
  init.lr = 0.01f;
  tg::Generator gen(seed);
  auto normals = [&](std::int64_t n, double scale) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& e : v) e = static_cast<float>(gen.normal() * scale);
    return v;
  };
  for (std::size_t l = 0; l + 1 < init.sizes.size(); ++l) {
    const std::int64_t in = init.sizes[l], out = init.sizes[l + 1];
    // He initialisation: N(0, 2 / fan_in); biases 0.
    init.weights.push_back(normals(in * out, std::sqrt(2.0 / static_cast<double>(in))));
    init.biases.emplace_back(static_cast<std::size_t>(out), 0.0f);
  }
  init.x = normals(batch * init.sizes[0], 1.0);
  for (std::int64_t i = 0; i < batch; ++i) {
    init.labels.push_back(static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(init.sizes.back()))));
  }
  return init;
}

class TgMlp : public Runner {
 public:
  explicit TgMlp(const MlpInit& init) : lr_(init.lr) {
    for (std::size_t l = 0; l < init.weights.size(); ++l) {
      const std::int64_t in = init.sizes[l], out = init.sizes[l + 1];
      tg::Tensor w = tg::from_vector(init.weights[l], tg::Shape{in, out});
      tg::Tensor b = tg::from_vector(init.biases[l], tg::Shape{out});
      w.requires_grad_();
      b.requires_grad_();
      w_.push_back(w);
      b_.push_back(b);
    }
    for (std::size_t l = 0; l < w_.size(); ++l) {
      params_.push_back(w_[l]);
      params_.push_back(b_[l]);
    }
    x_ = tg::from_vector(init.x, tg::Shape{init.batch, init.sizes[0]});
    labels_ = tg::from_vector(init.labels, tg::Shape{init.batch});
  }

  void step() override {
    tg::Tensor h = x_;
    const std::size_t layers = w_.size();
    for (std::size_t l = 0; l < layers; ++l) {
      h = tg::matmul(h, w_[l]) + b_[l];
      if (l + 1 < layers) h = tg::relu(h);
    }
    const tg::Tensor loss = tg::mean(tg::logsumexp(h, 1) - tg::gather(h, 1, labels_));
    loss.backward();
    {
      tg::NoGrad no_grad;
      for (tg::Tensor& p : params_) {
        float* d = p.data<float>();
        tg::Tensor g = p.grad();
        const float* gd = g.data<float>();
        const std::int64_t n = p.numel();
        for (std::int64_t i = 0; i < n; ++i) d[i] -= lr_ * gd[i];
        p.zero_grad();
      }
    }
    last_loss_ = loss.detach();
  }

  double last_loss() const override { return last_loss_.defined() ? last_loss_.item() : 0.0; }
  double param_checksum() const override {
    double s = 0.0;
    for (const tg::Tensor& p : params_) {
      for (float v : p.to_vector<float>()) s += std::fabs(v);
    }
    return s;
  }

 private:
  float lr_;
  std::vector<tg::Tensor> w_, b_, params_;
  tg::Tensor x_, labels_, last_loss_;
};

class TgChain : public Runner {
 public:
  TgChain(int n_ops, ChainMode mode) : n_ops_(n_ops), mode_(mode), x_(tg::scalar(1.0)) {
    x_.requires_grad_();
  }

  void step() override {
    if (mode_ == ChainMode::forward_no_grad) {
      tg::NoGrad no_grad;
      run();
    } else {
      run();
    }
  }

 private:
  void run() {
    tg::Tensor y = x_;
    for (int i = 0; i < n_ops_; ++i) y = (i & 1) ? y + bench::kChainAdd : y * bench::kChainMul;
    if (mode_ == ChainMode::forward_backward) {
      y.backward();
      result_ = x_.grad();
      x_.zero_grad();
    } else {
      result_ = y.detach();
    }
  }

 public:
  /// dy/dx after forward + backward, else y.
  double last_loss() const override { return result_.defined() ? result_.item() : 0.0; }

 private:
  int n_ops_;
  ChainMode mode_;
  tg::Tensor x_, result_;
};

// The 8 gemms of one MLP training step, with the shapes and transpose flags
// tapegrad's matmul and its VJPs use (x does not require grad, so there is
// no dx): forward x·W1, h1·W2, h2·W3; backward dW3 = h2ᵀ·g3, dh2 = g3·W3ᵀ,
// dW2 = h1ᵀ·g2, dh1 = g2·W2ᵀ, dW1 = xᵀ·g1.
class GemmFloor : public Runner {
 public:
  explicit GemmFloor(std::int64_t batch) {
    const int b = static_cast<int>(batch);
    const int s[] = {784, 256, 128, 10};
    for (int l = 0; l < 3; ++l) add(false, false, b, s[l + 1], s[l]);   // h_l · W
    for (int l = 2; l >= 0; --l) {
      add(true, false, s[l], s[l + 1], b);                              // h_lᵀ · g
      if (l > 0) add(false, true, b, s[l], s[l + 1]);                  // g · Wᵀ
    }
  }

  void step() override {
    for (Gemm& g : gemms_) {
      // Row-major leading dimensions of the stored (untransposed) operands.
      const int lda = g.ta ? g.m : g.k, ldb = g.tb ? g.k : g.n;
      cblas_sgemm(CblasRowMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans,
                  g.m, g.n, g.k, 1.0f, g.a.data(), lda, g.b.data(), ldb, 0.0f, g.c.data(), g.n);
    }
  }

  std::size_t count() const { return gemms_.size(); }
  double flops() const {
    double f = 0;
    for (const Gemm& g : gemms_) f += 2.0 * g.m * g.n * g.k;
    return f;
  }

 private:
  struct Gemm {
    bool ta, tb;
    int m, n, k;
    std::vector<float> a, b, c;
  };
  void add(bool ta, bool tb, int m, int n, int k) {
    Gemm g{ta, tb, m, n, k, {}, {}, {}};
    g.a.assign(static_cast<std::size_t>(m) * k, 0.5f);
    g.b.assign(static_cast<std::size_t>(k) * n, 0.25f);
    g.c.assign(static_cast<std::size_t>(m) * n, 0.0f);
    gemms_.push_back(std::move(g));
  }
  std::vector<Gemm> gemms_;
};

// --- reporting -------------------------------------------------------------------------------

struct Row {
  std::string name;
  std::string tapegrad, libtorch, ratio;
};

std::string fmt(double v, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

// "0.541 ms" or "4.85 µs/op".
std::string time_cell(const Stats& s, double scale, const char* unit, int precision) {
  if (!s.valid()) return "—";
  return fmt(s.median * scale, precision) + " " + unit;
}

class Report {
 public:
  void add(Row row, const std::vector<Stats>& stats = {}) {
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
    rows_.push_back(std::move(row));
  }

  void print_table() const {
    std::printf("| case | tapegrad | libtorch | ratio |\n| --- | ---: | ---: | ---: |\n");
    for (const Row& r : rows_) {
      std::printf("| %s | %s | %s | %s |\n", r.name.c_str(), r.tapegrad.c_str(), r.libtorch.c_str(),
                  r.ratio.c_str());
    }
  }

 private:
  std::vector<Row> rows_;
};

std::string ratio_cell(double a, double b) {
  return (std::isfinite(a) && std::isfinite(b) && b > 0) ? fmt(a / b, 2) : "—";
}

bool selected(const Options& opt, const std::string& name) {
  return opt.filter.empty() || name.find(opt.filter) != std::string::npos;
}

// --- cases -----------------------------------------------------------------------------------

// Checks that the implementations compute the same step: the first step's
// loss (before the update) and Σ|p| after it must agree.
void check_agreement(const std::vector<Runner*>& runners, const std::vector<std::string>& names) {
  for (Runner* r : runners) r->step();
  const double loss0 = runners[0]->last_loss(), sum0 = runners[0]->param_checksum();
  for (std::size_t i = 1; i < runners.size(); ++i) {
    const double loss = runners[i]->last_loss(), sum = runners[i]->param_checksum();
    const double dl = std::fabs(loss - loss0) / std::max(1.0, std::fabs(loss0));
    const double ds = std::fabs(sum - sum0) / std::max(1.0, std::fabs(sum0));
    if (dl > 1e-4 || ds > 1e-4) {
      std::printf("  !! %s disagrees with tapegrad: loss %.6f vs %.6f, sum|p| %.6f vs %.6f\n",
                  names[i].c_str(), loss, loss0, sum, sum0);
    }
  }
}

// The MLP step of tapegrad, of libtorch (same primitives, and idiomatic) and
// its 8 gemms alone, sampled in turn so that the ratios to the floor are as
// robust to machine noise as the ratios to libtorch.
void run_mlp(Report& report, const Options& opt, int threads, std::int64_t batch) {
  const std::string name = "MLP b" + std::to_string(batch) + " (" + std::to_string(threads) + " thr)";
  if (!selected(opt, name)) return;
  const MlpInit init = make_mlp_init(batch, 42);
  TgMlp tgm(init);
  std::vector<Runner*> runners = {&tgm};
  std::vector<std::string> names = {"tapegrad"};
  std::unique_ptr<Runner> torch_prim, torch_idiom;
#ifdef TAPEGRAD_BENCH_TORCH
  if (opt.torch) {
    torch_prim = bench::torch_side::make_mlp(init);
    torch_idiom = bench::torch_side::make_mlp_idiomatic(init);
    runners.push_back(torch_prim.get());
    runners.push_back(torch_idiom.get());
    names.push_back("libtorch (same primitives)");
    names.push_back("libtorch (addmm + cross_entropy)");
  }
#endif
  check_agreement(runners, names);
  GemmFloor floor(batch);
  runners.push_back(&floor);
  const std::vector<Stats> st = measure(runners, opt);
  const Stats& tg = st.front();
  const Stats& fl = st.back();
  const bool torch = st.size() == 4;
  const Stats none;
  const Stats& prim = torch ? st[1] : none;
  report.add({name, time_cell(tg, 1e3, "ms", 3), time_cell(prim, 1e3, "ms", 3),
              ratio_cell(tg.median, prim.median)},
             torch ? std::vector<Stats>{tg, prim} : std::vector<Stats>{tg});
  if (torch) {
    report.add({name + " vs libtorch addmm + cross_entropy", time_cell(tg, 1e3, "ms", 3),
                time_cell(st[2], 1e3, "ms", 3), ratio_cell(tg.median, st[2].median)},
               {tg, st[2]});
  }
  std::string ratio = "tapegrad ÷ floor " + ratio_cell(tg.median, fl.median);
  if (torch) ratio += ", libtorch ÷ floor " + ratio_cell(prim.median, fl.median);
  report.add({name + ": its 8 gemms alone in OpenBLAS", time_cell(fl, 1e3, "ms", 3), "—", ratio},
             {fl});
  std::printf("  (%zu gemms, %.3f GFLOP per step, %.1f GFLOP/s)\n", floor.count(),
              floor.flops() * 1e-9, floor.flops() * 1e-9 / fl.median);
}

void run_chain(Report& report, const Options& opt, int threads, ChainMode mode) {
  constexpr int kOps = 1000;
  const char* what = mode == ChainMode::forward_backward   ? "forward + backward"
                     : mode == ChainMode::forward_recorded ? "forward recorded"
                                                           : "forward, NoGrad";
  const std::string name = std::string("per-op, ") + what + " (" + std::to_string(threads) + " thr)";
  if (!selected(opt, name)) return;
  TgChain tgc(kOps, mode);
  std::vector<Runner*> runners = {&tgc};
  std::unique_ptr<Runner> torch_chain;
#ifdef TAPEGRAD_BENCH_TORCH
  if (opt.torch) {
    torch_chain = bench::torch_side::make_chain(kOps, mode);
    runners.push_back(torch_chain.get());
  }
#endif
  const std::vector<Stats> st = measure(runners, opt);
  // y = 1.0001^500 + (a little), dy/dx = 1.0001^500: both must agree.
  const double expected = mode == ChainMode::forward_backward ? std::pow(bench::kChainMul, kOps / 2) : NAN;
  for (std::size_t i = 0; i < runners.size(); ++i) {
    const double v = runners[i]->last_loss(), ref = std::isfinite(expected) ? expected : runners[0]->last_loss();
    if (!(std::fabs(v - ref) <= 1e-4 * std::fabs(ref))) {
      std::printf("  !! %s chain result %.7f, expected %.7f\n", i == 0 ? "tapegrad" : "libtorch", v, ref);
    }
  }
  const double scale = 1e6 / kOps;
  const Stats none;
  const Stats& lt = st.size() > 1 ? st[1] : none;
  report.add({name, time_cell(st[0], scale, "µs/op", 3), time_cell(lt, scale, "µs/op", 3),
              ratio_cell(st[0].median, lt.median)},
             st);
}

// Memory added by training: RSS before the model exists, then 1,000 steps of
// the batch-128 MLP; peak RSS minus the starting RSS, and RSS at step 100
// and 1,000 to show it is flat.
struct MemoryResult {
  double added_mib = NAN, rss_start = NAN, rss_100 = NAN, rss_end = NAN;
  std::int64_t max_live_records = 0;
};

MemoryResult measure_memory(const std::function<std::unique_ptr<Runner>()>& make, bool tapegrad,
                            bool peak_resettable) {
  constexpr int kSteps = 1000;
  malloc_trim(0);
  if (peak_resettable) reset_peak_rss();
  MemoryResult m;
  m.rss_start = rss_mib();
  {
    std::unique_ptr<Runner> r = make();
    for (int s = 1; s <= kSteps; ++s) {
      r->step();
      if (tapegrad) m.max_live_records = std::max(m.max_live_records, tg::tape_stats().live_records);
      if (s == 100) m.rss_100 = rss_mib();
    }
    m.rss_end = rss_mib();
  }
  m.added_mib = peak_rss_mib() - m.rss_start;
  return m;
}

void run_memory(Report& report, const Options& opt) {
  const std::string name = "memory added, MLP b128 × 1,000 steps (1 thr)";
  if (!selected(opt, name)) return;
  set_threads(1, opt.torch);
  const bool resettable = reset_peak_rss() && peak_rss_mib() <= rss_mib() + 1.0;
  const MlpInit init = make_mlp_init(128, 7);
  const MemoryResult t = measure_memory([&] { return std::make_unique<TgMlp>(init); }, true, resettable);
  MemoryResult l;
#ifdef TAPEGRAD_BENCH_TORCH
  if (opt.torch) {
    l = measure_memory([&] { return bench::torch_side::make_mlp(init); }, false, resettable);
  }
#endif
  auto cell = [](const MemoryResult& m) {
    return std::isfinite(m.added_mib) ? fmt(m.added_mib, 1) + " MiB" : std::string("—");
  };
  report.add({name, cell(t), cell(l), ratio_cell(t.added_mib, l.added_mib)});
  std::printf("  RSS at start / step 100 / step 1000: tapegrad %.1f / %.1f / %.1f MiB", t.rss_start,
              t.rss_100, t.rss_end);
  if (std::isfinite(l.rss_start)) {
    std::printf("; libtorch %.1f / %.1f / %.1f MiB", l.rss_start, l.rss_100, l.rss_end);
  }
  std::printf("\n  tapegrad live tape records after each step: max %lld (expected 0)%s\n",
              static_cast<long long>(t.max_live_records),
              resettable ? "" : "\n  (peak RSS could not be reset: the peak includes earlier phases)");
}

}  // namespace

int main(int argc, char** argv) {
#ifdef TAPEGRAD_BENCH_TORCH
  // libgomp (libtorch's thread pool) reads OMP_WAIT_POLICY when it is loaded,
  // before main. Its default spin-waiting fights OpenBLAS's threads for the
  // cores and makes libtorch's 2-thread steps several times slower here, so
  // unless the caller chose a policy, run again with the passive one.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then carry on
  }
#endif
  const Options opt = parse_options(argc, argv);
  const auto t_start = Clock::now();

  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d", std::localtime(&now));
  const std::string machine = cpu_model() + ", " + std::to_string(std::thread::hardware_concurrency()) +
                              " hardware threads";
  std::printf("bench_mlp, %s: %s; %s\n", date, machine.c_str(), openblas_get_config());
  set_threads(1, opt.torch);
#ifdef TAPEGRAD_BENCH_TORCH
  if (opt.torch) {
    bench::torch_side::warm_up();
    std::printf("%s\n", bench::torch_side::describe().c_str());
  } else {
    std::printf("libtorch: skipped (--no-torch)\n");
  }
#else
  std::printf("libtorch: not found at configure time; tapegrad figures only\n");
#endif
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY=%s; medians of samples of ~%.0f ms, %.1f s per implementation "
              "per case; ± is half the interquartile range\n\n",
              wait_policy ? wait_policy : "(unset)", opt.sample_s * 1e3, opt.budget_s);

  // One gemm first, so that OpenBLAS's one-time buffer is not counted as
  // memory added by either library's training.
  {
    GemmFloor warm(256);
    warm.step();
  }

  Report report;
  run_memory(report, opt);
  for (int threads : opt.threads) {
    set_threads(threads, opt.torch);
    std::printf("-- %d thread(s): OpenBLAS reports %d\n", threads, openblas_get_num_threads());
    for (std::int64_t batch : {32, 128, 1024}) {
      run_mlp(report, opt, threads, batch);
    }
    for (ChainMode mode :
         {ChainMode::forward_backward, ChainMode::forward_recorded, ChainMode::forward_no_grad}) {
      run_chain(report, opt, threads, mode);
    }
  }
  set_threads(1, opt.torch);

  std::printf("\n%s, %s, float32, medians; ratio = tapegrad ÷ libtorch (below 1: tapegrad faster).\n"
              "MLP: 784-256-128-10 training step (forward, mean(logsumexp − gather) loss, backward, "
              "SGD on raw buffers, gradients dropped); libtorch runs the same primitives, and also "
              "its idiomatic addmm + F::cross_entropy. Per-op: chain of 1,000 alternating ×1.0001 / "
              "+0.0001 on a 1-element tensor that requires grad, per op.\n",
              date, machine.c_str());
  report.print_table();
  std::printf("\nafter the timed loops: tapegrad live tape records %lld (expected 0), "
              "records created %lld; peak RSS of the process %.1f MiB (includes libtorch); "
              "total run time %.0f s\n",
              static_cast<long long>(tg::tape_stats().live_records),
              static_cast<long long>(tg::tape_stats().records_created), peak_rss_mib(),
              seconds_since(t_start));
  return tg::tape_stats().live_records == 0 ? 0 : 1;
}
