// Data-parallel training, run with `mpirun -np 2`: each rank takes half of a
// batch of 64, and after averaging the ranks hold what one process taking
// the whole batch holds. Every test case makes the same collective calls on
// every rank, in the same order.
#include <filesystem>
#include <sstream>

#include "mpi_support.hpp"
#include <tapegrad/optim/distributed.hpp>

using namespace tg;
using namespace tg::test;

namespace {

constexpr std::int64_t kHalf = 32;
const optim::LossFunction kCrossEntropy = [](const Tensor& out, const Tensor& y) { return nn::cross_entropy(out, y); };

nn::Sequential mlp(std::uint64_t seed) {
  Generator gen(seed);
  return nn::Sequential(nn::Linear(6, 16, {.generator = &gen}), nn::Tanh(), nn::Linear(16, 3, {.generator = &gen}));
}

nn::Sequential mlp_with_batchnorm(std::uint64_t seed) {
  Generator gen(seed);
  return nn::Sequential(nn::Linear(6, 16, {.generator = &gen}), nn::BatchNorm1d(16), nn::ReLU(),
                        nn::Linear(16, 3, {.generator = &gen}));
}

// This rank's half of the batch of 64: rows [32·rank, 32·rank + 32).
Tensor my_half(const Tensor& t) { return slice(t, 0, kHalf * parallel::rank(), kHalf * (parallel::rank() + 1)); }

}  // namespace

TEST_CASE("the job has two ranks") {
  REQUIRE(parallel::world_size() == 2);  // run by `mpirun -np 2`
}

TEST_CASE("ranks start from rank 0's parameters and buffers even when their seeds differ") {
  nn::Sequential model = mlp_with_batchnorm(100 + static_cast<std::uint64_t>(parallel::rank()));
  tg::test::assign(model.find("1.running_mean"), full({16}, parallel::rank() + 1.0));
  const std::vector<double> before = model_values(model);
  const std::vector<double> rank0_before = rank0_values(before);
  CHECK((parallel::rank() == 0) == (before == rank0_before));  // the seeds made different models

  parallel::DistributedDataParallel ddp(model);
  const std::vector<double> after = model_values(model);
  CHECK(after == rank0_before);  // bit for bit, buffers included
}

TEST_CASE("one step on two halves of 32, averaged, equals one step on the batch of 64: MLP, momentum, clipping") {
  const auto [x, y] = batch64();
  nn::Sequential whole = mlp(42), model = mlp(42);
  parallel::DistributedDataParallel ddp(model);
  optim::SGD whole_sgd(whole.parameters(), {.lr = 0.5, .momentum = 0.9});
  optim::SGD sgd(model.parameters(), {.lr = 0.5, .momentum = 0.9});
  double norm_whole = 0, norm_averaged = 0;
  for (int step = 0; step < 3; ++step) {
    whole_sgd.zero_grad();
    kCrossEntropy(whole(x), y).backward();
    norm_whole = optim::clip_grad_norm(whole.parameters(), 0.1);

    sgd.zero_grad();
    kCrossEntropy(model(my_half(x)), my_half(y)).backward();
    ddp.average_gradients();
    norm_averaged = optim::clip_grad_norm(model.parameters(), 0.1);  // sees the averaged gradient
    whole_sgd.step();
    sgd.step();
  }
  CHECK(norm_whole > 0.1);  // clipping did act
  CHECK(norm_averaged == doctest::Approx(norm_whole).epsilon(1e-5));
  CHECK(max_relative_difference(model_values(model), model_values(whole)) < 1e-6);
  CHECK(ddp.stats().calls == 3);
  CHECK(ddp.stats().messages == 3);  // one bucket holds the four gradients
}

// Note: BatchNorm's batch statistics are per rank, as without PyTorch's
// SyncBatchNorm: in training each rank normalises its 32 examples by their
// own mean and variance. So the single process matching two ranks takes the
// batch of 64 as two halves of 32 through the model (ghost batches of 32),
// and its loss is the mean of the two halves' losses. The running
// statistics are rank 0's, copied to every rank after each step.
TEST_CASE("with BatchNorm, one averaged step equals one process taking the 64 as two batch-statistics halves") {
  const auto [x, y] = batch64();
  nn::Sequential whole = mlp_with_batchnorm(42), model = mlp_with_batchnorm(42);
  parallel::DistributedDataParallel ddp(model);
  optim::SGD whole_sgd(whole.parameters(), {.lr = 0.5});
  optim::SGD sgd(model.parameters(), {.lr = 0.5});

  const Tensor first_loss = kCrossEntropy(whole(slice(x, 0, 0, kHalf)), slice(y, 0, 0, kHalf));
  const std::vector<double> running_mean_of_first_half = whole.find("1.running_mean").to_vector<double>();
  const Tensor second_loss = kCrossEntropy(whole(slice(x, 0, kHalf, 64)), slice(y, 0, kHalf, 64));
  ((first_loss + second_loss) * 0.5).backward();
  whole_sgd.step();

  kCrossEntropy(model(my_half(x)), my_half(y)).backward();
  ddp.average_gradients();
  sgd.step();

  std::vector<double> params, whole_params;
  for (const Tensor& p : model.parameters()) for (double v : p.to_vector<double>()) params.push_back(v);
  for (const Tensor& p : whole.parameters()) for (double v : p.to_vector<double>()) whole_params.push_back(v);
  CHECK(max_relative_difference(params, whole_params) < 1e-6);
  // Running statistics: rank 0's (from the first half) on every rank.
  CHECK(model.find("1.running_mean").to_vector<double>() == rank0_values(model.find("1.running_mean").to_vector<double>()));
  CHECK(max_relative_difference(model.find("1.running_mean").to_vector<double>(), running_mean_of_first_half) < 1e-6);
}

TEST_CASE("fit with sharded loaders: the same weights and history as one process with the whole batches") {
  Generator gen(5);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < 96; ++i) labels.push_back(i % 3);
  const data::Dataset set(randn({96, 6}, gen), from_vector(labels, {96}));
  const data::Dataset validation_set(randn({40, 6}, gen), from_vector(std::vector<std::int64_t>(40, 1), {40}));

  nn::Sequential whole = mlp(7), model = mlp(7);
  parallel::DistributedDataParallel ddp(model);
  // Rank r's batches of 16 are every other entry of the shared shuffled
  // order: together, the whole process's batch of 32.
  data::DataLoader whole_train(set, {.batch_size = 32, .shuffle = true, .seed = 3});
  data::DataLoader train(set, ddp.shard({.batch_size = 16, .shuffle = true, .seed = 3}));
  data::DataLoader whole_validation(validation_set, {.batch_size = 8});
  data::DataLoader validation(validation_set, ddp.shard({.batch_size = 8}));
  optim::SGD whole_sgd(whole.parameters(), {.lr = 0.2, .momentum = 0.5});
  optim::SGD sgd(model.parameters(), {.lr = 0.2, .momentum = 0.5});
  optim::LrScheduler whole_decay(whole_sgd, optim::exponential(0.9));
  optim::LrScheduler decay(sgd, optim::exponential(0.9));

  const auto dir = std::filesystem::temp_directory_path() / ("tapegrad_ddp_" + std::to_string(rank0_values({double(::getpid())})[0]));
  const std::string history = (dir / ("history-rank" + std::to_string(parallel::rank()) + ".csv")).string();
  std::filesystem::create_directories(dir);
  std::ostringstream progress;
  const optim::FitResult w = optim::fit(whole, kCrossEntropy, whole_sgd, whole_train,
                                        {.epochs = 3, .validation = &whole_validation, .scheduler = &whole_decay,
                                         .clip_grad_norm = 0.2, .verbose = false});
  const optim::FitResult r = optim::fit(model, kCrossEntropy, sgd, train,
                                        optim::fit_options(ddp, {.epochs = 3, .validation = &validation, .scheduler = &decay,
                                                         .clip_grad_norm = 0.2, .progress = {.out = &progress, .interactive = false},
                                                         .history_csv = history}));

  CHECK(max_relative_difference(model_values(model), model_values(whole)) < 1e-5);
  for (const char* metric : {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}) {
    INFO(metric);
    CHECK(max_relative_difference(r.history.values(metric), w.history.values(metric)) < 1e-5);
  }
  // Only rank 0 writes and draws.
  CHECK(std::filesystem::exists(history) == (parallel::rank() == 0));
  CHECK(progress.str().empty() == (parallel::rank() != 0));
  MPI_Barrier(MPI_COMM_WORLD);  // rank 1's check above must not see rank 0's removal
  if (parallel::rank() == 0) std::filesystem::remove_all(dir);
}

TEST_CASE("evaluate over sharded loaders sums the ranks' figures") {
  const auto [x, y] = batch64();
  nn::Sequential model = mlp(11);
  const data::Dataset set(x, y);
  data::DataLoader whole(set, {.batch_size = 10});
  data::DataLoader mine(set, {.batch_size = 10, .rank = parallel::rank(), .world_size = 2});
  const optim::Evaluation all = optim::evaluate(model, kCrossEntropy, whole);
  const optim::Evaluation summed =
      optim::evaluate(model, kCrossEntropy, mine, optim::Accuracy::automatic, parallel::sum_across_processes);
  CHECK(summed.examples == 64);
  CHECK(summed.loss == doctest::Approx(all.loss).epsilon(1e-6));
  CHECK(summed.accuracy == doctest::Approx(all.accuracy));
}

TEST_CASE("a non-finite loss on one rank stops every rank at the same batch") {
  const auto [x, y] = batch64();
  nn::Sequential model = mlp(3);
  parallel::DistributedDataParallel ddp(model);
  data::DataLoader train(data::Dataset(x, y), ddp.shard({.batch_size = 8}));
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  int calls = 0;
  const optim::LossFunction explodes_on_rank_1 = [&](const Tensor& out, const Tensor& target) {
    const Tensor l = nn::cross_entropy(out, target);
    return ++calls == 2 && parallel::rank() == 1 ? l * std::numeric_limits<double>::infinity() : l;
  };
  const optim::FitResult r = optim::fit(model, explodes_on_rank_1, sgd, train, optim::fit_options(ddp, {.epochs = 3, .verbose = false}));
  CHECK(r.stop_reason.rfind("non-finite loss at epoch 1, batch 2 (inf)", 0) == 0);
  CHECK(r.epochs_run == 1);
}

TEST_CASE("buckets: any size gives the same gradients; unused and frozen parameters") {
  const auto [x, y] = batch64();
  nn::Sequential bucketed = mlp(8), per_tensor = mlp(8), small = mlp(8);
  parallel::DistributedDataParallel one_bucket(bucketed);
  parallel::DistributedDataParallel one_per_tensor(per_tensor, {.bucket_bytes = 0});
  parallel::DistributedDataParallel two_buckets(small, {.bucket_bytes = 16 * 6 * 4 + 16 * 4});
  CHECK(one_bucket.bucket_count() == 1);
  CHECK(one_per_tensor.bucket_count() == 4);
  CHECK(two_buckets.bucket_count() == 2);  // (16, 6) weight and bias; then the second layer
  for (nn::Sequential* m : {&bucketed, &per_tensor, &small}) kCrossEntropy((*m)(my_half(x)), my_half(y)).backward();
  one_bucket.average_gradients();
  one_per_tensor.average_gradients();
  two_buckets.average_gradients();
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(bucketed.parameters()[i].grad().to_vector<float>() == per_tensor.parameters()[i].grad().to_vector<float>());
    CHECK(small.parameters()[i].grad().to_vector<float>() == per_tensor.parameters()[i].grad().to_vector<float>());
  }

  // A parameter no rank used keeps no gradient; a frozen one is left alone.
  nn::Sequential unused = mlp(9);
  Tensor frozen = unused.parameters()[1];
  frozen.requires_grad_(false);
  parallel::DistributedDataParallel ddp(unused);
  CHECK(ddp.bucket_count() == 1);
  unused.zero_grad();
  ddp.average_gradients();
  for (const Tensor& p : unused.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("ranks that build different models are refused on every rank, naming the rank") {
  nn::Sequential model(nn::Linear(4, 3 + parallel::rank()));
  CHECK_ERROR(InvalidArgument, parallel::DistributedDataParallel(model), "the model on rank 1 differs from rank 0's",
              "(rank 0: 2 parameters and buffers, 60 bytes", "every rank must build the same model");
  CHECK_ERROR(InvalidArgument, parallel::DistributedDataParallel(model, {.bucket_bytes = -1}), "bucket_bytes must be >= 0");
}

TEST_CASE("verbose_all_ranks lets every rank draw its progress bar; files still come from rank 0 alone") {
  const auto [x, y] = batch64();
  nn::Sequential model = mlp(4);
  parallel::DistributedDataParallel ddp(model, {.verbose_all_ranks = true});
  data::DataLoader train(data::Dataset(x, y), ddp.shard({.batch_size = 16}));
  optim::SGD sgd(model.parameters(), {.lr = 0.1});
  std::ostringstream progress;
  const optim::FitOptions options = optim::fit_options(ddp, {.epochs = 1, .progress = {.out = &progress, .interactive = false}});
  CHECK(options.verbose);
  CHECK(options.writes_output == (parallel::rank() == 0));
  optim::fit(model, kCrossEntropy, sgd, train, options);
  check_contains(progress.str(), {"epoch 1/1", "loss"});
}
