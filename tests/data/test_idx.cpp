// IDX files: hand-written bytes read back (byte order, every type code),
// write_idx/read_idx round trips plain and gzip, every error of a corrupt or
// truncated file, and MNIST/Fashion-MNIST loading from small files in a
// temporary directory (the real Fashion-MNIST only when it is installed).
#include <doctest/doctest.h>

#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;
using Bytes = std::vector<unsigned char>;

namespace {

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int count = 0;
    path = std::filesystem::temp_directory_path() /
           ("tapegrad-test-idx-" + std::to_string(::getpid()) + "-" + std::to_string(count++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Magic number and big-endian extents.
Bytes header(unsigned char type, std::initializer_list<std::uint32_t> dims) {
  Bytes b{0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<unsigned char>(d >> shift));
  }
  return b;
}

// Values 0..255 in a pattern that repeats only every 256 elements.
Tensor byte_pattern(const Shape& shape) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>((i * 7919 + i / 256) % 256);
  return from_vector(v, shape);
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("read_idx reads MNIST-style ubyte files by hand: images to float32, labels to int64") {
  TempDir dir;
  write_bytes(dir.file("images"), header(0x08, {2, 2, 3}) + Bytes{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});
  const Tensor images = data::read_idx(dir.file("images"));
  CHECK(images.dtype() == f32);
  CHECK(images.shape() == Shape{2, 2, 3});
  check_values(images, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});

  write_bytes(dir.file("labels"), header(0x08, {4}) + Bytes{9, 0, 3, 255});
  const Tensor labels = data::read_idx(dir.file("labels"));
  CHECK(labels.dtype() == i64);
  CHECK(labels.shape() == Shape{4});
  CHECK(labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{9, 0, 3, 255});

  // The dtype can be asked for.
  CHECK(data::read_idx(dir.file("labels"), {.dtype = f32}).dtype() == f32);
  CHECK(data::read_idx(dir.file("images"), {.dtype = i64}).to_vector<std::int64_t>()[11] == 255);
}

TEST_CASE("read_idx decodes every type code big-endian") {
  TempDir dir;
  write_bytes(dir.file("sbyte"), header(0x09, {3}) + Bytes{0x80, 0xFF, 0x7F});
  CHECK(data::read_idx(dir.file("sbyte")).to_vector<std::int64_t>() == std::vector<std::int64_t>{-128, -1, 127});
  write_bytes(dir.file("int16"), header(0x0B, {2}) + Bytes{0x01, 0x02, 0xFF, 0xFE});
  CHECK(data::read_idx(dir.file("int16")).to_vector<std::int64_t>() == std::vector<std::int64_t>{258, -2});
  write_bytes(dir.file("int32"), header(0x0C, {2}) + Bytes{0x01, 0x02, 0x03, 0x04, 0x80, 0, 0, 0});
  CHECK(data::read_idx(dir.file("int32")).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{16909060, -2147483648LL});
  write_bytes(dir.file("float32"), header(0x0D, {1, 2}) + Bytes{0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0});
  const Tensor f = data::read_idx(dir.file("float32"));
  CHECK(f.dtype() == f32);
  check_values(f, {1.0, -2.5});
  write_bytes(dir.file("float64"), header(0x0E, {1}) + Bytes{0x3F, 0xF8, 0, 0, 0, 0, 0, 0});
  const Tensor d = data::read_idx(dir.file("float64"));
  CHECK(d.dtype() == f64);
  check_values(d, {1.5});
  // A rank-0 file holds one value.
  write_bytes(dir.file("scalar"), header(0x08, {}) + Bytes{7});
  CHECK(data::read_idx(dir.file("scalar")).shape() == Shape{});
  // Zero extents: an empty tensor, no data bytes.
  write_bytes(dir.file("empty"), header(0x08, {0, 28, 28}));
  CHECK(data::read_idx(dir.file("empty")).shape() == Shape{0, 28, 28});
}

TEST_CASE("write_idx and read_idx round-trip every type, plain and gzip") {
  TempDir dir;
  const Tensor images = from_vector(std::vector<double>{0, 17, 128, 255, 3, 99}, {1, 2, 3});
  const Tensor labels = from_vector(std::vector<std::int64_t>{3, 1, 4, 1, 5}, {5});
  for (const char* name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    CAPTURE(name);
    data::write_idx(dir.file(name), images, {.type = data::IdxType::ubyte});
    const Tensor back = data::read_idx(dir.file(name));
    CHECK(back.shape() == images.shape());
    CHECK(back.to_vector<float>() == images.to_vector<float>());
  }
  // The .gz file really is compressed: gzip's magic bytes 1f 8b.
  const Bytes gz = read_bytes(dir.file("images-idx3-ubyte.gz"));
  REQUIRE(gz.size() > 2);
  CHECK((gz[0] == 0x1f && gz[1] == 0x8b));
  CHECK(read_bytes(dir.file("images-idx3-ubyte")) == header(0x08, {1, 2, 3}) + Bytes{0, 17, 128, 255, 3, 99});
  // Compression is found from the content, not the name.
  data::write_idx(dir.file("labels.idx"), labels, {.type = data::IdxType::ubyte, .gzip = true});
  CHECK(read_bytes(dir.file("labels.idx"))[0] == 0x1f);
  CHECK(data::read_idx(dir.file("labels.idx")).to_vector<std::int64_t>() == labels.to_vector<std::int64_t>());

  const Tensor signed_values = from_vector(std::vector<std::int64_t>{-128, -1, 0, 127}, {2, 2});
  using T = data::IdxType;
  for (T type : {T::sbyte, T::int16, T::int32, T::float32, T::float64}) {
    CAPTURE(data::idx_type_name(type));
    data::write_idx(dir.file("v.gz"), signed_values, {.type = type});
    CHECK(data::read_idx(dir.file("v.gz"), {.dtype = f64}).to_vector<double>() ==
          std::vector<double>{-128, -1, 0, 127});
  }
  // automatic: float32 -> float32, float64 -> float64, int64 -> int32.
  const Tensor halves = tensor({0.5, -1.25, 3e30}, f64);
  data::write_idx(dir.file("auto64"), halves);
  CHECK(read_bytes(dir.file("auto64"))[2] == 0x0E);
  CHECK(data::read_idx(dir.file("auto64")).to_vector<double>() == halves.to_vector<double>());
  data::write_idx(dir.file("auto32"), to_dtype(halves, f32));
  CHECK(read_bytes(dir.file("auto32"))[2] == 0x0D);
  data::write_idx(dir.file("autoi"), labels);
  CHECK(read_bytes(dir.file("autoi"))[2] == 0x0C);
  // A larger file crosses the reader's chunks.
  const Tensor big = byte_pattern({3000, 28, 28});
  data::write_idx(dir.file("big.gz"), big, {.type = T::ubyte});
  CHECK(data::read_idx(dir.file("big.gz")).to_vector<float>() == big.to_vector<float>());
}

TEST_CASE("read_idx errors: missing file, wrong magic, unknown type, rank") {
  TempDir dir;
  const std::string missing = dir.file("no-such-idx3-ubyte.gz");
  CHECK_ERROR(data::DataError, data::read_idx(missing), "read_idx: no such file: '" + missing + "'");
  CHECK_ERROR(data::DataError, data::read_idx(dir.path.string()), "is a directory");

  write_bytes(dir.file("pgm"), Bytes{'P', '5', '\n', '2', ' ', '2'});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("pgm")), dir.file("pgm"), "is not an IDX file",
              "wrong magic number 0x50350A32", "expected 0x0000TTRR", "0x08 ubyte", "0x00000803");
  write_bytes(dir.file("type"), header(0x07, {2}) + Bytes{1, 2});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("type")), "wrong magic number 0x00000701", "0x0E float64");
  write_bytes(dir.file("rank"), Bytes{0, 0, 0x08, 9});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("rank")), "magic number 0x00000809 declares rank 9",
              "largest rank 8");
  write_bytes(dir.file("floats"), header(0x0D, {1}) + Bytes{0x3F, 0x80, 0, 0});
  CHECK_ERROR(DtypeError, data::read_idx(dir.file("floats"), {.dtype = i64}), "float32 elements",
              "cannot be read as int64");
}

TEST_CASE("read_idx errors: every truncation says what was declared and what came") {
  TempDir dir;
  write_bytes(dir.file("empty"), Bytes{});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("empty")), dir.file("empty"), "is truncated",
              "4 bytes of magic number, got 0");
  write_bytes(dir.file("dims"), Bytes{0, 0, 0x08, 3, 0, 0, 0, 2, 0});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("dims")), "declares rank 3", "12 bytes of extents, got 5");
  write_bytes(dir.file("data"), header(0x08, {2, 2, 3}) + Bytes{1, 2, 3, 4, 5});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("data")), dir.file("data"), "is truncated",
              "declares 12 bytes of data (2 x 2 x 3 ubyte), got 5");
  write_bytes(dir.file("int16"), header(0x0B, {3}) + Bytes{0, 1, 0, 2, 0});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("int16")), "declares 6 bytes of data (3 int16), got 5");
  // Bytes past the declared data mean the header is wrong too.
  write_bytes(dir.file("long"), header(0x08, {2}) + Bytes{1, 2, 3, 4, 5});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("long")), "has 3 bytes after the 2 bytes of data (2 ubyte)");

  // gzip cut short: in the data, and in the trailer after complete data.
  data::write_idx(dir.file("cut.gz"), byte_pattern({64, 28, 28}), {.type = data::IdxType::ubyte});
  Bytes gz = read_bytes(dir.file("cut.gz"));
  write_bytes(dir.file("half.gz"), Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("half.gz")), "is truncated",
              "declares 50176 bytes of data (64 x 28 x 28 ubyte), got", "the gzip stream ends early");
  write_bytes(dir.file("trailer.gz"), Bytes(gz.begin(), gz.end() - 4));
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("trailer.gz")), "is truncated",
              "the gzip stream ends early, after the 50176 bytes of data");
  // A corrupt gzip stream (its CRC no longer matches).
  gz[gz.size() - 8] ^= 0xFF;
  write_bytes(dir.file("crc.gz"), gz);
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("crc.gz")), dir.file("crc.gz"), "not a valid gzip stream",
              "zlib:");
}

TEST_CASE("read_idx checks the extents before reading: overflow, and huge claims in small files") {
  TempDir dir;
  write_bytes(dir.file("overflow"), header(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}));
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("overflow")),
              "the extents 4294967295 x 4294967295 x 4294967295", "multiply to more than 2^63 bytes", "corrupt");
  write_bytes(dir.file("overflow8"), header(0x0E, {1u << 31, 1u << 31, 2}));  // 2^63 elements: 2^66 bytes
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("overflow8")), "multiply to more than");
  // 2^31 bytes claimed in a 20-byte file: a truncation error, not a 2 GiB allocation.
  write_bytes(dir.file("claim"), header(0x08, {1u << 16, 1u << 15}) + Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("claim")), "declares 2147483648 bytes of data", "got 8");
}

// 16384 x 256 x 256 ubyte in a 1 MB .gz read 5.25 GB of memory in 12.8 s
// (issue 20): every declared size is now held against max_bytes before a
// data byte is read.
TEST_CASE("read_idx refuses a declared size above max_bytes before reading: the gzip bomb") {
  TempDir dir;
  // 2^40 bytes claimed: above the default of 4 GiB.
  write_bytes(dir.file("claim"), header(0x08, {1u << 20, 1u << 20}) + Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("claim")), dir.file("claim"),
              "declares 1099511627776 bytes of data (1048576 x 1048576 ubyte)",
              "more than IdxReadOptions::max_bytes = 4294967296");
  // A real bomb: 64 MiB of zeros in about 64 KB of gzip, refused at a 16 MiB limit.
  const std::string bomb = dir.file("bomb-idx3-ubyte.gz");
  {
    gzFile out = gzopen(bomb.c_str(), "wb9");
    REQUIRE(out != nullptr);
    const Bytes head = header(0x08, {1024, 256, 256});
    gzwrite(out, head.data(), static_cast<unsigned>(head.size()));
    const Bytes zeros(1 << 20, 0);
    for (int i = 0; i < 64; ++i) gzwrite(out, zeros.data(), static_cast<unsigned>(zeros.size()));
    REQUIRE(gzclose(out) == Z_OK);
  }
  CHECK(std::filesystem::file_size(bomb) < 200000);
  CHECK_ERROR(data::DataError, data::read_idx(bomb, {.max_bytes = 16u << 20}), bomb,
              "declares 67108864 bytes of data (1024 x 256 x 256 ubyte)",
              "more than IdxReadOptions::max_bytes = 16777216", "raise it");
  // Within the limit it reads.
  CHECK(data::read_idx(bomb, {.dtype = f32, .max_bytes = 64u << 20}).shape() == Shape{1024, 256, 256});
  // The limit counts the file's bytes, not the tensor's: 64 MiB of ubyte is 64 MiB.
  CHECK_NOTHROW(data::read_idx(bomb, {.max_bytes = 64u << 20}));
  CHECK_THROWS_AS(data::read_idx(bomb, {.max_bytes = (64u << 20) - 1}), data::DataError);
}

TEST_CASE("read_idx stops at the end of a gzip stream cut short") {
  TempDir dir;
  const std::string full = dir.file("full.gz");
  data::write_idx(full, byte_pattern({64, 32, 32}), {.type = data::IdxType::ubyte});
  Bytes bytes = read_bytes(full);
  bytes.resize(bytes.size() / 2);
  write_bytes(dir.file("cut.gz"), bytes);
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("cut.gz")), "is truncated", "declares 65536 bytes of data",
              "the gzip stream ends early");
}

TEST_CASE("write_idx refuses values its type cannot hold") {
  TempDir dir;
  CHECK_ERROR(InvalidArgument, data::write_idx(dir.file("x"), tensor({1, 256}), {.type = data::IdxType::ubyte}),
              "element 1 of (2,) is 256", "ubyte's range 0..255");
  CHECK_ERROR(InvalidArgument, data::write_idx(dir.file("x"), tensor({0.5}), {.type = data::IdxType::int32}),
              "is 0.5, not an integer");
  CHECK_ERROR(InvalidArgument, data::write_idx(dir.file("x"), Tensor()), "undefined");
  CHECK_ERROR(data::DataError, data::write_idx(dir.file("no-dir/x"), tensor({1})), "cannot open",
              dir.file("no-dir/x"));
}

namespace {

// The four files of an MNIST-like data set in `dir`, with n train and n test
// examples, image i of each filled with i and labelled i % 10.
void write_mnist_like(const TempDir& dir, std::int64_t n, bool gzip) {
  const std::string gz = gzip ? ".gz" : "";
  for (const char* prefix : {"train", "t10k"}) {
    std::vector<double> pixels, labels;
    for (std::int64_t i = 0; i < n; ++i) {
      pixels.insert(pixels.end(), 784, static_cast<double>(i % 256));
      labels.push_back(static_cast<double>(i % 10));
    }
    data::write_idx(dir.file(std::string(prefix) + "-images-idx3-ubyte" + gz), from_vector(pixels, {n, 28, 28}),
                    {.type = data::IdxType::ubyte});
    data::write_idx(dir.file(std::string(prefix) + "-labels-idx1-ubyte" + gz), from_vector(labels, {n}),
                    {.type = data::IdxType::ubyte});
  }
}

}  // namespace

TEST_CASE("fashion_mnist and mnist load a directory: images scaled to [0, 1], int64 labels") {
  for (bool gzip : {true, false}) {
    CAPTURE(gzip);
    TempDir dir;
    write_mnist_like(dir, 12, gzip);
    const data::Dataset train = data::fashion_mnist("train", {.directory = dir.path.string()});
    CHECK(train.size() == 12);
    CHECK(train.features().shape() == Shape{12, 1, 28, 28});
    CHECK(train.features().dtype() == f32);
    CHECK(train.targets().dtype() == i64);
    CHECK(train.targets().to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1});
    const auto [x, y] = train.get(11);
    CHECK(x.to_vector<float>() == std::vector<float>(784, 11.0f / 255.0f));
    CHECK(y.item() == 1);
    const data::Dataset flat = data::mnist("test", {.directory = dir.path.string(), .flatten = true});
    CHECK(flat.features().shape() == Shape{12, 784});
  }
}

TEST_CASE("fashion_mnist looks in $FASHION_MNIST_DIR and $TAPEGRAD_DATA/fashion-mnist") {
  TempDir root;
  std::filesystem::create_directories(root.path / "fashion-mnist");
  TempDir direct;
  write_mnist_like(direct, 3, true);
  ::setenv("FASHION_MNIST_DIR", direct.path.c_str(), 1);
  CHECK(data::fashion_mnist("test").size() == 3);
  ::unsetenv("FASHION_MNIST_DIR");

  // $TAPEGRAD_DATA is a root with one directory per data set.
  for (const char* prefix : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::filesystem::copy_file(direct.path / prefix, root.path / "fashion-mnist" / prefix);
  }
  ::setenv("TAPEGRAD_DATA", root.path.c_str(), 1);
  CHECK(data::fashion_mnist("test").size() == 3);
  // MNIST looks in its own directory there, not in Fashion-MNIST's.
  CHECK_ERROR(data::DataError, data::mnist("test"), "$TAPEGRAD_DATA: " + root.file("mnist") + "/t10k-images-idx3-ubyte[.gz]",
              "$MNIST_DIR");
  ::unsetenv("TAPEGRAD_DATA");
}

TEST_CASE("fashion_mnist errors name the paths looked for and how to get the files") {
  TempDir dir;
  const std::string d = dir.path.string();
  CHECK_ERROR(data::DataError, data::fashion_mnist("train", {.directory = d}), "cannot find the \"train\" split",
              d + "/train-images-idx3-ubyte[.gz], " + d + "/train-labels-idx1-ubyte[.gz]",
              "Debian's package dataset-fashion-mnist provides them", "$FASHION_MNIST_DIR", "$TAPEGRAD_DATA",
              "{.directory = ...}");
  CHECK_ERROR(data::DataError, data::mnist("test", {.directory = d}), d + "/t10k-images-idx3-ubyte[.gz]",
              "Debian has no package of MNIST", "$MNIST_DIR");
  CHECK_ERROR(InvalidArgument, data::fashion_mnist("validation", {.directory = d}),
              "fashion_mnist: unknown split 'validation', expected \"train\" or \"test\"");

  // Only the labels are missing: only they are named.
  data::write_idx(dir.file("train-images-idx3-ubyte.gz"), zeros({2, 28, 28}), {.type = data::IdxType::ubyte});
  const std::string message =
      test::thrown<data::DataError>([&] { data::fashion_mnist("train", {.directory = d}); });
  test::check_contains(message, {d + "/train-labels-idx1-ubyte[.gz]"});
  CHECK_FALSE(test::contains(message, "train-images"));

  // Files that are not MNIST-shaped.
  data::write_idx(dir.file("train-labels-idx1-ubyte.gz"), tensor({1, 2, 3}), {.type = data::IdxType::ubyte});
  CHECK_ERROR(data::DataError, data::fashion_mnist("train", {.directory = d}), "holds 3 labels for the 2 images");
  data::write_idx(dir.file("train-labels-idx1-ubyte.gz"), tensor({1, 10}), {.type = data::IdxType::ubyte});
  CHECK_ERROR(data::DataError, data::fashion_mnist("train", {.directory = d}), "has label 10 at index 1, expected 0..9");
  data::write_idx(dir.file("train-images-idx3-ubyte.gz"), zeros({2, 27, 28}), {.type = data::IdxType::ubyte});
  CHECK_ERROR(data::DataError, data::fashion_mnist("train", {.directory = d}), "holds (2, 27, 28)",
              "expected images (N, 28, 28)");
}

TEST_CASE("the real Fashion-MNIST, when it is installed (dataset-fashion-mnist)") {
  const bool installed =
      std::filesystem::exists(std::string(data::kDebianFashionMnistDir) + "/t10k-images-idx3-ubyte.gz") &&
      std::getenv("FASHION_MNIST_DIR") == nullptr && std::getenv("TAPEGRAD_DATA") == nullptr;
  if (!installed) {
    MESSAGE("skipped: Fashion-MNIST is not installed in " << data::kDebianFashionMnistDir
                                                          << " (apt-get install dataset-fashion-mnist)");
    return;
  }
  for (const char* split : {"train", "test"}) {
    CAPTURE(split);
    const data::Dataset ds = data::fashion_mnist(split);
    const std::int64_t n = std::string(split) == "train" ? 60000 : 10000;
    CHECK(ds.features().shape() == Shape{n, 1, 28, 28});
    const std::vector<float> pixels = ds.features().to_vector<float>();
    CHECK(*std::min_element(pixels.begin(), pixels.end()) == 0.0f);
    CHECK(*std::max_element(pixels.begin(), pixels.end()) == 1.0f);
    // Balanced classes: n / 10 of each.
    std::vector<std::int64_t> counts(10, 0);
    for (std::int64_t label : ds.targets().to_vector<std::int64_t>()) ++counts[static_cast<std::size_t>(label)];
    CHECK(counts == std::vector<std::int64_t>(10, n / 10));
  }
}

TEST_CASE("read_idx counts bytes after the data only up to 1 MiB") {
  TempDir dir;
  const std::string path = dir.file("tail.gz");
  gzFile out = gzopen(path.c_str(), "wb1");
  REQUIRE(out != nullptr);
  const Bytes head = header(0x08, {2}) + Bytes{1, 2};
  gzwrite(out, head.data(), static_cast<unsigned>(head.size()));
  const Bytes zeros(1 << 20, 0);
  for (int i = 0; i < 8; ++i) gzwrite(out, zeros.data(), static_cast<unsigned>(zeros.size()));
  REQUIRE(gzclose(out) == Z_OK);
  CHECK_ERROR(data::DataError, data::read_idx(path), "has more than 1048576 bytes after the 2 bytes of data");
  write_bytes(dir.file("tail3"), header(0x08, {2}) + Bytes{1, 2, 3, 4, 5});
  CHECK_ERROR(data::DataError, data::read_idx(dir.file("tail3")), "has 3 bytes after the 2 bytes of data");
}
