// The op table itself: every row is complete (a row without a sample
// generator fails here), rows are unique, and the README's op list names
// exactly the ops of the table, with their PyTorch names.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sweep.hpp"

#ifndef TAPEGRAD_SOURCE_DIR
#error "tests/meson.build passes TAPEGRAD_SOURCE_DIR, the source tree whose README.md is read"
#endif

using namespace tg;
using namespace tg::test;

namespace {

// The README's op list: the table between these two lines, one line per op,
// "| `name` | `torch.name`, `torch.other` | notes |"; the notes are free text.
constexpr std::string_view kBegin = "<!-- op-table: begin";
constexpr std::string_view kEnd = "<!-- op-table: end -->";

// name -> its PyTorch names, from the table.
std::map<std::string, std::set<std::string>> table_ops() {
  std::map<std::string, std::set<std::string>> ops;
  for (const OpInfo& row : op_table()) ops[row.name].insert(row.torch_name);
  return ops;
}

// The backticked words of a cell.
std::set<std::string> quoted(std::string_view cell) {
  std::set<std::string> words;
  for (std::size_t at = cell.find('`'); at != std::string_view::npos; at = cell.find('`', at)) {
    const std::size_t end = cell.find('`', at + 1);
    if (end == std::string_view::npos) break;
    words.insert(std::string(cell.substr(at + 1, end - at - 1)));
    at = end + 1;
  }
  return words;
}

// name -> PyTorch names, from the README text's marked block; `problems` gets
// what cannot be read.
std::map<std::string, std::set<std::string>> readme_ops(const std::string& text, std::vector<std::string>& problems) {
  std::map<std::string, std::set<std::string>> ops;
  const std::size_t begin = text.find(kBegin), end = text.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    problems.push_back("no op-table block (between \"<!-- op-table: begin\" and \"" + std::string(kEnd) + "\")");
    return ops;
  }
  std::istringstream lines(text.substr(begin, end - begin));
  std::string line;
  std::getline(lines, line);  // the marker
  while (std::getline(lines, line)) {
    if (!line.starts_with("| `")) continue;  // the header row, its rule, blank lines
    const std::size_t bar = line.find('|', 1);
    const std::size_t next = bar == std::string::npos ? bar : line.find('|', bar + 1);
    const std::set<std::string> names = quoted(std::string_view(line).substr(0, bar));
    if (next == std::string::npos || names.size() != 1) {
      problems.push_back("cannot read the line: " + line);
      continue;
    }
    const std::string& name = *names.begin();
    if (ops.contains(name)) problems.push_back("listed twice: " + name);
    ops[name] = quoted(std::string_view(line).substr(bar + 1, next - bar - 1));
  }
  return ops;
}

std::string read_readme() {
  const std::filesystem::path path = std::filesystem::path(TAPEGRAD_SOURCE_DIR) / "README.md";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The README lines the table asks for (notes left empty), in the table's
// order, to paste when the check fails.
std::string expected_block() {
  const auto ops = table_ops();
  std::set<std::string> done;
  std::ostringstream out;
  for (const OpInfo& row : op_table()) {
    if (!done.insert(row.name).second) continue;
    const std::set<std::string>& torch_names = ops.at(row.name);
    out << "| `" << row.name << "` |";
    std::string sep = " ";
    for (const std::string& t : torch_names) {
      out << sep << "`" << t << "`";
      sep = ", ";
    }
    out << " | |\n";
  }
  return out.str();
}

}  // namespace

TEST_CASE("every row of the op table is complete and unique") {
  std::set<std::string> ids;
  for (const OpInfo& row : op_table()) {
    INFO(row.id());
    CHECK(check_row(row) == "");
    CHECK_MESSAGE(ids.insert(row.id()).second, "two rows are " << row.id());
  }
  MESSAGE(op_table().size() << " rows, " << op_names().size() << " ops");
  CHECK(op_table().size() >= 100);
}

TEST_CASE("a row without a sample generator, call or dtype fails the table check") {
  OpInfo dummy = op_table().front();
  dummy.name = "dummy";
  dummy.variant = "";
  CHECK(check_row(dummy) == "");
  dummy.samples = nullptr;
  CHECK(check_row(dummy) == "dummy: no sample generator");

  OpInfo empty = op_table().front();
  empty.samples = [](Dtype) { return std::vector<Sample>{}; };
  check_contains(check_row(empty), {"neg:", "no sample for float32", "no sample for float64"});

  OpInfo bare;
  check_contains(check_row(bare), {"a row without a name:", "no name", "no PyTorch name", "no dtype", "no call",
                                   "no sample generator"});

  OpInfo wrong = op_table().front();
  wrong.differentiable = {true, false};
  wrong.arity = 2;
  check_contains(check_row(wrong), {"neg:", "sample \"(2, 3)\" has 1 inputs, not 2"});
  wrong.differentiable = {true};
  check_contains(check_row(wrong), {"1 differentiable flags for 2 inputs"});
  wrong.optional_inputs = {2};
  check_contains(check_row(wrong), {"optional input 2 of 2"});
}

TEST_CASE("the README's op list names exactly the ops of the table, with their PyTorch names") {
  std::vector<std::string> problems;
  const auto listed = readme_ops(read_readme(), problems);
  const auto registered = table_ops();
  for (const auto& [name, torch_names] : listed) {
    if (!registered.contains(name)) problems.push_back("listed but not registered: " + name);
    else if (registered.at(name) != torch_names) problems.push_back("PyTorch names differ for " + name);
  }
  for (const auto& [name, torch_names] : registered)
    if (!listed.contains(name)) problems.push_back("registered but not listed: " + name);
  std::string all;
  for (const std::string& p : problems) all += p + "\n";
  INFO(all << "the table asks for:\n" << expected_block());
  CHECK(problems.empty());
}

TEST_CASE("the README check reads the marked block and finds what differs") {
  std::vector<std::string> problems;
  const auto ops = readme_ops("text\n<!-- op-table: begin -->\n| tapegrad | PyTorch |\n| --- | --- |\n"
                              "| `add` | `torch.add` | a `note` |\n| `operator+` | `torch.Tensor.__add__`, `torch.Tensor.__radd__` | |\n"
                              "<!-- op-table: end -->\n| `outside` | `x` |\n",
                              problems);
  CHECK(problems.empty());
  CHECK(ops.size() == 2);
  CHECK(ops.at("operator+") == std::set<std::string>{"torch.Tensor.__add__", "torch.Tensor.__radd__"});
  readme_ops("no block here", problems);
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems[0], "no op-table block"));
  problems.clear();
  readme_ops("<!-- op-table: begin -->\n| `a` | `x` | |\n| `a` | `x` | |\n| `b`, `c` | `y` | |\n<!-- op-table: end -->",
             problems);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "listed twice: a");
  CHECK(contains(problems[1], "cannot read the line: | `b`, `c`"));
}
