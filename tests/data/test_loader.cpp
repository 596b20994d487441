// Dataset (selection, split), DataLoader (batch counts, every example once
// per epoch, reproducible shuffles) and the normalisation helpers.
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <set>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// n examples: features (n, 2) with row i = (i, −i), targets i (int64), so a
// batch shows which examples it holds and that x and y stay aligned.
data::Dataset numbered(std::int64_t n) {
  std::vector<float> x;
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(-static_cast<float>(i));
    y.push_back(i);
  }
  return data::Dataset(from_vector(x, {n, 2}), from_vector(y, {n}));
}

// The targets of one epoch, batch by batch (one pass of a range-for), after
// checking each batch's shapes and that its x rows belong to its y.
std::vector<std::vector<std::int64_t>> one_epoch(data::DataLoader& loader) {
  std::vector<std::vector<std::int64_t>> batches;
  for (auto [x, y] : loader) {
    REQUIRE(x.shape() == Shape{y.size(0), 2});
    const std::vector<std::int64_t> ids = y.to_vector<std::int64_t>();
    const std::vector<float> rows = x.to_vector<float>();
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(rows[2 * k] == static_cast<float>(ids[k]));
    batches.push_back(ids);
  }
  return batches;
}

std::vector<std::int64_t> flat(const std::vector<std::vector<std::int64_t>>& batches) {
  std::vector<std::int64_t> out;
  for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::vector<std::int64_t> iota_vector(std::int64_t n) {
  std::vector<std::int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), std::int64_t{0});
  return v;
}

}  // namespace

TEST_CASE("Dataset: get, batch, select and subset copy the right examples") {
  const data::Dataset ds = numbered(5);
  CHECK(ds.size() == 5);
  const auto [x, y] = ds.get(3);
  CHECK(x.shape() == Shape{2});
  check_values(x, {3, -3});
  CHECK(y.shape() == Shape{});
  CHECK(y.item() == 3);
  const data::Batch b = ds.batch(1, 4);
  CHECK(b.x.shape() == Shape{3, 2});
  CHECK(b.y.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3});
  CHECK(ds.batch(5, 5).x.shape() == Shape{0, 2});
  const data::Batch s = ds.select({4, 0, 4});
  check_values(s.x, {4, -4, 0, 0, 4, -4});
  CHECK(s.y.to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 0, 4});
  CHECK(ds.subset({2, 1}).targets().to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 1});
  // Without targets.
  const data::Dataset features_only(ones({4, 3}));
  CHECK_FALSE(features_only.batch(0, 2).y.defined());
  CHECK(data::Dataset().size() == 0);
}

TEST_CASE("Dataset errors: mismatched counts, indices out of range") {
  CHECK_OP_ERROR(ShapeError, data::Dataset(zeros({4, 2}), zeros({3})), "Dataset: features (4, 2) and targets (3,) differ in the number of examples (4 vs 3)");
  CHECK_OP_ERROR(ShapeError, data::Dataset(scalar(1.0)), "Dataset: features need a first axis of examples");
  CHECK_ERROR(InvalidArgument, data::Dataset(Tensor()), "undefined");
  const data::Dataset ds = numbered(5);
  CHECK_OP_ERROR(AxisError, ds.get(5), "Dataset::get: index 5 is out of range for 5 examples");
  CHECK_OP_ERROR(AxisError, ds.get(-1), "index -1");
  CHECK_OP_ERROR(AxisError, ds.batch(3, 6), "Dataset::batch: range [3, 6) is not within the 5 examples");
  CHECK_OP_ERROR(AxisError, ds.batch(3, 2), "range [3, 2)");
  CHECK_OP_ERROR(AxisError, ds.select({0, 7}), "Dataset::select: index 7 (entry 1) is out of range for 5 examples");
  CHECK_OP_ERROR(InvalidArgument, ds.split(1.5), "Dataset::split: fraction must be in [0, 1], got 1.5");
}

TEST_CASE("Dataset::split: disjoint parts covering every example, reproducible by seed") {
  const data::Dataset ds = numbered(100);
  const auto [train, validation] = ds.split(0.2, 42);
  CHECK(train.size() == 80);
  CHECK(validation.size() == 20);
  std::vector<std::int64_t> t = train.targets().to_vector<std::int64_t>();
  std::vector<std::int64_t> v = validation.targets().to_vector<std::int64_t>();
  CHECK(std::is_sorted(t.begin(), t.end()));  // original order kept
  CHECK(std::is_sorted(v.begin(), v.end()));
  std::vector<std::int64_t> all = t;
  all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  CHECK(all == iota_vector(100));
  CHECK(ds.split(0.2, 42).validation.targets().to_vector<std::int64_t>() == v);
  CHECK(ds.split(0.2, 43).validation.targets().to_vector<std::int64_t>() != v);
  CHECK(v != iota_vector(20));  // drawn at random, not the first 20
  CHECK(ds.split(0.0).validation.size() == 0);
  CHECK(ds.split(1.0).train.size() == 0);
  CHECK(numbered(7).split(0.5).validation.size() == 4);  // round(3.5)
}

TEST_CASE("DataLoader: the number of batches, with and without drop_last") {
  const data::Dataset ds = numbered(10);
  data::DataLoader loader(ds, {.batch_size = 3});
  CHECK(loader.size() == 4);
  const auto batches = one_epoch(loader);
  REQUIRE(batches.size() == 4);
  CHECK(batches[3] == std::vector<std::int64_t>{9});  // the short last batch
  CHECK(flat(batches) == iota_vector(10));            // in order without shuffle

  data::DataLoader dropping(ds, {.batch_size = 3, .drop_last = true});
  CHECK(dropping.size() == 3);
  CHECK(one_epoch(dropping).size() == 3);
  data::DataLoader exact(ds, {.batch_size = 5, .drop_last = true});
  CHECK(exact.size() == 2);
  data::DataLoader big(ds, {.batch_size = 64});
  CHECK(big.size() == 1);
  data::DataLoader big_dropped(ds, {.batch_size = 64, .drop_last = true});
  CHECK(big_dropped.size() == 0);
  CHECK(one_epoch(big_dropped).empty());
  data::DataLoader none(numbered(0), {.batch_size = 4});
  CHECK(none.size() == 0);
  CHECK(one_epoch(none).empty());
}

TEST_CASE("DataLoader with shuffle: every example exactly once per epoch, a new order each epoch") {
  data::DataLoader loader(numbered(103), {.batch_size = 10, .shuffle = true, .seed = 7});
  std::set<std::vector<std::int64_t>> orders;
  for (int epoch = 0; epoch < 5; ++epoch) {
    CHECK(loader.epoch() == epoch);
    const auto batches = one_epoch(loader);
    CHECK(batches.size() == 11);
    CHECK(batches.back().size() == 3);
    std::vector<std::int64_t> seen = flat(batches);
    CHECK(seen == loader.order(epoch));
    orders.insert(seen);
    std::sort(seen.begin(), seen.end());
    CHECK(seen == iota_vector(103));
  }
  CHECK(orders.size() == 5);  // five different orders

  // drop_last: no example twice, and the dropped ones are the tail of the order.
  data::DataLoader dropping(numbered(103), {.batch_size = 10, .shuffle = true, .seed = 7, .drop_last = true});
  const std::vector<std::int64_t> seen = flat(one_epoch(dropping));
  CHECK(seen.size() == 100);
  CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == 100);
  const std::vector<std::int64_t> order = dropping.order(0);
  CHECK(seen == std::vector<std::int64_t>(order.begin(), order.begin() + 100));
}

TEST_CASE("DataLoader shuffles are reproducible: same seed same orders, epochs by index") {
  const data::Dataset ds = numbered(50);
  data::DataLoader a(ds, {.batch_size = 8, .shuffle = true, .seed = 3});
  data::DataLoader b(ds, {.batch_size = 8, .shuffle = true, .seed = 3});
  data::DataLoader c(ds, {.batch_size = 8, .shuffle = true, .seed = 4});
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto from_a = one_epoch(a);
    CHECK(from_a == one_epoch(b));
    CHECK(flat(from_a) != flat(one_epoch(c)));
  }
  // Epoch 2 is the same whether or not epochs 0 and 1 ran here (resuming).
  data::DataLoader resumed(ds, {.batch_size = 8, .shuffle = true, .seed = 3});
  resumed.set_epoch(2);
  CHECK(flat(one_epoch(resumed)) == a.order(2));
  CHECK(resumed.epoch() == 3);
  // The batch size does not change the order.
  data::DataLoader other_size(ds, {.batch_size = 5, .shuffle = true, .seed = 3});
  CHECK(flat(one_epoch(other_size)) == a.order(0));
  // Iterators by hand.
  data::DataLoader d(ds, {.batch_size = 16});
  auto it = d.begin();
  CHECK(it.index() == 0);
  CHECK((*it).y.to_vector<std::int64_t>()[0] == 0);
  ++it;
  CHECK((*it).y.to_vector<std::int64_t>()[0] == 16);
  CHECK(std::distance(d.begin(), d.end()) == 4);
}

TEST_CASE("DataLoader errors: batch size, process rank") {
  const data::Dataset ds = numbered(4);
  CHECK_ERROR(InvalidArgument, data::DataLoader(ds, {.batch_size = 0}), "DataLoader: batch_size must be at least 1, got 0");
  CHECK_ERROR(InvalidArgument, data::DataLoader(ds, {.rank = 1}), "rank 1 of world_size 1 is not a process");
  CHECK_ERROR(InvalidArgument, data::DataLoader(ds, {.rank = 2, .world_size = 2}), "rank 2 of world_size 2 is not a process");
  CHECK_ERROR(InvalidArgument, data::DataLoader(ds, {.rank = 0, .world_size = 0}), "need 0 <= rank < world_size");
  data::DataLoader loader(ds);
  CHECK_ERROR(InvalidArgument, loader.set_epoch(-1), "epoch must be >= 0, got -1");
  CHECK_ERROR(AxisError, *loader.end(), "batch 1 is past the end of the epoch (1 batches)");
}

TEST_CASE("scale_to_unit divides by 255 or by the largest value") {
  const Tensor pixels = from_vector(std::vector<std::int64_t>{0, 51, 255}, {3});
  const Tensor scaled = data::scale_to_unit(pixels, 255);
  CHECK(scaled.dtype() == f32);
  check_values(scaled, {0, 0.2, 1});
  check_values(data::scale_to_unit(tensor({1, 2, 4}, f64)), {0.25, 0.5, 1});
  CHECK(data::scale_to_unit(tensor({1, 2, 4}, f64)).dtype() == f64);
  CHECK_OP_ERROR(InvalidArgument, data::scale_to_unit(pixels, 0.0), "scale_to_unit: max must be positive and finite, got 0");
  CHECK_OP_ERROR(InvalidArgument, data::scale_to_unit(zeros({2, 2})), "the largest value of x (2, 2) is 0", "pass max explicitly");
}

TEST_CASE("Standardizer: statistics of the training split, applied to any split") {
  // Feature 0: 1, 2, 3 (mean 2, std sqrt(2/3)); feature 1 constant 5.
  const Tensor train = tensor({1, 5, 2, 5, 3, 5}, {3, 2});
  const auto standardize = data::Standardizer::fit(train);
  CHECK(standardize.mean().dtype() == f64);
  check_values(standardize.mean(), {2, 5});
  check_values(standardize.std(), {std::sqrt(2.0 / 3.0), 1});  // the constant feature is divided by 1
  const double s = std::sqrt(2.0 / 3.0);
  check_values(standardize(train), {-1 / s, 0, 0, 0, 1 / s, 0});
  // Another split uses the training statistics, not its own.
  const Tensor test = tensor({4, 6}, {1, 2});
  check_values(standardize(test), {2 / s, 1});
  check_values(standardize(tensor({4, 6})), {2 / s, 1});  // one example
  check_values(standardize.inverse(standardize(test)), {4, 6});
  // float64 in, float64 out; integers come out float32.
  CHECK(standardize(to_dtype(test, f64)).dtype() == f64);
  CHECK(standardize(from_vector(std::vector<std::int64_t>{4, 6}, {1, 2})).dtype() == f32);

  // Global: one mean and std over every value.
  const auto global = data::Standardizer::fit(tensor({0, 2, 4, 6}, {2, 2}), {.per_feature = false});
  CHECK(global.mean().shape() == Shape{});
  check_values(global.mean(), {3});
  check_values(global.std(), {std::sqrt(5.0)});
  check_values(global(tensor({3, 8})), {0, 5 / std::sqrt(5.0)});

  // Images: one statistic per pixel.
  const auto per_pixel = data::Standardizer::fit(ones({4, 1, 28, 28}));
  CHECK(per_pixel.mean().shape() == Shape{1, 28, 28});
}

TEST_CASE("Standardizer errors: feature shape, empty or unfitted") {
  const auto standardize = data::Standardizer::fit(zeros({3, 2}));
  CHECK_OP_ERROR(ShapeError, standardize(zeros({3, 4})), "Standardizer::apply: x (3, 4) does not end in the feature shape (2,)");
  CHECK_OP_ERROR(InvalidArgument, data::Standardizer::fit(zeros({0, 2})), "expected examples (N, ...) with N >= 1, got (0, 2)");
  CHECK_OP_ERROR(InvalidArgument, data::Standardizer::fit(scalar(1.0)), "got ()");
  CHECK_OP_ERROR(InvalidArgument, data::Standardizer().apply(zeros({2})), "was not fitted");
}

TEST_CASE("sharded loaders: the same permutation on every rank, disjoint shards of equal size") {
  const data::Dataset ds = numbered(10);
  for (bool shuffle : {false, true}) {
    INFO("shuffle " << shuffle);
    std::vector<std::int64_t> seen;
    for (int rank = 0; rank < 3; ++rank) {
      data::DataLoader loader(ds, {.batch_size = 2, .shuffle = shuffle, .seed = 7, .rank = rank, .world_size = 3});
      CHECK(loader.examples_per_epoch() == 4);  // ceil(10 / 3), two ranks wrap around
      CHECK(loader.size() == 2);
      std::vector<std::int64_t> mine;
      for (const data::Batch b : loader) {
        const auto y = b.y.to_vector<std::int64_t>();
        mine.insert(mine.end(), y.begin(), y.end());
      }
      CHECK(mine == loader.order(0));
      // Every world_size-th entry of the unsharded order, from this rank on.
      const auto all = data::DataLoader(ds, {.shuffle = shuffle, .seed = 7}).order(0);
      for (std::size_t k = 0; k < mine.size(); ++k) CHECK(mine[k] == all[(k * 3 + static_cast<std::size_t>(rank)) % 10]);
      seen.insert(seen.end(), mine.begin(), mine.end());
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    CHECK(seen.size() == 10);  // together the shards cover every example
  }
  data::DataLoader last(ds, {.batch_size = 3, .drop_last = true, .rank = 1, .world_size = 2});
  CHECK(last.examples_per_epoch() == 5);
  CHECK(last.size() == 1);
}

// (n + batch_size − 1) / batch_size overflowed for batch_size = INT64_MAX and
// gave 0 batches (issue 20).
TEST_CASE("DataLoader with the largest batch_size: one batch of everything") {
  const std::int64_t most = std::numeric_limits<std::int64_t>::max();
  data::DataLoader all(numbered(10), {.batch_size = most});
  CHECK(all.size() == 1);
  const auto batches = one_epoch(all);
  REQUIRE(batches.size() == 1);
  CHECK(batches[0] == iota_vector(10));
  data::DataLoader shuffled(numbered(10), {.batch_size = most, .shuffle = true});
  const auto mixed = one_epoch(shuffled);
  REQUIRE(mixed.size() == 1);
  CHECK(std::set<std::int64_t>(mixed[0].begin(), mixed[0].end()).size() == 10);
  data::DataLoader sharded(numbered(10), {.batch_size = most, .rank = 2, .world_size = 3});
  CHECK(sharded.size() == 1);
  CHECK(one_epoch(sharded)[0].size() == 4);
  CHECK(data::DataLoader(numbered(10), {.batch_size = most, .drop_last = true}).size() == 0);
  CHECK(data::DataLoader(numbered(0), {.batch_size = most}).size() == 0);
}
