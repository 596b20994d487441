// The same seed and thread count give bit-identical training: the data
// order, the initial weights, dropout masks and every kernel depend on the
// seed alone, with no reduction whose order changes from run to run.
#include <doctest/doctest.h>

#include <map>

#include "../support.hpp"

using namespace tg;

namespace {

struct Run {
  std::map<std::string, std::vector<double>> history;  // every metric but "seconds"
  std::vector<float> parameters;
  std::vector<float> buffers;  // BatchNorm's running statistics
};

// Four epochs of fit() with everything that draws random numbers or reduces:
// a shuffled loader, He-initialised weights, BatchNorm, dropout, Adam, a
// validation set and gradient clipping.
Run train(std::uint64_t seed) {
  Generator gen(seed);
  const Tensor x = randn({384, 12}, gen);
  std::vector<std::int64_t> labels;
  for (int i = 0; i < 384; ++i) labels.push_back(static_cast<std::int64_t>(gen.below(4)));
  const Tensor y = from_vector(labels, {384});
  auto [train_set, validation_set] = data::Dataset(x, y).split(0.25, seed);
  data::DataLoader train_loader(train_set, {.batch_size = 32, .shuffle = true, .seed = seed});
  data::DataLoader validation_loader(validation_set, {.batch_size = 64});

  nn::Sequential model(nn::Linear(12, 128, {.init = "he_normal", .generator = &gen}), nn::BatchNorm1d(128),
                       nn::ReLU(), nn::Dropout(0.3, &gen), nn::Linear(128, 4, {.generator = &gen}));
  optim::Adam adam(model.parameters(), {.lr = 3e-3});
  const optim::FitResult result =
      optim::fit(model, [](const Tensor& out, const Tensor& t) { return nn::cross_entropy(out, t); }, adam,
                 train_loader,
                 {.epochs = 4, .validation = &validation_loader, .clip_grad_norm = 5.0, .verbose = false});
  Run run;
  for (const std::string& metric : result.history.metrics()) {
    if (metric != "seconds") run.history[metric] = result.history.values(metric);
  }
  for (const Tensor& p : model.parameters()) {
    const auto v = p.to_vector<float>();
    run.parameters.insert(run.parameters.end(), v.begin(), v.end());
  }
  for (const Tensor& b : model.buffers()) {
    if (b.dtype() != f32) continue;
    const auto v = b.to_vector<float>();
    run.buffers.insert(run.buffers.end(), v.begin(), v.end());
  }
  return run;
}

void check_identical(const Run& a, const Run& b) {
  REQUIRE(a.history.size() >= 4);  // loss, accuracy, val_loss, val_accuracy, lr
  for (const auto& [metric, values] : a.history) {
    INFO("metric " << metric);
    REQUIRE(b.history.count(metric) == 1);
    CHECK(values == b.history.at(metric));  // bit for bit
  }
  CHECK(a.parameters == b.parameters);
  CHECK(a.buffers == b.buffers);
}

}  // namespace

TEST_CASE("the same seed gives bit-identical histories, parameters and buffers, at 1 and at 2 threads") {
  const int threads_before = num_threads();
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    set_num_threads(threads);
    const Run first = train(7);
    for (int repeat = 0; repeat < 20; ++repeat) check_identical(first, train(7));
    const Run other = train(8);
    CHECK(other.parameters != first.parameters);  // the seed does decide: the comparison means something
  }
  set_num_threads(threads_before);
}
