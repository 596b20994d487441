// read_csv: values, label columns by name and index, the label dtype, the
// lenient parts (quotes, spaces, CRLF, blank lines) and every error with its
// line and column.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support.hpp"

using namespace tg;
using tg::test::check_values;

namespace {

// A fresh directory, removed with everything in it at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    static int count = 0;
    path = std::filesystem::temp_directory_path() /
           ("tapegrad-test-csv-" + std::to_string(::getpid()) + "-" + std::to_string(count++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  // Writes `text` to a file in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

const std::string kIris =
    "sepal_length,sepal_width,species\n"
    "5.1,3.5,0\n"
    "7.0,3.2,1\n"
    "6.3,3.3,2\n";

}  // namespace

TEST_CASE("read_csv: a label column by name, index or none") {
  TempDir dir;
  const std::string path = dir.write("iris.csv", kIris);
  const data::CsvData csv = data::read_csv(path, {.label_column = "species"});
  CHECK(csv.features.dtype() == f32);
  CHECK(csv.features.shape() == Shape{3, 2});
  check_values(csv.features, {5.1, 3.5, 7.0, 3.2, 6.3, 3.3});
  CHECK(csv.labels.dtype() == i64);
  CHECK(csv.labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2});
  CHECK(csv.feature_names == std::vector<std::string>{"sepal_length", "sepal_width"});
  CHECK(csv.label_name == "species");

  // By index, counting from 0, negative from the end.
  const data::CsvData first = data::read_csv(path, {.label_column = 0});
  CHECK(first.label_name == "sepal_length");
  CHECK(first.labels.dtype() == f32);  // 5.1 is not an integer
  check_values(first.labels, {5.1, 7.0, 6.3});
  check_values(first.features, {3.5, 0, 3.2, 1, 3.3, 2});
  CHECK(data::read_csv(path, {.label_column = -1}).label_name == "species");

  // No label column: every column is a feature.
  const data::CsvData all = data::read_csv(path);
  CHECK(all.features.shape() == Shape{3, 3});
  CHECK_FALSE(all.labels.defined());

  // Into a Dataset.
  const data::Dataset ds(csv.features, csv.labels);
  CHECK(ds.size() == 3);
  CHECK(ds.get(2).y.item() == 2);
}

TEST_CASE("read_csv: integral labels written as floats are int64; any fraction makes them float32") {
  TempDir dir;
  const data::CsvData ints = data::read_csv(dir.write("a.csv", "x,y\n1,2.0\n3,-4\n5,1e2\n"), {.label_column = "y"});
  CHECK(ints.labels.dtype() == i64);
  CHECK(ints.labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, -4, 100});
  const data::CsvData reals = data::read_csv(dir.write("b.csv", "x,y\n1,2\n3,0.5\n"), {.label_column = "y"});
  CHECK(reals.labels.dtype() == f32);
  check_values(reals.labels, {2, 0.5});
}

TEST_CASE("read_csv: no header, other delimiters, quotes, spaces, CRLF, blank lines, a byte order mark") {
  TempDir dir;
  const data::CsvData plain =
      data::read_csv(dir.write("plain.csv", "1,2,3\n4,5,6\n"), {.header = false, .label_column = 2});
  CHECK(plain.feature_names == std::vector<std::string>{"column 1", "column 2"});
  CHECK(plain.label_name == "column 3");
  CHECK(plain.labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 6});

  const std::string messy =
      "\xEF\xBB\xBF\"a\" ; \"b;c\" ; label\r\n"
      "\r\n"
      "  +1.5 ; \"-2e-1\" ; 7\r\n"
      "\n"
      "nan;inf;8\r\n"
      "   \n";
  const data::CsvData m = data::read_csv(dir.write("messy.csv", messy), {.delimiter = ';', .label_column = "label"});
  CHECK(m.feature_names == std::vector<std::string>{"a", "b;c"});
  CHECK(m.features.shape() == Shape{2, 2});
  const std::vector<float> v = m.features.to_vector<float>();
  CHECK(v[0] == 1.5f);
  CHECK(v[1] == -0.2f);
  CHECK(std::isnan(v[2]));
  CHECK(std::isinf(v[3]));
  CHECK(m.labels.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 8});

  const data::CsvData quoted = data::read_csv(dir.write("q.csv", "\"say \"\"x\"\"\",y\n1,2\n"));
  CHECK(quoted.feature_names[0] == "say \"x\"");
  const data::CsvData tabs = data::read_csv(dir.write("t.tsv", "a\tb\n1\t2\n"), {.delimiter = '\t'});
  check_values(tabs.features, {1, 2});
}

TEST_CASE("read_csv errors: a cell that is not a number names its line and column") {
  TempDir dir;
  const std::string path = dir.write("bad.csv", "a,b,c\n1,2,3\n\n4,five,6\n");
  CHECK_ERROR(data::DataError, data::read_csv(path), path, "line 4, column 2 ('b'): 'five' is not a number");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("e.csv", "a,b\n1,\n")),
              "line 2, column 2 ('b'): the cell is empty");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("h.csv", "1,2\n3,x\n"), {.header = false}),
              "line 2, column 2 ('column 2'): 'x' is not a number");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("u.csv", "1,2\n3,4 5\n"), {.header = false}),
              "line 2, column 2", "'4 5' is not a number");
  // A header read as data is not a number either.
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("hd.csv", "x,y\n1,2\n"), {.header = false}),
              "line 1, column 1 ('column 1'): 'x' is not a number");
}

TEST_CASE("read_csv errors: ragged rows, quotes, label columns, empty and missing files") {
  TempDir dir;
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("r.csv", "a,b,c\n1,2,3\n4,5\n")),
              "line 3 has 2 cells, expected 3 (as on line 1, the header)");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("r2.csv", "1,2\n3,4,5\n"), {.header = false}),
              "line 2 has 3 cells, expected 2 (as on line 1)");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("q.csv", "a,b\n1,\"2\n")),
              "line 2: unterminated quote opened at character 3");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("q2.csv", "a,b\n1,\"2\"x\n")),
              "line 2: unexpected 'x' after the quoted cell");

  const std::string iris = dir.write("iris.csv", kIris);
  CHECK_ERROR(InvalidArgument, data::read_csv(iris, {.label_column = "class"}),
              "no column named 'class'", "its columns are 'sepal_length', 'sepal_width', 'species'");
  CHECK_ERROR(InvalidArgument, data::read_csv(iris, {.label_column = 3}), "label column index 3 is outside the 3 columns");
  CHECK_ERROR(InvalidArgument, data::read_csv(iris, {.label_column = -4}), "index -4");
  CHECK_ERROR(InvalidArgument, data::read_csv(iris, {.header = false, .label_column = "species"}),
              "header = false", "give its index");
  CHECK_ERROR(InvalidArgument, data::read_csv(dir.write("dup.csv", "a,a\n1,2\n"), {.label_column = "a"}),
              "names two columns 'a' (1 and 2)");

  const std::string empty = dir.write("empty.csv", "");
  CHECK_ERROR(data::DataError, data::read_csv(empty), "'" + empty + "' is empty");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("blank.csv", "\n  \n\r\n")), "is empty");
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("head.csv", "a,b\n")), "has a header (line 1) but no data rows");
  const std::string missing = (dir.path / "missing.csv").string();
  CHECK_ERROR(data::DataError, data::read_csv(missing), "read_csv: no such file: '" + missing + "'");
}

// A 4 MiB file of 2^20 header columns and 2^20 one-cell rows made read_csv
// reserve 2^40 floats and throw a bare std::bad_alloc (issue 20): the widths
// are checked as the rows come, and storage grows with what was read.
TEST_CASE("read_csv: a wide header over short rows is a ragged-row error, not an allocation") {
  TempDir dir;
  std::string text;
  for (int c = 0; c < (1 << 20); ++c) text += c == 0 ? "a" : ",a";
  text += "\n";
  for (int r = 0; r < (1 << 20); ++r) text += "1\n";
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("wide.csv", text)),
              "line 2 has 1 cells, expected 1048576 (as on line 1, the header)");
  // Without a header the first row sets the width the same way.
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("wide2.csv", text.substr(0, text.size() - 4) + "1,2\n"),
                                              {.header = false}),
              "line 2 has 1 cells, expected 1048576 (as on line 1)");
  // A ragged row at the end of a long file is found there.
  std::string rows = "x,y\n";
  for (int r = 0; r < 10000; ++r) rows += "1,2\n";
  rows += "3\n";
  CHECK_ERROR(data::DataError, data::read_csv(dir.write("late.csv", rows)), "line 10002 has 1 cells, expected 2");
}

TEST_CASE("read_csv: many rows read back exactly, with and without a label column") {
  TempDir dir;
  std::string text = "f,label\n";
  for (int r = 0; r < 100000; ++r) text += std::to_string(r % 1000) + "," + std::to_string(r % 7) + "\n";
  const data::CsvData csv = data::read_csv(dir.write("many.csv", text), {.label_column = "label"});
  REQUIRE(csv.features.shape() == Shape{100000, 1});
  REQUIRE(csv.labels.dtype() == i64);
  const std::vector<float> f = csv.features.to_vector<float>();
  const std::vector<std::int64_t> y = csv.labels.to_vector<std::int64_t>();
  bool same = true;
  for (int r = 0; r < 100000; ++r) same = same && f[r] == static_cast<float>(r % 1000) && y[r] == r % 7;
  CHECK(same);
  // A fraction in the last row turns every label into float32.
  text += "1,0.5\n";
  const data::CsvData mixed = data::read_csv(dir.write("mixed.csv", text), {.label_column = -1});
  CHECK(mixed.labels.dtype() == f32);
  CHECK(mixed.labels.shape() == Shape{100001});
  CHECK(mixed.labels.to_vector<float>()[99999] == 99999 % 7);
  CHECK(mixed.labels.to_vector<float>()[100000] == 0.5f);
}
