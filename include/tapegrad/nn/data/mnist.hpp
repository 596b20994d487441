// MNIST and Fashion-MNIST: 28 × 28 grey images in ten classes, read from
// their IDX files.
#pragma once

#include <string>

#include "dataset.hpp"
#include "errors.hpp"

namespace tg::data {

/// Where Debian's dataset-fashion-mnist package installs the four files.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Options of mnist() and fashion_mnist().
struct MnistOptions {
  /// The directory holding the files (train-images-idx3-ubyte,
  /// train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
  /// t10k-labels-idx1-ubyte, each plain or with ".gz"). Empty: the first of
  /// these that holds them:
  ///   fashion_mnist(): $FASHION_MNIST_DIR, $TAPEGRAD_DATA/fashion-mnist,
  ///                    /usr/share/datasets/fashion-mnist (Debian's package);
  ///   mnist():         $MNIST_DIR, $TAPEGRAD_DATA/mnist,
  ///                    /usr/share/datasets/mnist.
  /// A directory given here is the only one looked in.
  std::string directory = {};
  /// Images as (N, 784) instead of (N, 1, 28, 28).
  bool flatten = false;
};

/// The Fashion-MNIST split "train" (60,000 examples) or "test" (10,000):
/// images float32 (N, 1, 28, 28) (or (N, 784)) scaled to [0, 1], labels
/// int64 (N,) in 0..9 (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal,
/// Shirt, Sneaker, Bag, Ankle boot). Throws DataError when the files are
/// missing (naming every path looked for, the Debian package that provides
/// them and the overrides), corrupt, or not MNIST-shaped; InvalidArgument
/// for another split name.
Dataset fashion_mnist(const std::string& split, const MnistOptions& options = {});

/// The MNIST digits, as fashion_mnist(); Debian ships no package of them, so
/// give a directory or set $MNIST_DIR or $TAPEGRAD_DATA.
Dataset mnist(const std::string& split, const MnistOptions& options = {});

/// The class names of Fashion-MNIST, by label.
inline constexpr const char* kFashionMnistClasses[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

}  // namespace tg::data
