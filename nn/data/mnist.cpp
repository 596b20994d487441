// MNIST and Fashion-MNIST: finding the four IDX files, reading them with
// read_idx, checking they are what the data set says, scaling to [0, 1].
#include "tapegrad/nn/data/mnist.hpp"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "tapegrad/autodiff/grad_mode.hpp"
#include "tapegrad/autodiff/ops.hpp"
#include "tapegrad/nn/data/idx.hpp"

namespace tg::data {

namespace {

// What differs between the two data sets: names, and where to look.
struct Source {
  const char* op;          // "fashion_mnist"
  const char* env_dir;     // "FASHION_MNIST_DIR"
  const char* subdir;      // of $TAPEGRAD_DATA
  const char* system_dir;  // where a Debian package puts it
  const char* provider;    // how to get the files
};

constexpr Source kFashion{
    "fashion_mnist", "FASHION_MNIST_DIR", "fashion-mnist", kDebianFashionMnistDir,
    "Debian's package dataset-fashion-mnist provides them (apt-get install dataset-fashion-mnist; `make demo` "
    "installs it)"};
constexpr Source kMnist{"mnist", "MNIST_DIR", "mnist", "/usr/share/datasets/mnist",
                        "Debian has no package of MNIST: download the four IDX files (train-images-idx3-ubyte.gz, "
                        "...) from http://yann.lecun.com/exdb/mnist/ or a mirror"};

struct Place {
  std::string dir;
  std::string why;  // "$FASHION_MNIST_DIR", ...
};

std::vector<Place> places(const Source& source, const MnistOptions& options) {
  if (!options.directory.empty()) return {{options.directory, "the directory argument"}};
  std::vector<Place> out;
  const char* dir = std::getenv(source.env_dir);
  if (dir != nullptr && *dir != '\0') out.push_back({dir, std::string("$") + source.env_dir});
  const char* root = std::getenv("TAPEGRAD_DATA");
  if (root != nullptr && *root != '\0') {
    out.push_back({(std::filesystem::path(root) / source.subdir).string(), "$TAPEGRAD_DATA"});
  }
  out.push_back({source.system_dir, "the system's data sets"});
  return out;
}

// dir/stem or dir/stem.gz, whichever is a file; "" when neither is.
std::string existing(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem, stem + ".gz"}) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return "";
}

[[noreturn]] void fail(const Source& source, const std::string& path, const std::string& what) {
  throw DataError(std::string(source.op) + ": '" + path + "' " + what);
}

Dataset load(const Source& source, const std::string& split, const MnistOptions& options) {
  if (split != "train" && split != "test") {
    throw InvalidArgument(std::string(source.op) + ": unknown split '" + split + "', expected \"train\" or \"test\"");
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string image_stem = prefix + "-images-idx3-ubyte", label_stem = prefix + "-labels-idx1-ubyte";

  std::string image_path, label_path, looked_for;
  for (const Place& place : places(source, options)) {
    image_path = existing(place.dir, image_stem);
    label_path = existing(place.dir, label_stem);
    if (!image_path.empty() && !label_path.empty()) break;
    looked_for += "\n  " + place.why + ": ";
    const std::string sep = place.dir.ends_with('/') ? "" : "/";
    if (image_path.empty()) looked_for += place.dir + sep + image_stem + "[.gz]";
    if (image_path.empty() && label_path.empty()) looked_for += ", ";
    if (label_path.empty()) looked_for += place.dir + sep + label_stem + "[.gz]";
  }
  if (image_path.empty() || label_path.empty()) {
    throw DataError(std::string(source.op) + ": cannot find the \"" + split + "\" split; looked for" + looked_for +
                    "\n" + source.provider + "; a directory argument ({.directory = ...}), $" + source.env_dir +
                    " or $TAPEGRAD_DATA/" + source.subdir + " says where else to look");
  }

  Tensor images = read_idx(image_path);
  const Tensor labels = read_idx(label_path);
  const Shape& is = images.shape();
  if (is.rank() != 3 || is[1] != 28 || is[2] != 28) {
    fail(source, image_path, "holds " + is.str() + ", expected images (N, 28, 28)");
  }
  if (labels.dtype() != i64 || labels.rank() != 1) {
    fail(source, label_path,
         "holds " + std::string(dtype_name(labels.dtype())) + " " + labels.shape().str() +
             ", expected integer labels (N,)");
  }
  if (labels.size(0) != is[0]) {
    fail(source, label_path,
         "holds " + std::to_string(labels.size(0)) + " labels for the " + std::to_string(is[0]) + " images of '" +
             image_path + "'");
  }
  const std::int64_t* label = labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < labels.numel(); ++i) {
    if (label[i] < 0 || label[i] > 9) {
      fail(source, label_path,
           "has label " + std::to_string(label[i]) + " at index " + std::to_string(i) + ", expected 0..9");
    }
  }

  NoGrad no_grad;
  images = to_dtype(images, f32);
  float* pixel = images.mutable_data<float>();
  for (std::int64_t i = 0; i < images.numel(); ++i) {
    if (!(pixel[i] >= 0 && pixel[i] <= 255)) {
      fail(source, image_path,
           "has pixel value " + std::to_string(pixel[i]) + " at index " + std::to_string(i) + ", expected 0..255");
    }
    pixel[i] /= 255.0f;
  }
  const std::int64_t n = is[0];
  return Dataset(options.flatten ? reshape(images, {n, 784}) : reshape(images, {n, 1, 28, 28}), labels);
}

}  // namespace

Dataset fashion_mnist(const std::string& split, const MnistOptions& options) { return load(kFashion, split, options); }

Dataset mnist(const std::string& split, const MnistOptions& options) { return load(kMnist, split, options); }

}  // namespace tg::data
