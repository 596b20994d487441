// The safetensors header, read with nlohmann's SAX parser into a compact
// list of entries (a DOM of a hostile 100 MB header would take gigabytes),
// and written with its ordered_json.
#include "safetensors_format.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "half_float.hpp"
#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn::safetensors {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps here");

namespace {

using Json = nlohmann::json;

// Builds the header's entries as the parser reports each token, rejecting
// anything outside the schema at once, so nothing nests deeper than
// {name: {field: [numbers]}}.
class HeaderReader {
 public:
  HeaderReader(std::uint64_t data_size, std::string where) : data_size_(data_size), where_(std::move(where)) {}

  Header take() { return std::move(header_); }

  bool null() {
    if (state_ == State::root_value && key_ == "__metadata__") {  // as serde reads an absent Option
      state_ = State::root;
      return true;
    }
    return scalar("null");
  }
  bool boolean(bool value) { return scalar(value ? "true" : "false"); }
  bool number_integer(Json::number_integer_t value) { return scalar(std::to_string(value)); }
  bool number_float(Json::number_float_t, const Json::string_t& text) { return scalar(text); }
  bool binary(Json::binary_t&) { return scalar("binary data"); }

  bool number_unsigned(Json::number_unsigned_t value) {
    if (state_ == State::shape) {
      Entry& e = header_.entries.back();
      if (e.shape.rank() == kMaxRank) fail("the shape of '" + e.name + "' has more than " + std::to_string(kMaxRank) + " axes, the most tapegrad supports");
      if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) fail("the shape of '" + e.name + "' has an extent too large: " + std::to_string(value));
      e.shape.push_back(static_cast<std::int64_t>(value));
      return true;
    }
    if (state_ == State::offsets) {
      Entry& e = header_.entries.back();
      if (offset_count_ == 2) fail("the data_offsets of '" + e.name + "' must be two numbers [begin, end], got more");
      (offset_count_++ == 0 ? e.begin : e.end) = value;
      return true;
    }
    return scalar(std::to_string(value));
  }

  bool string(Json::string_t& value) {
    if (state_ == State::metadata_value) {
      header_.metadata.emplace(key_, value);
      state_ = State::metadata;
      return true;
    }
    if (state_ == State::field && field_ == Field::dtype) {
      Entry& e = header_.entries.back();
      if (value == "F32") e.dtype = Dtype::f32;
      else if (value == "F64") e.dtype = Dtype::f64;
      else if (value == "I64") e.dtype = Dtype::i64;
      else if (value == "F16") e.stored = Entry::Stored::f16;  // e.dtype stays f32
      else if (value == "BF16") e.stored = Entry::Stored::bf16;
      else fail("'" + e.name + "' has dtype '" + value + "', which tapegrad does not read (it reads F32, F64, I64, F16 and BF16)");
      state_ = State::tensor;
      return true;
    }
    return scalar("a string");
  }

  bool start_object(std::size_t) {
    if (state_ == State::top) {
      state_ = State::root;
    } else if (state_ == State::root_value && key_ == "__metadata__") {
      state_ = State::metadata;
    } else if (state_ == State::root_value) {
      header_.entries.emplace_back().name = key_;
      seen_fields_ = 0;
      state_ = State::tensor;
    } else {
      return scalar("an object");
    }
    return true;
  }

  bool key(Json::string_t& key) {
    if (state_ == State::root) {
      if (key == "__metadata__" && seen_metadata_) fail("'__metadata__' appears twice");
      seen_metadata_ = seen_metadata_ || key == "__metadata__";
      key_ = key;
      state_ = State::root_value;
    } else if (state_ == State::metadata) {
      if (header_.metadata.count(key)) fail("the metadata key '" + key + "' appears twice");
      key_ = key;
      state_ = State::metadata_value;
    } else {  // State::tensor: the parser only reports keys inside objects
      const Entry& e = header_.entries.back();
      if (key == "dtype") field_ = Field::dtype;
      else if (key == "shape") field_ = Field::shape;
      else if (key == "data_offsets") field_ = Field::offsets;
      else fail("'" + e.name + "' has an unknown field '" + key + "' (expected dtype, shape and data_offsets)");
      const unsigned bit = 1u << static_cast<unsigned>(field_);
      if (seen_fields_ & bit) fail("'" + e.name + "' has the field '" + key + "' twice");
      seen_fields_ |= bit;
      state_ = State::field;
    }
    return true;
  }

  bool end_object() {
    if (state_ == State::root) state_ = State::done;
    else if (state_ == State::metadata) state_ = State::root;
    else check_entry();  // State::tensor
    return true;
  }

  bool start_array(std::size_t) {
    if (state_ == State::field && field_ == Field::shape) {
      state_ = State::shape;
    } else if (state_ == State::field && field_ == Field::offsets) {
      offset_count_ = 0;
      state_ = State::offsets;
    } else {
      return scalar("an array");
    }
    return true;
  }

  bool end_array() {
    if (state_ == State::offsets && offset_count_ != 2) {
      fail("the data_offsets of '" + header_.entries.back().name + "' must be two numbers [begin, end], got " +
           std::to_string(offset_count_));
    }
    state_ = State::tensor;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const Json::exception& error) {
    std::string what = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag.
    if (const auto close = what.find("] "); what.starts_with("[json.") && close != std::string::npos) what.erase(0, close + 2);
    fail("the header is not valid JSON: " + what);
  }

 private:
  enum class State { top, root, root_value, metadata, metadata_value, tensor, field, shape, offsets, done };
  enum class Field : unsigned { dtype, shape, offsets };

  [[noreturn]] void fail(const std::string& problem) const { throw CheckpointError(where_ + problem); }

  // A value where the schema has no place for it: says what was expected there.
  [[noreturn]] bool scalar(const std::string& got) const {
    const std::string name = header_.entries.empty() ? "" : header_.entries.back().name;
    switch (state_) {
      case State::top: fail("the header must be a JSON object, got " + got);
      case State::root_value:
        if (key_ == "__metadata__") fail("'__metadata__' must be an object of strings, got " + got);
        fail("'" + key_ + "' must be an object {dtype, shape, data_offsets}, got " + got);
      case State::metadata_value: fail("the metadata value of '" + key_ + "' must be a string, got " + got);
      case State::field:
        if (field_ == Field::dtype) fail("the dtype of '" + name + "' must be a string, got " + got);
        if (field_ == Field::shape) fail("the shape of '" + name + "' must be an array of extents, got " + got);
        fail("the data_offsets of '" + name + "' must be [begin, end], got " + got);
      case State::shape: fail("the shape of '" + name + "' must hold non-negative integers, got " + got);
      case State::offsets: fail("the data_offsets of '" + name + "' must be non-negative integers, got " + got);
      default: fail("unexpected " + got + " in the header");
    }
  }

  // The entry just closed: all three fields, a byte size that fits, offsets
  // inside the data section that match dtype × shape.
  void check_entry() {
    const Entry& e = header_.entries.back();
    for (auto [field, label] : {std::pair{Field::dtype, "dtype"}, {Field::shape, "shape"}, {Field::offsets, "data_offsets"}}) {
      if (!(seen_fields_ & (1u << static_cast<unsigned>(field)))) fail("'" + e.name + "' has no " + label);
    }
    // Every extent but zeros multiplied, so numel() cannot overflow even for an empty tensor.
    std::uint64_t bytes = stored_size(e);
    for (std::int64_t extent : e.shape) {
      const auto n = static_cast<std::uint64_t>(extent);
      if (n != 0 && bytes > std::numeric_limits<std::int64_t>::max() / n) fail("the shape " + e.shape.str() + " of '" + e.name + "' is too large");
      if (n != 0) bytes *= n;
    }
    if (e.shape.numel() == 0) bytes = 0;
    if (e.begin > e.end) fail("the data_offsets of '" + e.name + "' begin after they end: [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]");
    if (e.end > data_size_) {
      fail("'" + e.name + "' ends at byte " + std::to_string(e.end) + " of the data section, which has only " +
           std::to_string(data_size_) + " bytes (truncated file?)");
    }
    if (e.end - e.begin != bytes) {
      fail("'" + e.name + "' is " + stored_code(e) + " " + e.shape.str() + ", " + std::to_string(bytes) +
           " bytes, but its data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] hold " +
           std::to_string(e.end - e.begin));
    }
    state_ = State::root;
  }

  std::uint64_t data_size_;
  std::string where_;
  Header header_;
  State state_ = State::top;
  std::string key_;  // the last key of the root or metadata object
  Field field_ = Field::dtype;
  unsigned seen_fields_ = 0;
  int offset_count_ = 0;
  bool seen_metadata_ = false;
};

}  // namespace

const char* dtype_code(Dtype dtype) {
  switch (dtype) {
    case Dtype::f32: return "F32";
    case Dtype::f64: return "F64";
    case Dtype::i64: return "I64";
  }
  return "?";
}

const char* stored_code(const Entry& entry) {
  switch (entry.stored) {
    case Entry::Stored::as_dtype: break;
    case Entry::Stored::f16: return "F16";
    case Entry::Stored::bf16: return "BF16";
  }
  return dtype_code(entry.dtype);
}

std::uint64_t stored_size(const Entry& entry) {
  return entry.stored == Entry::Stored::as_dtype ? dtype_size(entry.dtype) : 2;
}

Header parse_header(std::string_view json, std::uint64_t data_size, const std::string& source) {
  const std::string where = "checkpoint '" + source + "': ";
  HeaderReader reader(data_size, where);
  Json::sax_parse(json.begin(), json.end(), &reader);
  Header header = reader.take();
  auto& entries = header.entries;

  std::vector<const Entry*> by_name(entries.size());
  std::transform(entries.begin(), entries.end(), by_name.begin(), [](const Entry& e) { return &e; });
  std::sort(by_name.begin(), by_name.end(), [](const Entry* a, const Entry* b) { return a->name < b->name; });
  for (std::size_t i = 1; i < by_name.size(); ++i) {
    if (by_name[i]->name == by_name[i - 1]->name) throw CheckpointError(where + "the tensor '" + by_name[i]->name + "' appears twice");
  }

  // Back to back: each tensor starts where the one before ends, the first at
  // 0, the last at the end of the data section (empty tensors sort first).
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::pair(a.begin, a.end) < std::pair(b.begin, b.end); });
  std::uint64_t at = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    if (e.begin < at) {
      throw CheckpointError(where + "the bytes of '" + previous->name + "' and '" + e.name + "' overlap (at byte " +
                            std::to_string(e.begin) + " of the data section)");
    }
    if (e.begin > at) {
      throw CheckpointError(where + "bytes " + std::to_string(at) + " to " + std::to_string(e.begin) +
                            " of the data section belong to no tensor (before '" + e.name + "')");
    }
    at = e.end;
    previous = &e;
  }
  if (at != data_size) {
    throw CheckpointError(where + "the last " + std::to_string(data_size - at) + " bytes of the data section (of " +
                          std::to_string(data_size) + ") belong to no tensor");
  }
  return header;
}

std::string encode_header(const std::vector<Entry>& entries, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  for (const Entry& e : entries) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = dtype_code(e.dtype);
    entry["shape"] = e.shape.to_vector();
    entry["data_offsets"] = {e.begin, e.end};
    header[e.name] = std::move(entry);
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::ordered_json::type_error& error) {
    throw InvalidArgument(std::string("save_tensors: a name or metadata string is not valid UTF-8 (") + error.what() + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

TensorFile decode(std::uint64_t file_size, const ReadAt& read_at, const std::string& source) {
  const std::string where = "checkpoint '" + source + "': ";
  if (file_size < 8) {
    throw CheckpointError(where + "truncated: " + std::to_string(file_size) +
                          " bytes, fewer than the 8 of the header length");
  }
  unsigned char prefix[8];
  read_at(0, 8, prefix);
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  if (length > kMaxHeaderBytes) {
    throw CheckpointError(where + "the header length " + std::to_string(length) + " exceeds the limit of " +
                          std::to_string(kMaxHeaderBytes) + " bytes (not a safetensors file, or corrupt)");
  }
  if (length > file_size - 8) {
    throw CheckpointError(where + "truncated: the header length says " + std::to_string(length) + " bytes, but only " +
                          std::to_string(file_size - 8) + " follow it");
  }
  std::string json(length, '\0');
  read_at(8, length, json.data());
  // nlohmann's lexer takes a NUL byte for the end of its input: the rest of
  // the header would be ignored without a word.
  if (const std::size_t nul = json.find('\0'); nul != std::string::npos) {
    throw CheckpointError(where + "the header holds a NUL byte at byte " + std::to_string(nul) + " of its " +
                          std::to_string(length) + " (JSON text cannot contain one)");
  }
  Header header = parse_header(json, file_size - 8 - length, source);

  TensorFile file;
  file.metadata = std::move(header.metadata);
  file.tensors.reserve(header.entries.size());
  for (Entry& e : header.entries) {
    Tensor t = zeros(e.shape, e.dtype);
    if (e.end > e.begin && e.stored != Entry::Stored::as_dtype) {
      std::vector<std::uint16_t> halves(static_cast<std::size_t>(t.numel()));
      read_at(8 + length + e.begin, e.end - e.begin, halves.data());
      float* values = t.mutable_data<float>();
      const bool f16 = e.stored == Entry::Stored::f16;
      for (std::size_t i = 0; i < halves.size(); ++i) values[i] = f16 ? float16_to_float(halves[i]) : bfloat16_to_float(halves[i]);
    } else if (e.end > e.begin) {
      void* values = dispatch_all(e.dtype, [&]<class T>() -> void* { return t.mutable_data<T>(); });
      read_at(8 + length + e.begin, e.end - e.begin, values);
    }
    file.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return file;
}

}  // namespace tg::nn::safetensors
