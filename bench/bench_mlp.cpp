// bench_mlp: tapegrad against libtorch (when installed) and against the bare
// OpenBLAS gemms, in one process run.
//
// Cases (DESIGN.md "Performance", issue 9):
//   - a 784-256-128-10 MLP training step (forward, softmax cross-entropy from
//     primitives, backward, a plain SGD update on the raw buffers, gradients
//     dropped) at batch 32, 128 and 1024, float32; and the same written as
//     each library's user would, addmm + cross_entropy, on both sides;
//   - the 8 gemms of each step alone in OpenBLAS (the floor tapegrad's step
//     is held to at batch 1024), and the LSTM's gemms alone;
//   - per-op overhead: a chain of 1,000 elementwise ops on a 1-element tensor,
//     forward + backward (and forward alone, recorded and not);
//   - memory added by training the batch-128 MLP for 1,000 steps;
//   - models built from layers, each side with its own nn modules and
//     losses: 20 hidden layers × 64 (ReLU, batch 32), a small CNN (batch 64),
//     a tanh RNN (50 steps, batch 16) and an LSTM (28 steps, batch 64).
// Each case runs at 1 thread and at 2 threads (OpenBLAS and libtorch's pool
// both set). Figures are medians over samples; the samples of tapegrad and
// libtorch alternate, so machine noise hits both alike.
//
// Usage: bench_mlp [--budget=SECONDS] [--threads=1,2] [--no-torch] [--quick]
//                  [--filter=SUBSTRING] [--malloc=tuned|default]
//
// This file holds the case drivers and main; the options, timing and report
// are in harness.cpp, the cases themselves in tapegrad_cases.cpp and
// torch_cases.cpp.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <tapegrad/tapegrad.hpp>

#include "bench_cases.hpp"
#include "harness.hpp"

extern "C" int openblas_get_num_threads(void);
extern "C" char* openblas_get_config(void);

namespace {

using bench::ChainMode;
using bench::Clock;
using bench::GemmFloor;
using bench::MlpInit;
using bench::Options;
using bench::Report;
using bench::Runner;
using bench::Stats;
using bench::cpu_model;
using bench::fmt;
using bench::make_mlp_init;
using bench::measure;
using bench::parse_options;
using bench::peak_rss_mib;
using bench::ratio_cell;
using bench::reset_peak_rss;
using bench::rss_mib;
using bench::seconds_since;
using bench::selected;
using bench::set_threads;
using bench::time_cell;

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

// The MLP step of tapegrad and of libtorch (same primitives, and each side idiomatic) and
// its 8 gemms alone, sampled in turn so that the ratios to the floor are as
// robust to machine noise as the ratios to libtorch.
void run_mlp(Report& report, const Options& opt, int threads, std::int64_t batch) {
  const std::string name = "MLP b" + std::to_string(batch) + " (" + std::to_string(threads) + " thr)";
  if (!selected(opt, name)) return;
  const MlpInit init = make_mlp_init(batch, 42);
  const std::unique_ptr<Runner> tg_prim = bench::tapegrad_side::make_mlp(init);
  const std::unique_ptr<Runner> tg_idiom = bench::tapegrad_side::make_mlp_idiomatic(init);
  std::vector<Runner*> runners = {tg_prim.get(), tg_idiom.get()};
  std::vector<std::string> names = {"tapegrad (same primitives)", "tapegrad (addmm + cross_entropy)"};
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
  GemmFloor floor = GemmFloor::mlp(batch);
  runners.push_back(&floor);
  const std::vector<Stats> st = measure(runners, opt);
  const Stats& tg = st[0];
  const Stats& tg_id = st[1];
  const Stats& fl = st.back();
  const bool torch = st.size() == 5;
  const Stats none;
  const Stats& prim = torch ? st[2] : none;
  const Stats& idiom = torch ? st[3] : none;
  report.add({name, time_cell(tg, 1e3, "ms", 3), time_cell(prim, 1e3, "ms", 3),
              ratio_cell(tg.median, prim.median)},
             torch ? std::vector<Stats>{tg, prim} : std::vector<Stats>{tg});
  report.add({name + ", addmm + cross_entropy on both sides", time_cell(tg_id, 1e3, "ms", 3),
              time_cell(idiom, 1e3, "ms", 3), ratio_cell(tg_id.median, idiom.median)},
             torch ? std::vector<Stats>{tg_id, idiom} : std::vector<Stats>{tg_id});
  std::string ratio = "tapegrad ÷ floor " + ratio_cell(tg.median, fl.median) + " (addmm " +
                      ratio_cell(tg_id.median, fl.median) + ")";
  if (torch) ratio += ", libtorch ÷ floor " + ratio_cell(prim.median, fl.median) + " (addmm " +
                      ratio_cell(idiom.median, fl.median) + ")";
  report.add({name + ": its 8 gemms alone in OpenBLAS", time_cell(fl, 1e3, "ms", 3), "—", ratio},
             {fl});
  std::printf("  (%zu gemms, %.3f GFLOP per step, %.1f GFLOP/s)\n", floor.count(),
              floor.flops() * 1e-9, floor.flops() * 1e-9 / fl.median);
}

// A layer-built model (ModelKind): tapegrad's nn against torch::nn, from
// the same initial values.
void run_model(Report& report, const Options& opt, int threads, bench::ModelKind kind) {
  const std::string name = std::string(bench::model_name(kind)) + " (" + std::to_string(threads) + " thr)";
  if (!selected(opt, name)) return;
  const bench::ModelInit init = bench::tapegrad_side::make_model_init(kind, 42);
  const std::unique_ptr<Runner> tgm = bench::tapegrad_side::make_model(init);
  std::vector<Runner*> runners = {tgm.get()};
  std::vector<std::string> names = {"tapegrad"};
  std::unique_ptr<Runner> torch_model;
#ifdef TAPEGRAD_BENCH_TORCH
  if (opt.torch) {
    torch_model = bench::torch_side::make_model(init);
    runners.push_back(torch_model.get());
    names.push_back("libtorch");
  }
#endif
  check_agreement(runners, names);
  // The LSTM's floor: its gemms alone, sampled in turn with the two.
  std::unique_ptr<GemmFloor> floor;
  if (kind == bench::ModelKind::lstm) {
    const std::vector<std::int64_t>& x = init.x_shape;            // (N, T, in)
    const std::int64_t hidden = init.param_shapes[1][1];          // weight_hh_l0 (4H, H)
    const std::int64_t classes = init.param_shapes.back()[0];     // the head's bias
    floor = std::make_unique<GemmFloor>(GemmFloor::lstm(x[0], x[1], x[2], hidden, classes));
    runners.push_back(floor.get());
  }
  std::vector<Stats> st = measure(runners, opt);
  const Stats fl = floor ? st.back() : Stats();
  if (floor) st.pop_back();
  const Stats none;
  const Stats& lt = st.size() > 1 ? st[1] : none;
  report.add({name, time_cell(st[0], 1e3, "ms", 3), time_cell(lt, 1e3, "ms", 3),
              ratio_cell(st[0].median, lt.median)},
             st);
  if (floor) {
    std::string ratio = "tapegrad ÷ floor " + ratio_cell(st[0].median, fl.median);
    if (lt.valid()) ratio += ", libtorch ÷ floor " + ratio_cell(lt.median, fl.median);
    report.add({name + ": its " + std::to_string(floor->count()) + " gemms alone in OpenBLAS",
                time_cell(fl, 1e3, "ms", 3), "—", ratio},
               {fl});
    std::printf("  (%.3f GFLOP per step, %.1f GFLOP/s)\n", floor->flops() * 1e-9, floor->flops() * 1e-9 / fl.median);
  }
}

void run_chain(Report& report, const Options& opt, int threads, ChainMode mode) {
  constexpr int kOps = 1000;
  const char* what = mode == ChainMode::forward_backward   ? "forward + backward"
                     : mode == ChainMode::forward_recorded ? "forward recorded"
                                                           : "forward, NoGrad";
  const std::string name = std::string("per-op, ") + what + " (" + std::to_string(threads) + " thr)";
  if (!selected(opt, name)) return;
  const std::unique_ptr<Runner> tgc = bench::tapegrad_side::make_chain(kOps, mode);
  std::vector<Runner*> runners = {tgc.get()};
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
  const MemoryResult t =
      measure_memory([&] { return bench::tapegrad_side::make_mlp(init); }, true, resettable);
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
  const std::string malloc_policy = bench::apply_malloc_policy(opt);
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
  std::printf("%s\n", malloc_policy.c_str());
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("OMP_WAIT_POLICY=%s; medians of samples of ~%.0f ms, %.1f s per implementation "
              "per case; ± is half the interquartile range\n\n",
              wait_policy ? wait_policy : "(unset)", opt.sample_s * 1e3, opt.budget_s);

  // One gemm first, so that OpenBLAS's one-time buffer is not counted as
  // memory added by either library's training.
  {
    GemmFloor warm = GemmFloor::mlp(256);
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
    for (bench::ModelKind kind : {bench::ModelKind::deep_mlp, bench::ModelKind::cnn,
                                  bench::ModelKind::rnn_tanh, bench::ModelKind::lstm}) {
      run_model(report, opt, threads, kind);
    }
  }
  set_threads(1, opt.torch);

  std::printf("\n%s, %s, float32, medians; ratio = tapegrad ÷ libtorch (below 1: tapegrad faster).\n"
              "MLP: 784-256-128-10 training step (forward, mean(logsumexp − gather) loss, backward, "
              "SGD on raw buffers, gradients dropped); libtorch runs the same primitives; both sides "
              "also run their idiomatic addmm + cross_entropy. Per-op: chain of 1,000 alternating ×1.0001 / "
              "+0.0001 on a 1-element tensor that requires grad, per op. Layer-built models: each "
              "side's own nn layers and losses, same initial values, SGD on raw buffers.\n",
              date, machine.c_str());
  report.print_table();
  report.print_thread_scaling();
  std::printf("\nafter the timed loops: tapegrad live tape records %lld (expected 0), "
              "records created %lld; peak RSS of the process %.1f MiB (includes libtorch); "
              "total run time %.0f s\n",
              static_cast<long long>(tg::tape_stats().live_records),
              static_cast<long long>(tg::tape_stats().records_created), peak_rss_mib(),
              seconds_since(t_start));
  return tg::tape_stats().live_records == 0 ? 0 : 1;
}
