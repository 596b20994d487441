// read_csv: the file in memory, split into lines and cells, every cell
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

// The non-blank lines, numbered as in the file.
std::vector<Line> lines_of(std::string_view text, char delimiter) {
  std::vector<Line> lines;
  std::int64_t number = 0;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++number;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!trim(line, delimiter).empty()) lines.push_back({line, number});
    pos = end + 1;
  }
  return lines;
}

// The cells of a line, unquoted and trimmed.
std::vector<std::string> cells_of(const Line& line, char delimiter, const std::string& path) {
  std::vector<std::string> cells;
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
  return cells;
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

CsvData read_csv(const std::string& path, const CsvOptions& options) {
  const char delim = options.delimiter;
  if (delim == '"' || delim == '\n' || delim == '\r') {
    throw InvalidArgument(std::string("read_csv: the delimiter cannot be a quote or a line end"));
  }
  const std::string text = read_file(path);
  const std::vector<Line> lines = lines_of(text, delim);
  if (lines.empty()) throw DataError("read_csv: '" + path + "' is empty: no header and no data rows");

  std::size_t first_row = 0;
  std::vector<std::string> names;
  if (options.header) {
    names = cells_of(lines[0], delim, path);
    first_row = 1;
  } else {
    const std::size_t n = cells_of(lines[0], delim, path).size();
    for (std::size_t c = 0; c < n; ++c) names.push_back("column " + std::to_string(c + 1));
  }
  if (first_row >= lines.size()) {
    throw DataError("read_csv: '" + path + "' has a header (line " + std::to_string(lines[0].number) +
                    ") but no data rows");
  }
  const int label = label_index(options, names, path);
  const std::size_t n_columns = names.size();
  const std::string shape_source = "line " + std::to_string(lines[0].number) + (options.header ? ", the header" : "");

  const auto n_rows = static_cast<std::int64_t>(lines.size() - first_row);
  const auto n_features = static_cast<std::int64_t>(n_columns) - (label >= 0 ? 1 : 0);
  std::vector<float> features;
  features.reserve(static_cast<std::size_t>(n_rows * n_features));
  std::vector<double> labels;
  bool integral = true;
  for (std::size_t r = first_row; r < lines.size(); ++r) {
    const std::vector<std::string> cells = cells_of(lines[r], delim, path);
    if (cells.size() != n_columns) {
      throw DataError("read_csv: '" + path + "' line " + std::to_string(lines[r].number) + " has " +
                      std::to_string(cells.size()) + " cells, expected " + std::to_string(n_columns) + " (as on " +
                      shape_source + ")");
    }
    for (std::size_t c = 0; c < n_columns; ++c) {
      double value = 0;
      if (!parse_number(cells[c], value)) {
        const std::string what = cells[c].empty() ? "the cell is empty" : "'" + cells[c] + "' is not a number";
        throw DataError("read_csv: '" + path + "' line " + std::to_string(lines[r].number) + ", column " +
                        std::to_string(c + 1) + " ('" + names[c] + "'): " + what);
      }
      if (static_cast<int>(c) == label) {
        labels.push_back(value);
        integral = integral && std::isfinite(value) && value == std::trunc(value) && std::abs(value) < 9.0e18;
      } else {
        features.push_back(static_cast<float>(value));
      }
    }
  }

  NoGrad no_grad;
  CsvData out;
  out.features = from_vector(features, Shape{n_rows, n_features});
  for (std::size_t c = 0; c < n_columns; ++c) {
    if (static_cast<int>(c) != label) out.feature_names.push_back(names[c]);
  }
  if (label >= 0) {
    out.label_name = names[static_cast<std::size_t>(label)];
    if (integral) {
      std::vector<std::int64_t> ints(labels.begin(), labels.end());
      out.labels = from_vector(ints, Shape{n_rows});
    } else {
      out.labels = from_vector(std::vector<float>(labels.begin(), labels.end()), Shape{n_rows});
    }
  }
  return out;
}

}  // namespace tg::data
