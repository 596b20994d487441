// Graph export (DOT) and the tape report: what they list for a small MLP, a
// value used twice, a 100,000-record chain, released records and leaves.
#include <doctest/doctest.h>

#include <string>

#include "../support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

nn::Sequential two_layer_mlp(Generator& gen) {
  return nn::Sequential(nn::Linear(3, 4, {.generator = &gen}), nn::ReLU(), nn::Linear(4, 2, {.generator = &gen}));
}

}  // namespace

TEST_CASE("DOT of a two-layer MLP: addmm and relu with shapes, leaves, and an edge per input") {
  Generator gen(1);
  nn::Sequential net = two_layer_mlp(gen);
  const Tensor y = net(randn({5, 3}, gen));
  const std::string dot = to_dot(y);
  INFO(dot);
  CHECK(dot.starts_with("digraph tape {"));
  check_contains(dot, {"addmm\\n(5, 4) float32", "relu\\n(5, 4) float32", "addmm\\n(5, 2) float32", "linear.cpp:",
                       "leaf\\n(4, 3) float32\\nrequires grad", "leaf\\n(4,) float32", "leaf\\n(2, 4) float32",
                       "leaf\\n(2,) float32", "no grad"});
  CHECK(occurrences(dot, "shape=box") == 3);      // addmm, relu, addmm (Linear's product and bias in one)
  CHECK(occurrences(dot, "shape=ellipse") == 5);  // 4 parameters and the input x (no grad)
  CHECK(occurrences(dot, " -> ") == 7);           // 3 + 1 + 3 inputs
  CHECK(occurrences(dot, "peripheries=2") == 1);  // the output's record
  CHECK(dot.ends_with("}\n"));
}

TEST_CASE("DOT: a value used twice is one node with two labelled edges; leaves and released records") {
  const Tensor x = tensor({1.0, 2.0}).requires_grad_();
  const Tensor a = exp(x);
  const Tensor b = a * a;
  const std::string dot = to_dot(b);
  INFO(dot);
  CHECK(occurrences(dot, "shape=box") == 2);
  CHECK(occurrences(dot, "op1 -> op0 [label=\"0\"]") == 1);
  CHECK(occurrences(dot, "op1 -> op0 [label=\"1\"]") == 1);
  check_contains(to_dot(x), {"leaf\\n(2,) float32\\nrequires grad", "peripheries=2"});
  check_contains(to_dot(tensor({1.0})), {"no grad"});
  sum(b).backward();
  check_contains(to_dot(b), {"(released)"});
  CHECK_ERROR(InvalidArgument, to_dot(Tensor()), "to_dot: got an undefined tensor");
  CHECK_ERROR(InvalidArgument, tape_report(Tensor()), "tape_report: got an undefined tensor");
}

TEST_CASE("tape report of a two-layer MLP: records by op, leaves, saved bytes with each storage once") {
  Generator gen(2);
  nn::Sequential net = two_layer_mlp(gen);
  const Tensor y = net(randn({5, 3}, gen));
  const TapeReport report = tape_report(y);
  INFO(report.str());
  CHECK(report.records == 3);
  CHECK(report.released == 0);
  CHECK(report.count("addmm") == 2);
  CHECK(report.count("matmul") == 0);
  CHECK(report.count("relu") == 1);
  CHECK(report.count("conv2d") == 0);
  CHECK(report.ops.front().records == 2);
  CHECK(report.leaves == 4);
  // Saved: x (5, 3) by the first addmm (for dW); relu's output (5, 4), which
  // the second addmm saves again (one storage); W2 (2, 4) for dh.
  CHECK(report.saved_tensors == 4);
  CHECK(report.saved_storages == 3);
  CHECK(report.saved_bytes == (5 * 3 + 5 * 4 + 2 * 4) * 4);
  check_contains(report.str(), {"3 records", "172 B kept for backward", "addmm", "relu"});

  sum(y).backward();
  const TapeReport after = tape_report(y);
  CHECK(after.released == after.records);
  CHECK(after.saved_bytes == 0);
}

TEST_CASE("a chain of 100,000 records: DOT and report walk it without recursion") {
  const Tensor x = tensor({1.0}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0001;
  const TapeReport report = tape_report(y);
  CHECK(report.records == 100000);
  CHECK(report.count("mul") == 100000);
  CHECK(report.leaves == 1);
  const std::string dot = to_dot(y);
  CHECK(occurrences(dot, "shape=box") == 100000);
}
