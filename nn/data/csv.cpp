// read_csv: the file in memory, parsed line by line in place, every cell
// parsed with std::from_chars (locale-independent).
#include "tapegrad/nn/data/csv.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "tapegrad/autodiff/creation.hpp"
#include "tapegrad/autodiff/grad_mode.hpp"
#include "file_support.hpp"

namespace tg::data {

namespace {

struct Line {
  std::string_view text;
  std::int64_t number;  // from 1
};

std::string read_file(const std::string& path) {
  detail::check_readable_file(path, "read_csv");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("read_csv: cannot open '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw DataError("read_csv: cannot read '" + path + "'");
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte order mark
  return text;
}

bool is_space(char c, char delimiter) { return c != delimiter && (c == ' ' || c == '\t' || c == '\r'); }

std::string_view trim(std::string_view s, char delimiter) {
  while (!s.empty() && is_space(s.front(), delimiter)) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back(), delimiter)) s.remove_suffix(1);
  return s;
}

// The non-blank lines of the text one after another, numbered as in the
// file; nothing is stored per line (Note [Memory of read_csv]).
class LineCursor {
 public:
  LineCursor(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}
  // The next non-blank line into `line`; false at the end.
  bool next(Line& line) {
    while (pos_ <= text_.size()) {
      std::size_t end = text_.find('\n', pos_);
      if (end == std::string_view::npos) end = text_.size();
      ++number_;
      std::string_view text = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (!trim(text, delimiter_).empty()) {
        line = {text, number_};
        return true;
      }
    }
    return false;
  }

 private:
  std::string_view text_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::int64_t number_ = 0;
};

// The cells of a line, unquoted and trimmed, into `cells` (reused from row
// to row).
void cells_of(const Line& line, char delimiter, const std::string& path, std::vector<std::string>& cells) {
  cells.clear();
  std::string cell;
  std::string_view s = line.text;
  std::size_t i = 0;
  while (true) {
    while (i < s.size() && is_space(s[i], delimiter)) ++i;
    cell.clear();
    if (i < s.size() && s[i] == '"') {
      const std::size_t open = i++;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cell += s[i++];
      }
      if (!closed) {
        throw DataError("read_csv: '" + path + "' line " + std::to_string(line.number) +
                        ": unterminated quote opened at character " + std::to_string(open + 1) +
                        " (a cell cannot span lines)");
      }
      while (i < s.size() && is_space(s[i], delimiter)) ++i;
      if (i < s.size() && s[i] != delimiter) {
        throw DataError("read_csv: '" + path + "' line " + std::to_string(line.number) + ": unexpected '" +
                        std::string(1, s[i]) + "' after the quoted cell at character " + std::to_string(open + 1));
      }
    } else {
      const std::size_t end = std::min(s.find(delimiter, i), s.size());
      cell = trim(s.substr(i, end - i), delimiter);
      i = end;
    }
    cells.push_back(cell);
    if (i >= s.size()) break;
    ++i;  // the delimiter
  }
}

bool parse_number(std::string_view cell, double& value) {
  if (cell.size() > 1 && cell.front() == '+' && cell[1] != '-' && cell[1] != '+') cell.remove_prefix(1);
  if (cell.empty()) return false;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  // out of range: from_chars leaves value alone; strtod's ±inf or 0 is what a user expects.
  if (ec == std::errc::result_out_of_range && end == cell.data() + cell.size()) {
    value = std::strtod(std::string(cell).c_str(), nullptr);
    return true;
  }
  return ec == std::errc() && end == cell.data() + cell.size();
}

std::string column_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t c = 0; c < names.size(); ++c) out += (c == 0 ? "'" : ", '") + names[c] + "'";
  return out;
}

// The index of the label column, or -1 for none.
int label_index(const CsvOptions& options, const std::vector<std::string>& names, const std::string& path) {
  const int n = static_cast<int>(names.size());
  if (const auto* index = std::get_if<int>(&options.label_column)) {
    if (*index < -n || *index >= n) {
      throw InvalidArgument("read_csv: label column index " + std::to_string(*index) + " is outside the " +
                            std::to_string(n) + " columns of '" + path + "' (0.." + std::to_string(n - 1) +
                            ", or -1 for the last)");
    }
    return *index < 0 ? *index + n : *index;
  }
  if (const auto* name = std::get_if<std::string>(&options.label_column)) {
    if (!options.header) {
      throw InvalidArgument("read_csv: label column '" + *name + "' is a name, but header = false for '" + path +
                            "': give its index instead");
    }
    int found = -1;
    for (int c = 0; c < n; ++c) {
      if (names[static_cast<std::size_t>(c)] != *name) continue;
      if (found >= 0) {
        throw InvalidArgument("read_csv: the header of '" + path + "' names two columns '" + *name + "' (" +
                              std::to_string(found + 1) + " and " + std::to_string(c + 1) + "); give an index");
      }
      found = c;
    }
    if (found < 0) {
      throw InvalidArgument("read_csv: no column named '" + *name + "' in the header of '" + path +
                            "'; its columns are " + column_list(names));
    }
    return found;
  }
  return -1;
}

}  // namespace

// Note [Memory of read_csv]: the file is read whole and parsed in place; the
// features go straight into their tensor, the labels into an int64 tensor
// (a float32 one from the first fraction on). Nothing is sized by a claim:
// the rows are counted in the text, and n rows of c numbers need at least
// n·(2c − 1) bytes (a digit per cell, a delimiter between), so a header wider
// than the file can hold is a ragged row, found and reported before the
// tensors exist. Peak memory: the file, plus 4 bytes per feature and 8 per
// label (100 MB of one-number rows: 300 MB).
CsvData read_csv(const std::string& path, const CsvOptions& options) {
  const char delim = options.delimiter;
  if (delim == '"' || delim == '\n' || delim == '\r') {
    throw InvalidArgument(std::string("read_csv: the delimiter cannot be a quote or a line end"));
  }
  const std::string text = read_file(path);
  LineCursor cursor(text, delim);
  Line first;
  if (!cursor.next(first)) throw DataError("read_csv: '" + path + "' is empty: no header and no data rows");

  std::vector<std::string> cells;
  cells_of(first, delim, path, cells);
  std::vector<std::string> names;
  if (options.header) {
    names = cells;
  } else {
    for (std::size_t c = 0; c < cells.size(); ++c) names.push_back("column " + std::to_string(c + 1));
  }
  std::int64_t n_rows = options.header ? 0 : 1;
  for (Line line; cursor.next(line);) ++n_rows;
  if (n_rows == 0) {
    throw DataError("read_csv: '" + path + "' has a header (line " + std::to_string(first.number) +
                    ") but no data rows");
  }
  const int label = label_index(options, names, path);
  const std::size_t n_columns = names.size();
  const std::string shape_source = "line " + std::to_string(first.number) + (options.header ? ", the header" : "");
  auto check_width = [&](const Line& line) {
    if (cells.size() != n_columns) {
      throw DataError("read_csv: '" + path + "' line " + std::to_string(line.number) + " has " +
                      std::to_string(cells.size()) + " cells, expected " + std::to_string(n_columns) + " (as on " +
                      shape_source + ")");
    }
  };

  // A file too small for n_rows full rows has a short one: find it first.
  const auto min_row_bytes = static_cast<std::uint64_t>(2 * n_columns - 1);
  std::uint64_t needed = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(n_rows), min_row_bytes, &needed) || needed > text.size()) {
    LineCursor rows(text, delim);
    Line line;
    if (options.header) rows.next(line);
    while (rows.next(line)) {
      cells_of(line, delim, path, cells);
      check_width(line);
    }
  }

  NoGrad no_grad;
  const auto n_features = static_cast<std::int64_t>(n_columns) - (label >= 0 ? 1 : 0);
  CsvData out;
  out.features = zeros(Shape{n_rows, n_features}, f32);
  float* features = out.features.mutable_data<float>();
  std::int64_t* int_labels = nullptr;
  float* float_labels = nullptr;
  if (label >= 0) {
    out.labels = zeros(Shape{n_rows}, i64);
    int_labels = out.labels.mutable_data<std::int64_t>();
  }
  LineCursor rows(text, delim);
  Line line;
  if (options.header) rows.next(line);
  for (std::int64_t r = 0; rows.next(line); ++r) {
    cells_of(line, delim, path, cells);
    check_width(line);
    for (std::size_t c = 0; c < n_columns; ++c) {
      double value = 0;
      if (!parse_number(cells[c], value)) {
        const std::string what = cells[c].empty() ? "the cell is empty" : "'" + cells[c] + "' is not a number";
        throw DataError("read_csv: '" + path + "' line " + std::to_string(line.number) + ", column " +
                        std::to_string(c + 1) + " ('" + names[c] + "'): " + what);
      }
      if (static_cast<int>(c) != label) {
        *features++ = static_cast<float>(value);
        continue;
      }
      const bool integral = std::isfinite(value) && value == std::trunc(value) && std::abs(value) < 9.0e18;
      if (int_labels != nullptr && !integral) {
        // The first fraction: every label becomes float32.
        Tensor floats = zeros(Shape{n_rows}, f32);
        float_labels = floats.mutable_data<float>();
        for (std::int64_t k = 0; k < r; ++k) float_labels[k] = static_cast<float>(int_labels[k]);
        out.labels = floats;
        int_labels = nullptr;
      }
      if (int_labels != nullptr) int_labels[r] = static_cast<std::int64_t>(value);
      else float_labels[r] = static_cast<float>(value);
    }
  }

  for (std::size_t c = 0; c < n_columns; ++c) {
    if (static_cast<int>(c) != label) out.feature_names.push_back(names[c]);
  }
  if (label >= 0) out.label_name = names[static_cast<std::size_t>(label)];
  return out;
}

}  // namespace tg::data
