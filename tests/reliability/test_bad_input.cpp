// Bad input everywhere: every public op and layer, fed what a user gets
// wrong, either works (empty tensors, zero-size batches, NaN and ±inf like
// PyTorch) or throws a clear exception; never a crash, a hang or garbage.
//
// What must be covered: the ops of the op table (tests/ops/op_table.hpp),
// and the functions and layers of the headers outside it, read at run time
// (public_api.hpp has the convention), so an op or a layer added without a
// case fails "every public op and layer has a bad-input case". The table
// also drives a sweep of its own here: an undefined tensor in each input.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "../ops/op_table.hpp"
#include "bad_input.hpp"
#include "public_api.hpp"

using namespace tg;
using namespace tg::test;

namespace {

std::set<std::string> names_of(const std::vector<BadInputCase>& cases) {
  std::set<std::string> names;
  for (const BadInputCase& c : cases) names.insert(c.name);
  return names;
}

std::set<std::string> keys_of(const std::map<std::string, std::string>& m) {
  std::set<std::string> keys;
  for (const auto& [key, reason] : m) keys.insert(key);
  return keys;
}

// The op table's ops, and the functions of the headers outside it.
std::set<std::string> declared_ops() {
  std::set<std::string> names;
  for (const std::string& name : op_names()) names.insert(name);
  for (const std::string& header : op_headers()) names.merge(declared_functions(read_source(header)));
  return names;
}

std::set<std::string> declared_layers() {
  std::map<std::string, std::string> bases;
  for (const std::string& header : layer_headers()) bases.merge(declared_bases(read_source(header)));
  return derived_from(bases, "Module");
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Runs every case; each must finish well within a second (ASan included):
// a size that would allocate or loop for ever has to throw instead.
void run_all(const std::vector<BadInputCase>& cases) {
  for (const BadInputCase& c : cases) {
    INFO("case: " << c.name);
    const auto start = std::chrono::steady_clock::now();
    try {
      c.run();
    } catch (const std::exception& e) {
      FAIL_CHECK("unexpected exception: " << e.what());
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    CHECK(took.count() < 5.0);
  }
}

}  // namespace

TEST_CASE("the extraction finds declared functions, operators and Module subclasses") {
  const std::string header = R"(// A comment mentioning relu(x) at column 0.
#pragma once
namespace tg {
struct Axes : std::vector<int> {
  Axes(int axis) : std::vector<int>{axis} {}
};
Tensor relu(const Tensor& x, Site site = Site::current());
Tensor softplus(const Tensor& x, double beta = 1.0,
                Site site = Site::current());
std::vector<Tensor> grad(const std::vector<Tensor>& outputs);
inline Tensor xavier_normal_(Tensor t, Generator& gen) {
  return glorot_normal_(t, gen);
}
Generator& default_generator();
Tensor operator-(At a, double b);
Tensor cooperator(const Tensor& x);
class Linear : public Module {
 public:
  Tensor forward(const Tensor& x) override;
};
class BatchNorm : public Module {};
class BatchNorm1d : public BatchNorm {};
struct ReLU : Lambda { ReLU(); };
class Lambda : public Module {};
class Unrelated : public std::runtime_error {};
}  // namespace tg
)";
  CHECK(declared_functions(header) == std::set<std::string>{"relu", "softplus", "grad", "xavier_normal_",
                                                             "default_generator", "operator-", "cooperator"});
  CHECK(derived_from(declared_bases(header), "Module") ==
        std::set<std::string>{"Linear", "BatchNorm", "BatchNorm1d", "ReLU", "Lambda"});

  // A declared name with neither a case nor an exemption is missing; an entry for
  // a name the code does not declare is stale. Either fails the coverage test.
  const Coverage c = compare({"relu", "softplus", "default_generator"}, {"relu", "gone"}, {"default_generator", "old"});
  CHECK(c.missing == std::vector<std::string>{"softplus"});
  CHECK(c.stale == std::vector<std::string>{"gone", "old"});
  CHECK(compare({"relu"}, {"relu"}, {}).missing.empty());
}

TEST_CASE("the op table and the headers yield the ops and layers we know are there") {
  const std::set<std::string> ops = declared_ops(), layers = declared_layers();
  for (const char* op : {"relu", "matmul", "operator+", "conv2d", "zeros", "hvp", "cross_entropy", "he_normal_",
                         "activation"})
    CHECK_MESSAGE(ops.contains(op), op);
  for (const char* layer : {"Linear", "LSTM", "BatchNorm2d", "ReLU", "Sequential", "Residual", "Perceptron"})
    CHECK_MESSAGE(layers.contains(layer), layer);
  MESSAGE(ops.size() << " ops and functions, " << layers.size() << " layers declared");
}

TEST_CASE("every public op and layer has a bad-input case") {
  const std::vector<BadInputCase> ops = op_cases(), layers = layer_cases();
  const Coverage op_coverage = compare(declared_ops(), names_of(ops), keys_of(op_exemptions()));
  const Coverage layer_coverage = compare(declared_layers(), names_of(layers), keys_of(layer_exemptions()));
  MESSAGE(names_of(ops).size() << " ops in " << ops.size() << " cases, " << names_of(layers).size() << " layers in "
                               << layers.size() << " cases");
  INFO("ops without a case: " << joined(op_coverage.missing));
  INFO("layers without a case: " << joined(layer_coverage.missing));
  INFO("stale op entries: " << joined(op_coverage.stale));
  INFO("stale layer entries: " << joined(layer_coverage.stale));
  CHECK(op_coverage.missing.empty());
  CHECK(layer_coverage.missing.empty());
  CHECK(op_coverage.stale.empty());
  CHECK(layer_coverage.stale.empty());
}

TEST_CASE("ops: bad input throws clearly, edge values give the right result") { run_all(op_cases()); }

TEST_CASE("layers: bad input throws clearly, edge values give the right result") { run_all(layer_cases()); }

TEST_CASE("op table: an undefined tensor in any input is refused with an error naming the op") {
  int checked = 0;
  for (const OpInfo& row : op_table()) {
    if (row.arity == 0) continue;
    const Sample s = row.samples(row.dtypes.front()).front();
    for (int i = 0; i < row.arity; ++i) {
      if (std::find(row.optional_inputs.begin(), row.optional_inputs.end(), i) != row.optional_inputs.end()) continue;
      INFO(row.id() << ", sample \"" << s.label << "\", input " << i << " undefined");
      std::vector<Tensor> inputs = s.inputs;
      inputs[static_cast<std::size_t>(i)] = Tensor();
      CHECK_ERROR(InvalidArgument, row.call(inputs, s.args), row.error_name, "undefined", "[at ", "ops/op_table_");
      ++checked;
    }
  }
  MESSAGE(checked << " undefined inputs refused");
  CHECK(checked > 100);
}
