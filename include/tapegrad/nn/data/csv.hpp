// CSV files of numbers: features and an optional label column.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "../../autodiff/tensor.hpp"
#include "errors.hpp"

namespace tg::data {

/// Options of read_csv: `read_csv("iris.csv", {.label_column = "species"})`.
struct CsvOptions {
  /// The first line names the columns.
  bool header = true;
  char delimiter = ',';
  /// The column of the labels: none (every column is a feature), a name
  /// from the header, or an index (0 is the first column, −1 the last).
  std::variant<std::monostate, std::string, int> label_column = {};
};

/// What read_csv returns. `data::Dataset ds(csv.features, csv.labels);`
struct CsvData {
  Tensor features;  ///< float32 (N, F): every column but the label column, in file order
  Tensor labels;    ///< (N,): int64 when every label is an integer, else float32; undefined without a label column
  std::vector<std::string> feature_names;  ///< F names from the header ("column 1", ... without one)
  std::string label_name;
};

/// Reads a CSV file of numbers. Cells are separated by `delimiter` and may be
/// quoted ("1.5", with "" for a quote); spaces around a cell are ignored;
/// blank lines are skipped; CRLF line ends are accepted. A cell is a decimal
/// or scientific number ("-1.5e3", an optional '+', "nan", "inf"), read the
/// same whatever the locale, and nothing else. Lines and columns in messages
/// count from 1. Throws DataError naming the path for: a missing file, an
/// empty file or one with no data row, a cell that is not a number (its
/// line, its column number and name, the cell), a row with another number of
/// cells than the first (line and both counts), an unterminated quote; InvalidArgument
/// for a label column the header does not name (the names it has) or an
/// index outside the columns.
CsvData read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace tg::data
