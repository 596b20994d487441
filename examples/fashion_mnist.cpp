// The demo: a network trained on Fashion-MNIST, with validation, early
// stopping, a checkpoint, the history as CSV and SVG, and the test accuracy.
//
//   make demo                                   # the funnel MLP, defaults below
//   ./build/examples/fashion_mnist --model cnn --epochs 5 --out /tmp/run
//   mpirun -np 2 ./build/examples/fashion_mnist --distributed --threads 1   # make demo-mpi
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include <tapegrad/tapegrad.hpp>
#ifdef TAPEGRAD_WITH_MPI
#include <tapegrad/optim/distributed.hpp>
#endif

namespace nn = tg::nn;
namespace optim = tg::optim;
namespace data = tg::data;

namespace {

struct Settings {
  std::string model = "mlp";
  int epochs = 30;
  std::int64_t batch_size = 128;
  double lr = 1e-3;
  std::uint64_t seed = 42;
  int threads = 2;
  int patience = 5;
  double dropout = 0.2;
  std::string out = "demo-output";
  std::string data_dir;
  bool distributed = false;
};

// This process's part in the run: the whole of it, or with --distributed one
// rank of an MPI job, which trains on its shard of every batch and averages
// gradients with the others; only rank 0 prints and writes files.
struct Job {
  int rank = 0;
  int world_size = 1;
#ifdef TAPEGRAD_WITH_MPI
  std::unique_ptr<nn::parallel::DistributedDataParallel> ddp;
#endif
  bool writes_output() const { return rank == 0; }
  data::LoaderOptions shard(data::LoaderOptions options) const {
    options.rank = rank;
    options.world_size = world_size;
    return options;
  }
  optim::FitOptions fit_options(optim::FitOptions options) {
#ifdef TAPEGRAD_WITH_MPI
    if (ddp) return optim::fit_options(*ddp, options);
#endif
    return options;
  }
  // How long the ranks spent averaging gradients (rank 0's clock).
  void report_averaging(std::ostream& out) const {
#ifdef TAPEGRAD_WITH_MPI
    if (!ddp || ddp->stats().calls == 0) return;
    const nn::parallel::AllreduceStats& st = ddp->stats();
    out << std::fixed << std::setprecision(1) << "gradient averaging: " << st.seconds << " s over " << st.calls
        << " steps (" << std::setprecision(2) << 1e3 * st.seconds / static_cast<double>(st.calls) << " ms per step, "
        << ddp->bucket_count() << " allreduce per step)\n";
#else
    (void)out;
#endif
  }
  optim::SumAcrossProcesses sum_across_processes() const {
#ifdef TAPEGRAD_WITH_MPI
    if (ddp) return nn::parallel::sum_across_processes;
#endif
    return {};
  }
};

// The funnel: 784 inputs narrowing through ReLU layers to 10 logits, He
// initialisation for the ReLU layers, dropout after each (the loss applies
// the softmax).
nn::Sequential funnel_mlp(tg::Generator& gen, double dropout) {
  nn::Sequential model;
  std::int64_t width = 784;
  for (std::int64_t next : {512, 256, 128}) {
    model.push_back(nn::Linear(width, next, {.init = "he_normal", .generator = &gen}));
    model.push_back(nn::ReLU());
    if (dropout > 0) model.push_back(nn::Dropout(dropout, &gen));
    width = next;
  }
  model.push_back(nn::Linear(width, 10, {.generator = &gen}));
  return model;
}

// A small LeNet-style CNN: two conv-ReLU-pool stages, then a dense head.
nn::Sequential small_cnn(tg::Generator& gen) {
  return nn::Sequential(nn::Conv2d(1, 16, 3, {.padding = 1, .init = "he_normal", .generator = &gen}), nn::ReLU(),
                        nn::MaxPool2d(2),
                        nn::Conv2d(16, 32, 3, {.padding = 1, .init = "he_normal", .generator = &gen}), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Flatten(),
                        nn::Linear(32 * 7 * 7, 128, {.init = "he_normal", .generator = &gen}), nn::ReLU(),
                        nn::Linear(128, 10, {.generator = &gen}));
}

int run(const Settings& s, Job& job) {
  tg::set_num_threads(s.threads);
  std::ostream quiet(nullptr);  // discards: ranks other than 0 print nothing
  std::ostream& out_stream = job.writes_output() ? std::cout : quiet;
  if (s.batch_size % job.world_size != 0) {
    throw tg::InvalidArgument("fashion_mnist: --batch-size " + std::to_string(s.batch_size) + " does not split over " +
                              std::to_string(job.world_size) + " ranks");
  }
  const bool cnn = s.model == "cnn";
  const auto start = std::chrono::steady_clock::now();
  const data::Dataset full_train = data::fashion_mnist("train", {.directory = s.data_dir, .flatten = !cnn});
  const data::Dataset test = data::fashion_mnist("test", {.directory = s.data_dir, .flatten = !cnn});
  const data::Split split = full_train.split(1.0 / 12, s.seed);  // 55,000 train, 5,000 validation
  out_stream << "Fashion-MNIST: " << split.train.size() << " train, " << split.validation.size() << " validation, "
             << test.size() << " test images; model " << s.model << ", " << s.threads << " thread(s)";
  if (job.world_size > 1) out_stream << " in each of " << job.world_size << " ranks, " << s.batch_size / job.world_size << " examples of each batch per rank";
  out_stream << "\n";

  tg::Generator gen(s.seed);
  nn::Sequential model = cnn ? small_cnn(gen) : funnel_mlp(gen, s.dropout);
  out_stream << model.summary(cnn ? tg::Shape{1, 1, 28, 28} : tg::Shape{1, 784});
#ifdef TAPEGRAD_WITH_MPI
  if (job.world_size > 1) {
    job.ddp = std::make_unique<nn::parallel::DistributedDataParallel>(model);  // rank 0's weights everywhere
    gen = tg::Generator(s.seed + 1000 * static_cast<std::uint64_t>(job.rank));  // each rank's own dropout masks
  }
#endif

  // The batch of batch_size is split over the ranks; validation and test
  // are sharded too and their figures summed over the ranks.
  data::DataLoader train(split.train, job.shard({.batch_size = s.batch_size / job.world_size, .shuffle = true, .seed = s.seed}));
  data::DataLoader validation(split.validation, job.shard({.batch_size = 1000}));
  data::DataLoader test_loader(test, job.shard({.batch_size = 1000}));
  optim::Adam adam(model.parameters(), {.lr = s.lr});
  optim::EarlyStopping stopper(model, {.monitor = "val_loss", .patience = s.patience});
  if (job.writes_output()) std::filesystem::create_directories(s.out);
  const std::string out = s.out + "/";
  const auto loss = [](const tg::Tensor& logits, const tg::Tensor& labels) { return nn::cross_entropy(logits, labels); };

  const optim::FitResult result =
      optim::fit(model, loss, adam, train,
                 job.fit_options({.epochs = s.epochs, .validation = &validation, .early_stopping = &stopper,
                                  .history_csv = out + "history.csv", .history_svg = out + "history.svg"}));
  if (result.stop_reason.empty() || result.stop_reason == "early stopping") stopper.restore();
  if (job.writes_output()) nn::save(model, out + "model.safetensors", {.optimizer = &adam, .epoch = result.epochs_run});

  const optim::Evaluation e =
      optim::evaluate(model, loss, test_loader, optim::Accuracy::automatic, job.sum_across_processes());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out_stream << std::fixed << std::setprecision(2) << "\ntest accuracy: " << 100 * e.accuracy << "% (loss "
            << std::setprecision(4) << e.loss << ") after " << result.epochs_run << " epochs, best epoch "
            << stopper.best_epoch() + 1 << ", " << std::setprecision(1) << seconds << " s in all\n"
            << "wrote " << out << "history.csv, " << out << "history.svg, " << out << "model.safetensors\n";
  job.report_averaging(out_stream);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app("Trains a network on Fashion-MNIST and prints its test accuracy.");
  app.add_option("--model", s.model, "mlp (a funnel MLP) or cnn")->check(CLI::IsMember({"mlp", "cnn"}));
  app.add_option("--epochs", s.epochs, "most epochs (early stopping may end sooner)")->check(CLI::PositiveNumber);
  app.add_option("--batch-size", s.batch_size, "examples per step")->check(CLI::PositiveNumber);
  app.add_option("--lr", s.lr, "Adam's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--seed", s.seed, "seed of the initialisation, the split and the shuffling");
  app.add_option("--threads", s.threads, "BLAS threads")->check(CLI::PositiveNumber);
  app.add_option("--patience", s.patience, "epochs without a better validation loss before stopping");
  app.add_option("--dropout", s.dropout, "dropout after each hidden layer of the MLP")->check(CLI::Range(0.0, 0.9));
  app.add_option("--out", s.out, "directory for the history and the checkpoint");
  app.add_option("--data", s.data_dir, "directory of the Fashion-MNIST IDX files (default: $FASHION_MNIST_DIR, then Debian's)");
  app.add_flag("--distributed", s.distributed,
               "run as one rank of an MPI job, started by mpirun -np N (make demo-mpi): each rank takes "
               "batch-size/N examples of every batch and the ranks average their gradients");
  CLI11_PARSE(app, argc, argv);
  Job job;
  if (!s.distributed) {
    try {
      return run(s, job);
    } catch (const std::exception& e) {
      std::cerr << "fashion_mnist: " << e.what() << "\n";
      return 1;
    }
  }
#ifdef TAPEGRAD_WITH_MPI
  nn::parallel::Environment mpi(argc, argv);
  job.rank = mpi.rank();
  job.world_size = mpi.world_size();
  // A rank that fails (a missing file, a bad option) ends the whole job.
  return nn::parallel::run_or_abort([&] { return run(s, job); });
#else
  std::cerr << "fashion_mnist: --distributed needs tapegrad built with Open MPI (libopenmpi-dev)\n";
  return 1;
#endif
}
