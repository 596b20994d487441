// read_csv on arbitrary text, with and without a header and a label column:
// a DataError or InvalidArgument, or a table whose shapes agree; any other
// exception or a sanitizer report is a finding.
#include <cstdint>
#include <cstdlib>

#include "scratch_file.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/nn/data/csv.hpp"

namespace {

void read_with(const std::string& path, const tg::data::CsvOptions& options) {
  tg::data::CsvData csv;
  try {
    csv = tg::data::read_csv(path, options);
  } catch (const tg::data::DataError&) {
    return;
  } catch (const tg::InvalidArgument&) {
    return;
  }
  const std::int64_t rows = csv.features.shape()[0];
  if (csv.features.rank() != 2 || static_cast<std::int64_t>(csv.feature_names.size()) != csv.features.shape()[1]) {
    std::abort();
  }
  if (csv.labels.defined() && (csv.labels.rank() != 1 || csv.labels.shape()[0] != rows)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static tg::fuzz::ScratchFile file(".csv");
  const std::string& path = file.hold(data, size);
  read_with(path, {});
  read_with(path, {.header = false, .label_column = -1});
  read_with(path, {.delimiter = ';', .label_column = std::string("label")});
  return 0;
}
