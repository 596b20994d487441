// What several examples share: the data sets they train on (a standardised
// subset of Fashion-MNIST, a random linear teacher, interleaved spirals) and
// the per-epoch table of a fit history. Header-only: each example is one
// program a user can copy with this file.
#pragma once

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <numbers>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace examples {

namespace data = tg::data;

/// A classification task: training and test sets and their sizes.
struct Task {
  std::string name;
  data::Dataset train, test;
  std::int64_t inputs = 0, classes = 0;
};

// Fashion-MNIST: `n` training images drawn at random (by seed), the whole
// test set; pixels standardised with the training images' mean and
// standard deviation (one pair for all pixels).
inline Task fashion_mnist(std::int64_t n, std::uint64_t seed, const std::string& dir) {
  const data::Dataset full = data::fashion_mnist("train", {.directory = dir, .flatten = true});
  const data::Dataset test = data::fashion_mnist("test", {.directory = dir, .flatten = true});
  tg::Generator gen(seed);
  std::vector<std::int64_t> order = tg::randperm(full.size(), gen).to_vector<std::int64_t>();
  order.resize(static_cast<std::size_t>(std::min(n, full.size())));
  const data::Dataset train = full.subset(order);
  const auto standardize = data::Standardizer::fit(train.features(), {.per_feature = false});
  return {"Fashion-MNIST", data::Dataset(standardize(train.features()), train.targets()),
          data::Dataset(standardize(test.features()), test.targets()), 784, 10};
}

// A random teacher: x ~ N(0, I) in `inputs` dimensions, labelled by the
// largest of `classes` random linear scores, x·W. Learnable by any net that
// trains at all, so what decides here is the initialisation.
inline Task teacher_task(std::int64_t inputs, std::int64_t classes, std::int64_t n, std::uint64_t seed) {
  tg::Generator gen(seed);
  const tg::Tensor teacher = tg::randn({inputs, classes}, gen);
  const auto make = [&](std::int64_t count) {
    const tg::Tensor x = tg::randn({count, inputs}, gen);
    const std::vector<float> scores = tg::matmul(x, teacher).to_vector<float>();
    std::vector<std::int64_t> labels(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const auto row = scores.begin() + static_cast<std::ptrdiff_t>(i * classes);
      labels[i] = std::max_element(row, row + classes) - row;
    }
    return data::Dataset(x, tg::from_vector(labels, {count}));
  };
  data::Dataset train = make(n);
  data::Dataset test = make(2000);
  return {"random linear teacher", std::move(train), std::move(test), inputs, classes};
}

// `classes` spirals winding `turns` times around the origin, n points each,
// with a little Gaussian noise: x (n·classes, 2), labels (n·classes,).
inline data::Dataset spirals(std::int64_t n, int classes, double turns, double noise, tg::Generator& gen) {
  std::vector<float> x;
  std::vector<std::int64_t> y;
  for (int c = 0; c < classes; ++c) {
    for (std::int64_t i = 0; i < n; ++i) {
      const double r = 0.05 + 0.95 * gen.uniform();  // radius, 0.05..1
      const double angle = 2 * std::numbers::pi * (turns * r + double(c) / classes);
      x.push_back(static_cast<float>(r * std::cos(angle) + noise * gen.normal()));
      x.push_back(static_cast<float>(r * std::sin(angle) + noise * gen.normal()));
      y.push_back(c);
    }
  }
  const auto count = static_cast<std::int64_t>(y.size());
  return data::Dataset(tg::from_vector(x, {count, 2}), tg::from_vector(y, {count}));
}

/// A column of a fit history, NaN for every epoch when it was not recorded.
inline std::vector<double> history_column(const tg::optim::History& h, const char* name) {
  return h.has(name) ? h.values(name) : std::vector<double>(static_cast<std::size_t>(h.epochs()), NAN);
}

/// One line per epoch: the learning rate at its end, training and test loss
/// and accuracy (the history's validation figures), and the elapsed time.
inline void print_epoch_table(const tg::optim::History& h) {
  const std::vector<double> lr = history_column(h, "lr"), train_loss = history_column(h, "loss"),
                            train_acc = history_column(h, "accuracy"), test_loss = history_column(h, "val_loss"),
                            test_acc = history_column(h, "val_accuracy"), secs = history_column(h, "seconds");
  std::cout << "\nepoch  lr (end)   train loss  train acc  test loss  test acc  time\n"
            << "-----  ---------  ----------  ---------  ---------  --------  ------\n";
  double elapsed = 0;
  for (int e = 0; e < h.epochs(); ++e) {
    elapsed += std::isfinite(secs[e]) ? secs[e] : 0;
    std::cout << std::setw(5) << e + 1 << "  " << std::scientific << std::setprecision(2) << lr[e] << "  "
              << std::fixed << std::setprecision(4) << std::setw(10) << train_loss[e] << "  " << std::setprecision(2)
              << std::setw(8) << 100 * train_acc[e] << "%  " << std::setprecision(4) << std::setw(9) << test_loss[e]
              << "  " << std::setprecision(2) << std::setw(7) << 100 * test_acc[e] << "%  " << std::setprecision(1)
              << std::setw(5) << elapsed << "s\n";
  }
}

}  // namespace examples
