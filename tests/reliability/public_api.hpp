// The public functions and layers outside the op table, read from tapegrad's
// own headers at run time, so that the bad-input suite fails when one is
// added without a bad-input case. The ops of ops.hpp, nn_ops.hpp and
// creation.hpp are not read from text: they are the rows of the op table
// (tests/ops/op_table.hpp).
//
// The convention the headers follow (and must keep following):
// - a public free function is declared at column 0, its return type and name
//   on the declaration's first line (`Tensor relu(const Tensor& x, ...`);
//   anything indented (members, continuation lines) is not a declaration;
// - a layer is a class or struct that derives, directly or through other
//   layers, from Module, declared as `class Name : public Base` or
//   `struct Name : Base` on one line.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tg::test {

/// The names of the free functions declared at column 0 of a header's text;
/// an operator is named with its symbol ("operator+"). Overloads give one name.
std::set<std::string> declared_functions(std::string_view header);

/// Every `class|struct Name : [public] Base` of a header's text, Name -> Base.
std::map<std::string, std::string> declared_bases(std::string_view header);

/// The classes of `bases` that derive from `root`, directly or not.
std::set<std::string> derived_from(const std::map<std::string, std::string>& bases, const std::string& root);

/// The text of `path`, relative to the source tree; throws when unreadable.
std::string read_source(const std::string& path);

/// The headers whose free functions need a bad-input case besides the op
/// table's ops (relative to the source tree): functional, losses, init, activation.
const std::vector<std::string>& op_headers();
/// The headers searched for Module subclasses.
std::vector<std::string> layer_headers();

/// What is in the table and what the code declares, compared: the names the
/// code declares with neither a case nor an exemption, and the names of cases
/// or exemptions the code does not declare (stale entries).
struct Coverage {
  std::vector<std::string> missing, stale;
};
Coverage compare(const std::set<std::string>& declared, const std::set<std::string>& with_cases,
                 const std::set<std::string>& exempt);

}  // namespace tg::test
