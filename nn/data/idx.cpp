// IDX reading and writing through zlib's gz* calls, which read a plain file
// as it is and a gzip stream decompressed, whatever the file's name.
//
// Note [Lengths before reads]: a header is a claim, not a fact. The reader
// checks the magic number, the rank and the product of the extents before it
// reads a data byte, and reads the data into a buffer that grows with what
// actually arrives, so a header claiming 2^40 elements in a 100-byte file
// costs 100 bytes and ends in a "truncated" error, never in a huge
// allocation or a read past the end. A header may also tell the truth about
// a huge size in a small gzip file (1 MB inflating to 1 GiB): the declared
// size is held against IdxReadOptions::max_bytes before any data is read.
#include "tapegrad/nn/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <vector>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "file_support.hpp"

namespace tg::data {

const char* idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::automatic: return "automatic";
    case IdxType::ubyte: return "ubyte";
    case IdxType::sbyte: return "sbyte";
    case IdxType::int16: return "int16";
    case IdxType::int32: return "int32";
    case IdxType::float32: return "float32";
    case IdxType::float64: return "float64";
  }
  return "unknown";
}

namespace {

constexpr const char* kTypeCodes =
    "0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64";

std::optional<IdxType> type_of_code(std::uint8_t code) {
  switch (code) {
    case 0x08: return IdxType::ubyte;
    case 0x09: return IdxType::sbyte;
    case 0x0B: return IdxType::int16;
    case 0x0C: return IdxType::int32;
    case 0x0D: return IdxType::float32;
    case 0x0E: return IdxType::float64;
    default: return std::nullopt;
  }
}

std::size_t element_size(IdxType type) {
  switch (type) {
    case IdxType::ubyte:
    case IdxType::sbyte: return 1;
    case IdxType::int16: return 2;
    case IdxType::int32:
    case IdxType::float32: return 4;
    case IdxType::float64: return 8;
    case IdxType::automatic: break;
  }
  return 0;
}

bool is_integer(IdxType type) { return type != IdxType::float32 && type != IdxType::float64; }

std::string hex(std::uint64_t value, int digits) {
  std::ostringstream out;
  out << "0x" << std::uppercase << std::hex;
  out.fill('0');
  out.width(digits);
  out << value;
  return out.str();
}

// An open gz file, closed on every path out.
class GzFile {
 public:
  GzFile(const std::string& path, const char* mode) : file_(gzopen(path.c_str(), mode)) {}
  ~GzFile() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
  gzFile get() const { return file_; }
  // Closes now and reports whether everything written reached the file.
  bool close() {
    const int rc = gzclose(file_);
    file_ = nullptr;
    return rc == Z_OK;
  }

 private:
  gzFile file_;
};

// Up to `n` bytes into `dst`: fewer only at the end of the file (or of a gzip
// stream cut short, which sets `cut`). A corrupt gzip stream throws.
std::size_t read_some(gzFile file, unsigned char* dst, std::size_t n, const std::string& path, bool& cut) {
  std::size_t got = 0;
  while (got < n) {
    const auto ask = static_cast<unsigned>(std::min<std::size_t>(n - got, 1u << 30));
    const int rc = gzread(file, dst + got, ask);
    int err = Z_OK;
    const char* message = gzerror(file, &err);
    if (rc < 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
      if (err == Z_ERRNO) throw DataError("read_idx: cannot read '" + path + "': " + std::strerror(errno));
      throw DataError("read_idx: '" + path + "' is not a valid gzip stream (zlib: " + message + ")");
    }
    got += static_cast<std::size_t>(rc);
    if (err == Z_BUF_ERROR) cut = true;  // "unexpected end of file"
    if (static_cast<unsigned>(rc) < ask) break;
  }
  return got;
}

// Big-endian element `i` of `raw` as T.
template <class T>
T load_be(const unsigned char* raw, std::size_t i) {
  using Bits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
               std::conditional_t<sizeof(T) == 2, std::uint16_t,
               std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  const unsigned char* p = raw + i * sizeof(T);
  Bits bits = 0;
  for (std::size_t b = 0; b < sizeof(T); ++b) bits = static_cast<Bits>((bits << 8) | p[b]);
  return std::bit_cast<T>(bits);
}

template <class Src, class Dst>
void convert(const unsigned char* raw, std::size_t n, Dst* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Dst>(load_be<Src>(raw, i));
}

template <class Dst>
void convert_from(IdxType type, const unsigned char* raw, std::size_t n, Dst* out) {
  switch (type) {
    case IdxType::ubyte: convert<std::uint8_t>(raw, n, out); break;
    case IdxType::sbyte: convert<std::int8_t>(raw, n, out); break;
    case IdxType::int16: convert<std::int16_t>(raw, n, out); break;
    case IdxType::int32: convert<std::int32_t>(raw, n, out); break;
    case IdxType::float32: convert<float>(raw, n, out); break;
    case IdxType::float64: convert<double>(raw, n, out); break;
    case IdxType::automatic: break;
  }
}

Dtype default_dtype(IdxType type, int rank) {
  if (type == IdxType::float64) return f64;
  if (type == IdxType::float32) return f32;
  return rank == 1 ? i64 : f32;
}

}  // namespace

Tensor read_idx(const std::string& path, const IdxReadOptions& options) {
  detail::check_readable_file(path, "read_idx");
  GzFile file(path, "rb");
  if (file.get() == nullptr) throw DataError("read_idx: cannot open '" + path + "': " + std::strerror(errno));
  gzbuffer(file.get(), 1u << 17);
  bool cut = false;
  const auto cut_note = [&] { return cut ? std::string(" (the gzip stream ends early)") : std::string(); };

  // The magic number: 0, 0, type code, rank.
  unsigned char magic[4];
  const std::size_t got_magic = read_some(file.get(), magic, 4, path, cut);
  if (got_magic < 4) {
    throw DataError("read_idx: '" + path + "' is truncated: an IDX header needs 4 bytes of magic number, got " +
                    std::to_string(got_magic) + cut_note());
  }
  const std::uint32_t magic_value = (std::uint32_t{magic[0]} << 24) | (std::uint32_t{magic[1]} << 16) |
                                    (std::uint32_t{magic[2]} << 8) | magic[3];
  const std::optional<IdxType> type = type_of_code(magic[2]);
  const int rank = magic[3];
  if (magic[0] != 0 || magic[1] != 0 || !type) {
    throw DataError("read_idx: '" + path + "' is not an IDX file: wrong magic number " + hex(magic_value, 8) +
                    ", expected 0x0000TTRR: two zero bytes, a type code TT (" + kTypeCodes +
                    ") and the rank RR (MNIST images are 0x00000803, labels 0x00000801)");
  }
  if (rank > kMaxRank) {
    throw DataError("read_idx: '" + path + "': magic number " + hex(magic_value, 8) + " declares rank " +
                    std::to_string(rank) + ", more than tapegrad's largest rank " + std::to_string(kMaxRank));
  }
  const Dtype dtype = options.dtype.value_or(default_dtype(*type, rank));
  if (!is_integer(*type) && dtype == i64) {
    throw DtypeError("read_idx: '" + path + "' holds " + idx_type_name(*type) +
                     " elements, which cannot be read as int64; ask for float32 or float64");
  }

  // The extents, and what they add up to.
  unsigned char dims_raw[4 * kMaxRank];
  const auto dims_bytes = static_cast<std::size_t>(4 * rank);
  const std::size_t got_dims = read_some(file.get(), dims_raw, dims_bytes, path, cut);
  if (got_dims < dims_bytes) {
    throw DataError("read_idx: '" + path + "' is truncated: its header declares rank " + std::to_string(rank) +
                    ", i.e. " + std::to_string(dims_bytes) + " bytes of extents, got " + std::to_string(got_dims) +
                    cut_note());
  }
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank));
  std::uint64_t numel = 1;
  bool overflow = false;
  std::string extents;
  for (int a = 0; a < rank; ++a) {
    const std::uint32_t d = load_be<std::uint32_t>(dims_raw, static_cast<std::size_t>(a));
    dims[static_cast<std::size_t>(a)] = d;
    extents += (a == 0 ? "" : " x ") + std::to_string(d);
    overflow = overflow || __builtin_mul_overflow(numel, std::uint64_t{d}, &numel);
  }
  const std::size_t esize = element_size(*type);
  std::uint64_t data_bytes = 0;
  overflow = overflow || __builtin_mul_overflow(numel, std::uint64_t{esize}, &data_bytes) ||
             data_bytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (overflow) {
    throw DataError("read_idx: '" + path + "': the extents " + extents + " in its header multiply to more than " +
                    "2^63 bytes of " + idx_type_name(*type) + " elements; the header is corrupt");
  }

  const std::string declared = std::to_string(data_bytes) + " bytes of data (" +
                               (rank == 0 ? std::string("one") : extents) + " " + idx_type_name(*type) + ")";
  if (data_bytes > options.max_bytes) {
    throw DataError("read_idx: '" + path + "': its header declares " + declared +
                    ", more than IdxReadOptions::max_bytes = " + std::to_string(options.max_bytes) +
                    "; raise it to read a file this large");
  }

  // The data: grown as it arrives (Note [Lengths before reads]).
  std::vector<unsigned char> raw;
  raw.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(data_bytes, 1u << 24)));
  while (raw.size() < data_bytes) {
    const std::size_t old = raw.size();
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(data_bytes - old, 1u << 20));
    raw.resize(old + chunk);
    const std::size_t got = read_some(file.get(), raw.data() + old, chunk, path, cut);
    raw.resize(old + got);
    if (got < chunk) break;
  }
  if (raw.size() < data_bytes) {
    throw DataError("read_idx: '" + path + "' is truncated: its header declares " + declared + ", got " +
                    std::to_string(raw.size()) + cut_note());
  }
  // Bytes past the data are counted up to a point: a stream that goes on
  // inflating after its data is not read to its end.
  constexpr std::uint64_t kCountedExtra = 1u << 20;
  std::uint64_t extra = 0;
  unsigned char scratch[1 << 16];
  for (std::size_t got = 0; extra <= kCountedExtra && (got = read_some(file.get(), scratch, sizeof scratch, path, cut)) > 0;) {
    extra += got;
  }
  if (cut) {
    throw DataError("read_idx: '" + path + "' is truncated: the gzip stream ends early, after the " + declared);
  }
  if (extra > 0) {
    const std::string count = extra > kCountedExtra ? "more than " + std::to_string(kCountedExtra) : std::to_string(extra);
    throw DataError("read_idx: '" + path + "' has " + count + " bytes after the " + declared +
                    " its header declares; the header or the file is wrong");
  }

  NoGrad no_grad;
  Tensor out = zeros(Shape(dims), dtype);
  const auto n = static_cast<std::size_t>(numel);
  dispatch_all(dtype, [&]<class T>() { convert_from(*type, raw.data(), n, out.mutable_data<T>()); });
  return out;
}

namespace {

IdxType automatic_type(Dtype dtype) {
  if (dtype == f32) return IdxType::float32;
  if (dtype == f64) return IdxType::float64;
  return IdxType::int32;
}

// Integer types: the range an element must lie in.
std::pair<double, double> integer_range(IdxType type) {
  switch (type) {
    case IdxType::ubyte: return {0, 255};
    case IdxType::sbyte: return {-128, 127};
    case IdxType::int16: return {-32768, 32767};
    default: return {-2147483648.0, 2147483647.0};
  }
}

template <class T>
void store_be(T value, unsigned char* dst) {
  using Bits = std::conditional_t<sizeof(T) == 1, std::uint8_t,
               std::conditional_t<sizeof(T) == 2, std::uint16_t,
               std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>>;
  auto bits = std::bit_cast<Bits>(value);
  for (std::size_t b = sizeof(T); b-- > 0;) {
    dst[b] = static_cast<unsigned char>(bits & 0xFF);
    bits = static_cast<Bits>(bits >> 8);
  }
}

void encode(IdxType type, double v, unsigned char* dst) {
  switch (type) {
    case IdxType::ubyte: store_be(static_cast<std::uint8_t>(v), dst); break;
    case IdxType::sbyte: store_be(static_cast<std::int8_t>(v), dst); break;
    case IdxType::int16: store_be(static_cast<std::int16_t>(v), dst); break;
    case IdxType::int32: store_be(static_cast<std::int32_t>(v), dst); break;
    case IdxType::float32: store_be(static_cast<float>(v), dst); break;
    case IdxType::float64: store_be(v, dst); break;
    case IdxType::automatic: break;
  }
}

}  // namespace

void write_idx(const std::string& path, const Tensor& values, const IdxWriteOptions& options) {
  if (!values.defined()) throw InvalidArgument("write_idx: the tensor is undefined");
  const IdxType type = options.type == IdxType::automatic ? automatic_type(values.dtype()) : options.type;
  if (element_size(type) == 0) {
    throw InvalidArgument("write_idx: unknown element type code " + hex(static_cast<unsigned>(type), 2) +
                          ", expected one of " + kTypeCodes);
  }
  for (int a = 0; a < values.rank(); ++a) {
    if (values.shape()[a] > std::int64_t{0xFFFFFFFF}) {
      throw InvalidArgument("write_idx: extent " + std::to_string(values.shape()[a]) + " of " +
                            values.shape().str() + " does not fit IDX's 32-bit extents");
    }
  }
  // Through double: exact for every int64 an IDX integer type can hold.
  const std::vector<double> v = values.to_vector<double>();
  if (is_integer(type)) {
    const auto [lo, hi] = integer_range(type);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (!(v[i] >= lo && v[i] <= hi && v[i] == std::trunc(v[i]))) {
        std::ostringstream value;
        value << v[i];
        throw InvalidArgument("write_idx: element " + std::to_string(i) + " of " + values.shape().str() + " is " +
                              value.str() + ", not an integer in " + idx_type_name(type) + "'s range " +
                              std::to_string(static_cast<long long>(lo)) + ".." +
                              std::to_string(static_cast<long long>(hi)));
      }
    }
  }
  const std::size_t esize = element_size(type);
  std::vector<unsigned char> bytes(4 + 4 * static_cast<std::size_t>(values.rank()) + esize * v.size());
  bytes[2] = static_cast<unsigned char>(type);
  bytes[3] = static_cast<unsigned char>(values.rank());
  for (int a = 0; a < values.rank(); ++a) {
    store_be(static_cast<std::uint32_t>(values.shape()[a]), bytes.data() + 4 + 4 * a);
  }
  unsigned char* data = bytes.data() + 4 + 4 * values.rank();
  for (std::size_t i = 0; i < v.size(); ++i) encode(type, v[i], data + i * esize);

  const bool gzip = options.gzip.value_or(path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0);
  GzFile file(path, gzip ? "wb" : "wbT");  // T: transparent, no compression
  if (file.get() == nullptr) {
    throw DataError("write_idx: cannot open '" + path + "' for writing: " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto ask = static_cast<unsigned>(std::min<std::size_t>(bytes.size() - written, 1u << 30));
    const int rc = gzwrite(file.get(), bytes.data() + written, ask);
    if (rc <= 0) throw DataError("write_idx: cannot write '" + path + "'");
    written += static_cast<std::size_t>(rc);
  }
  if (!file.close()) throw DataError("write_idx: cannot finish writing '" + path + "'");
}

}  // namespace tg::data
