#include "public_api.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef TAPEGRAD_SOURCE_DIR
#error "tests/meson.build passes TAPEGRAD_SOURCE_DIR, the source tree whose headers are read"
#endif

namespace tg::test {

namespace {

bool starts_with_any(std::string_view line, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) { return line.starts_with(p); });
}

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The function name declared by a column-0 line, or "" when it declares none.
std::string declared_name(std::string_view line) {
  if (line.empty() || std::isspace(static_cast<unsigned char>(line.front()))) return "";
  if (starts_with_any(line, {"//", "#", "namespace", "}", "{", "struct", "class", "enum", "using", "template",
                             "extern", "friend", "typedef", "static_assert", "inline constexpr"})) {
    return "";
  }
  const std::size_t paren = line.find('(');
  if (paren == std::string_view::npos) return "";
  if (const std::size_t op = line.rfind("operator", paren);
      op != std::string_view::npos && (op == 0 || !is_identifier_char(line[op - 1]))) {
    std::string symbol;
    for (std::size_t i = op + 8; i < paren; ++i)
      if (!std::isspace(static_cast<unsigned char>(line[i]))) symbol += line[i];
    return "operator" + symbol;
  }
  std::size_t end = paren;
  while (end > 0 && std::isspace(static_cast<unsigned char>(line[end - 1]))) --end;
  std::size_t begin = end;
  while (begin > 0 && is_identifier_char(line[begin - 1])) --begin;
  // A declaration has a return type before its name: a bare call or macro does not.
  const std::string_view before = line.substr(0, begin);
  if (begin == end || before.find_first_not_of(" \t") == std::string_view::npos) return "";
  return std::string(line.substr(begin, end - begin));
}

}  // namespace

std::set<std::string> declared_functions(std::string_view header) {
  std::set<std::string> names;
  std::size_t start = 0;
  while (start <= header.size()) {
    const std::size_t stop = std::min(header.find('\n', start), header.size());
    if (std::string name = declared_name(header.substr(start, stop - start)); !name.empty()) names.insert(name);
    start = stop + 1;
  }
  return names;
}

std::map<std::string, std::string> declared_bases(std::string_view header) {
  std::map<std::string, std::string> bases;
  std::size_t at = 0;
  // Reads what follows `at`: spaces, then a word of identifier characters (and ':' when `scoped`).
  auto skip_spaces = [&] {
    while (at < header.size() && std::isspace(static_cast<unsigned char>(header[at]))) ++at;
  };
  auto word = [&](bool scoped) {
    skip_spaces();
    const std::size_t begin = at;
    while (at < header.size() && (is_identifier_char(header[at]) || (scoped && header[at] == ':'))) ++at;
    return std::string(header.substr(begin, at - begin));
  };
  while (at < header.size()) {
    const std::string keyword = word(false);
    if (keyword.empty()) {
      ++at;  // punctuation
      continue;
    }
    if (keyword != "class" && keyword != "struct") continue;
    const std::string name = word(false);
    std::size_t after_name = at;
    if (word(false) != "final") at = after_name;
    skip_spaces();
    if (name.empty() || at >= header.size() || header[at] != ':') continue;
    ++at;
    after_name = at;
    if (word(false) != "public") at = after_name;
    if (const std::string base = word(true); !base.empty()) bases[name] = base;
  }
  return bases;
}

std::set<std::string> derived_from(const std::map<std::string, std::string>& bases, const std::string& root) {
  std::set<std::string> derived;
  for (const auto& [name, base] : bases) {
    // Walk up the chain; a cycle or an unknown base ends it.
    std::set<std::string> seen{name};
    for (std::string b = base;; b = bases.at(b)) {
      if (b == root) {
        derived.insert(name);
        break;
      }
      if (!bases.contains(b) || !seen.insert(b).second) break;
    }
  }
  return derived;
}

std::string read_source(const std::string& path) {
  const std::filesystem::path full = std::filesystem::path(TAPEGRAD_SOURCE_DIR) / path;
  std::ifstream in(full);
  if (!in) throw std::runtime_error("cannot read " + full.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::vector<std::string>& op_headers() {
  static const std::vector<std::string> headers = {
      "include/tapegrad/autodiff/functional.hpp", "include/tapegrad/nn/losses.hpp",
      "include/tapegrad/nn/init.hpp",             "include/tapegrad/nn/activation.hpp",
  };
  return headers;
}

std::vector<std::string> layer_headers() {
  std::vector<std::string> headers;
  const std::filesystem::path dir = std::filesystem::path(TAPEGRAD_SOURCE_DIR) / "include/tapegrad/nn";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".hpp") {
      headers.push_back("include/tapegrad/nn/" + entry.path().filename().string());
    }
  }
  std::sort(headers.begin(), headers.end());
  if (headers.empty()) throw std::runtime_error("no headers in " + dir.string());
  return headers;
}

Coverage compare(const std::set<std::string>& declared, const std::set<std::string>& with_cases,
                 const std::set<std::string>& exempt) {
  Coverage c;
  for (const std::string& name : declared)
    if (!with_cases.contains(name) && !exempt.contains(name)) c.missing.push_back(name);
  for (const std::string& name : with_cases)
    if (!declared.contains(name)) c.stale.push_back(name);
  for (const std::string& name : exempt)
    if (!declared.contains(name) || with_cases.contains(name)) c.stale.push_back(name);
  return c;
}

}  // namespace tg::test
