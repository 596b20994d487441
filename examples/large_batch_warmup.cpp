// Large minibatches on Fashion-MNIST: the linear scaling rule and gradual
// warmup of Goyal et al., 2017, "Accurate, Large Minibatch SGD: Training
// ImageNet in 1 Hour" (https://arxiv.org/abs/1706.02677).
//
// SGD with momentum 0.9 trains the same MLP (same initial weights, same
// epochs) four ways:
//   - batch 32 at lr = base · 32/256 (the reference);
//   - batch 2048 at the reference's rate (no scaling);
//   - batch 2048 at lr = base · 2048/256 (the linear scaling rule), from the
//     first step;
//   - the same with gradual warmup: the rate climbs linearly from the
//     reference's rate to the scaled one over the first --warmup-epochs (5).
// Every run decays its rate to zero by a cosine over the remaining steps (the
// paper decays by steps; one smooth decay suits a short run better).
//
// Why 2048 and base 0.05 rather than the paper's 0.1 (measured, 15 epochs):
// at base 0.1, batch 4096's scaled rate 1.6 kills the network (10%
// accuracy) even with warmup, and batch 2048's 0.8 does without warmup and
// ends 2.9 points short with it; about 0.4 is the most this MLP takes.
// Batch 4096 at base 0.025 (rate 0.4) trains with warmup but ends 1.3-2
// points below its reference: at 15 steps an epoch it makes too few updates.
//
//   ./build/examples/large_batch_warmup                 # 1.5-3 min on 2 shared cores
//   ./build/examples/large_batch_warmup --large-batch 4096 --lr 0.025
//
// Target (the paper's claim, loosened for a 15-epoch run): with the scaled
// rate and warmup, the large batch's test accuracy is within --tolerance
// (1.5 points) of the reference's; the program exits with 1 when it is not.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <tapegrad/tapegrad.hpp>

namespace nn = tg::nn;
namespace optim = tg::optim;
namespace data = tg::data;

namespace {

struct Settings {
  int epochs = 15;
  std::int64_t small_batch = 32;
  std::int64_t large_batch = 2048;
  double lr = 0.05;  // per 256 examples: lr(B) = lr · B / 256
  double warmup_epochs = 5;
  double weight_decay = 1e-4;
  std::int64_t train_size = 0;  // 0: all 60,000
  double tolerance = 1.5;       // points of accuracy
  std::uint64_t seed = 42;
  int threads = 2;
  bool verbose = false;
  std::string out = "large-batch-output";
  std::string data_dir;
};

// 784 -> 256 -> 128 -> 10, ReLU, He initialisation.
nn::Sequential mlp(tg::Generator& gen) {
  return nn::Sequential(nn::Linear(784, 256, {.init = "he_normal", .generator = &gen}), nn::ReLU(),
                        nn::Linear(256, 128, {.init = "he_normal", .generator = &gen}), nn::ReLU(),
                        nn::Linear(128, 10, {.generator = &gen}));
}

struct Setting {
  std::string name;
  std::int64_t batch;
  double lr;
  double warmup_epochs;  // 0: none
};

struct Outcome {
  double accuracy = NAN;  // test, %; NaN when training diverged
  double train_loss = NAN;  // of the last epoch
  double seconds = 0;
  std::string note;
};

Outcome train_one(const Settings& s, const Setting& setting, const data::Dataset& train_set,
                  const data::Dataset& test_set) {
  const auto t0 = std::chrono::steady_clock::now();
  tg::Generator gen(s.seed);  // the same initial weights for every setting
  nn::Sequential model = mlp(gen);
  data::DataLoader train(train_set, {.batch_size = setting.batch, .shuffle = true, .seed = s.seed});
  data::DataLoader test(test_set, {.batch_size = 1000});
  optim::SGD sgd(model.parameters(), {.lr = setting.lr, .momentum = 0.9, .weight_decay = s.weight_decay});

  // Stepped per batch: warmup (from the reference's rate) then cosine decay.
  const std::int64_t total = train.size() * s.epochs;
  const auto warmup = static_cast<std::int64_t>(std::llround(setting.warmup_epochs * static_cast<double>(train.size())));
  const double start_factor = static_cast<double>(s.small_batch) / static_cast<double>(setting.batch);
  const optim::Schedule schedule =
      warmup <= 0       ? optim::cosine_annealing(total)
      : warmup >= total ? optim::linear_warmup(warmup, start_factor)
                        : optim::linear_warmup(warmup, start_factor).then(optim::cosine_annealing(total - warmup));
  optim::LrScheduler scheduler(sgd, schedule);

  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };
  std::ostringstream file;
  file << s.out << "/history_b" << setting.batch << "_lr" << setting.lr << (setting.warmup_epochs > 0 ? "_warmup" : "");
  const optim::FitResult r = optim::fit(model, loss, sgd, train,
                                        {.epochs = s.epochs, .scheduler = &scheduler, .verbose = s.verbose,
                                         .history_csv = file.str() + ".csv", .history_svg = file.str() + ".svg"});
  Outcome o;
  if (r.history.has("loss")) o.train_loss = r.history.last("loss");
  if (r.stop_reason.empty())
    o.accuracy = 100 * optim::evaluate(model, loss, test).accuracy;
  else
    o.note = "diverged (" + r.stop_reason + ")";
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

std::string warmup_text(double epochs) {
  if (epochs <= 0) return "-";
  std::ostringstream text;
  text << std::fixed << std::setprecision(1) << epochs << " ep";
  return text.str();
}

int run(const Settings& s) {
  tg::set_num_threads(s.threads);
  const auto start = std::chrono::steady_clock::now();
  data::Dataset train = data::fashion_mnist("train", {.directory = s.data_dir, .flatten = true});
  const data::Dataset test = data::fashion_mnist("test", {.directory = s.data_dir, .flatten = true});
  if (s.train_size > 0 && s.train_size < train.size()) train = train.split(1.0 - double(s.train_size) / double(train.size()), s.seed).validation;
  std::filesystem::create_directories(s.out);
  std::cout << "Fashion-MNIST: " << train.size() << " train, " << test.size() << " test images; MLP 784-256-128-10, "
            << "SGD momentum 0.9, weight decay " << s.weight_decay << ", " << s.epochs << " epochs, " << s.threads
            << " thread(s)\n";

  const auto scaled = [&](std::int64_t batch) { return s.lr * static_cast<double>(batch) / 256.0; };
  const std::string small = std::to_string(s.small_batch), large = std::to_string(s.large_batch);
  const std::vector<Setting> settings = {
      {"batch " + small, s.small_batch, scaled(s.small_batch), 0},
      {"batch " + large + ", unscaled lr", s.large_batch, scaled(s.small_batch), 0},
      {"batch " + large + ", scaled lr", s.large_batch, scaled(s.large_batch), 0},
      {"batch " + large + ", scaled lr + warmup", s.large_batch, scaled(s.large_batch), s.warmup_epochs},
  };
  std::vector<Outcome> outcomes;
  for (const Setting& setting : settings) {
    outcomes.push_back(train_one(s, setting, train, test));
    std::cout << "  " << setting.name << ": " << std::fixed << std::setprecision(2) << outcomes.back().accuracy
              << "% in " << std::setprecision(1) << outcomes.back().seconds << " s\n"
              << std::flush;
  }

  std::cout << "\nsetting                          batch   lr      warmup  epochs  train loss  test accuracy  time\n"
            << "-------------------------------  -----  ------  ------  ------  ----------  -------------  ------\n";
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const Setting& g = settings[i];
    const Outcome& o = outcomes[i];
    std::cout << std::left << std::setw(31) << g.name << std::right << "  " << std::setw(5) << g.batch << "  "
              << std::fixed << std::setprecision(4) << std::setw(6) << g.lr << "  " << std::setw(6)
              << warmup_text(g.warmup_epochs)
              << "  " << std::setw(6) << s.epochs << "  " << std::setprecision(4) << std::setw(10)
              << o.train_loss << "  " << std::setprecision(2) << std::setw(12) << o.accuracy << "%  "
              << std::setprecision(1) << std::setw(5) << o.seconds << "s" << (o.note.empty() ? "" : "  " + o.note)
              << "\n";
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double gap = outcomes[0].accuracy - outcomes[3].accuracy;
  const bool ok = std::isfinite(gap) && gap <= s.tolerance;
  std::cout << "\ntarget: batch " << large << " with the scaled rate and warmup within " << std::setprecision(1)
            << s.tolerance << " point(s) of batch " << small << " (gap " << std::setprecision(2) << gap
            << "): " << (ok ? "met" : "MISSED") << " (" << std::setprecision(1) << seconds << " s in all)\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("Batch 32 against a large batch with the linear scaling rule, with and without warmup.");
  app.add_option("--epochs", s.epochs, "epochs of every run")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.small_batch, "the reference's (small) batch")->check(CLI::PositiveNumber);
  app.add_option("--large-batch", s.large_batch, "the large batch")->check(CLI::PositiveNumber);
  app.add_option("--lr", s.lr, "SGD's rate per 256 examples (scaled linearly with the batch)")
      ->check(CLI::PositiveNumber);
  app.add_option("--warmup-epochs", s.warmup_epochs, "epochs of linear warmup")->check(CLI::NonNegativeNumber);
  app.add_option("--weight-decay", s.weight_decay, "SGD's L2 penalty")->check(CLI::NonNegativeNumber);
  app.add_option("--train-size", s.train_size, "train on a random subset of this many images (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--tolerance", s.tolerance, "points of test accuracy the warmed-up large batch may lose");
  app.add_option("--seed", s.seed, "seed of the initialisation, the subset and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_flag("--verbose", s.verbose, "a progress line per epoch");
  app.add_option("--out", s.out, "directory for the histories (CSV and SVG)");
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(s);
  } catch (const std::exception& e) {
    std::cerr << "large_batch_warmup: " << e.what() << "\n";
    return 1;
  }
}
