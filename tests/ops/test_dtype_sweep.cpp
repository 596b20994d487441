// The dtype sweep: every row of the op table, on every dtype it claims,
// gives a result of the right dtype; given any other dtype it refuses with a
// DtypeError that names the op.
#include <algorithm>

#include "sweep.hpp"

using namespace tg;
using namespace tg::test;

namespace {

bool claims(const OpInfo& row, Dtype dtype) {
  return std::find(row.dtypes.begin(), row.dtypes.end(), dtype) != row.dtypes.end();
}

// A claimed dtype's sample moved to `dtype`: the inputs of the claimed dtype
// converted (indices and masks of another dtype stay), and the dtype asked for.
Sample converted(const Sample& s, Dtype from, Dtype dtype) {
  Sample out = s;
  for (Tensor& x : out.inputs)
    if (x.dtype() == from) x = to_dtype(x, dtype);
  out.args.dtype = dtype;
  return out;
}

}  // namespace

TEST_CASE("dtype sweep: each claimed dtype gives the right result dtype, the others are refused naming the op") {
  int accepted = 0, refused = 0;
  for (const OpInfo& row : op_table()) {
    for (Dtype dtype : {f32, f64, i64}) {
      if (claims(row, dtype)) {
        for (const Sample& s : row.samples(dtype)) {
          INFO(describe(row, s, dtype));
          Tensor y;
          try {
            y = row.call(s.inputs, s.args);
          } catch (const std::exception& e) {
            FAIL_CHECK("unexpected exception: " << std::string(e.what()));
            continue;
          }
          REQUIRE(y.defined());
          CHECK(dtype_name(y.dtype()) == std::string(dtype_name(row.result_dtype ? row.result_dtype(dtype, s.args) : dtype)));
          ++accepted;
        }
      } else if (row.other_dtypes_possible) {
        const Dtype from = row.dtypes.front();
        for (const Sample& base : row.samples(from)) {
          const Sample s = converted(base, from, dtype);
          INFO(describe(row, s, dtype));
          CHECK_ERROR(DtypeError, row.call(s.inputs, s.args), row.error_name, dtype_name(dtype), "[at ", "ops/op_table_");
          ++refused;
        }
      }
    }
  }
  MESSAGE(accepted << " samples accepted, " << refused << " refused");
  CHECK(accepted > 300);
  CHECK(refused > 100);
}

TEST_CASE("dtype sweep: float32 and float64 inputs mixed in one call are refused, naming the op and both dtypes") {
  int refused = 0;
  for (const OpInfo& row : op_table()) {
    if (row.arity < 2 || row.mixes_dtypes || !claims(row, f32) || !claims(row, f64)) continue;
    for (const Sample& base : row.samples(f32)) {
      // The first differentiable input in float64 when another float32 input
      // stays (a mask, like where's condition, may have any dtype).
      Sample s = base;
      const std::vector<std::size_t> at = differentiable_positions(row);
      if (at.size() < 2) continue;
      s.inputs[at[0]] = to_dtype(s.inputs[at[0]], f64);
      INFO(describe(row, s, f32) << ", input " << at[0] << " in float64");
      CHECK_ERROR(DtypeError, row.call(s.inputs, s.args), row.error_name, "float32", "float64", "[at ", "ops/op_table_");
      ++refused;
    }
  }
  MESSAGE(refused << " mixed samples refused");
  CHECK(refused > 50);
}
