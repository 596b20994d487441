// The dependency arrows: autodiff <- nn <- optim. A file of autodiff/
// (sources and public headers) includes nothing of nn/ or optim/, a file of
// nn/ nothing of optim/, so that including an nn header never pulls in the
// training loop and autodiff stays usable on its own. The scan reads every
// #include of every file under autodiff/, nn/, optim/ and
// include/tapegrad/{autodiff,nn,optim} and resolves it as the compiler would
// (beside the file, then under include/), so "../optim/fit.hpp" and
// <tapegrad/optim/fit.hpp> are the same arrow.
//
// The same scan keeps nn/ and optim/ on the one dtype dispatch
// (autodiff/dispatch.hpp): no hand-written branch that picks a C++ element
// type from a dtype (`dtype == f32 ? x.data<float>() : x.data<double>()`,
// `case Dtype::f64: ... <double>`), so a new storage dtype touches one place.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// 0 autodiff, 1 nn, 2 optim; nothing for a file outside the three.
std::optional<int> layer_of(const fs::path& root, const fs::path& file) {
  const std::string relative = fs::relative(file, root).generic_string();
  const char* names[] = {"autodiff/", "nn/", "optim/"};
  for (int layer = 0; layer < 3; ++layer) {
    if (relative.starts_with(names[layer]) || relative.starts_with(std::string("include/tapegrad/") + names[layer])) {
      return layer;
    }
  }
  return std::nullopt;
}

const char* layer_name(int layer) { return layer == 0 ? "autodiff" : layer == 1 ? "nn" : "optim"; }

struct Scan {
  int files = 0;
  int includes = 0;  // resolved to a file of the tree
  std::vector<std::string> violations;
};

// Every include of a lower layer's file that names a higher layer's file,
// as "nn/diagnostics.hpp:20 includes optim/fit.hpp: nn may not include optim".
Scan scan_layers(const fs::path& root) {
  static const std::regex include_line(R"(^\s*#\s*include\s*[<"]([^">]+)[">])");
  Scan scan;
  for (const char* top : {"autodiff", "nn", "optim", "include/tapegrad/autodiff", "include/tapegrad/nn", "include/tapegrad/optim"}) {
    if (!fs::is_directory(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp" && ext != ".h")) continue;
      const std::optional<int> from = layer_of(root, entry.path());
      if (!from) continue;
      ++scan.files;
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch match;
        if (!std::regex_search(line, match, include_line)) continue;
        const std::string target = match[1];
        std::optional<fs::path> resolved;
        for (const fs::path& candidate : {entry.path().parent_path() / target, root / "include" / target}) {
          if (fs::exists(candidate)) {
            resolved = fs::weakly_canonical(candidate);
            break;
          }
        }
        if (!resolved) continue;  // a system or third-party header
        ++scan.includes;
        const std::optional<int> to = layer_of(root, *resolved);
        if (to && *to > *from) {
          scan.violations.push_back(fs::relative(entry.path(), root).generic_string() + ":" + std::to_string(number) +
                                    " includes " + fs::relative(*resolved, root).generic_string() + ": " +
                                    layer_name(*from) + " may not include " + layer_name(*to));
        }
      }
    }
  }
  return scan;
}

// Lines of nn/ and optim/ (sources and public headers) that compare a dtype
// with float32 or float64 and name float or double on the same line or the
// next: a type dispatch written by hand, as "nn/init.cpp:35".
std::vector<std::string> dtype_branches(const fs::path& root, int* files = nullptr) {
  static const std::regex compare(R"((==|!=)\s*(Dtype::)?f(32|64)\b|\bf(32|64)\s*(==|!=)|case\s+Dtype::f(32|64)\s*:)");
  static const std::regex element_type(R"(<\s*(float|double)\s*>|\b(float|double)\s*\{\s*\})");
  std::vector<std::string> found;
  for (const char* top : {"nn", "optim", "include/tapegrad/nn", "include/tapegrad/optim"}) {
    if (!fs::is_directory(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      if (files) ++*files;
      std::ifstream in(entry.path());
      std::vector<std::string> lines;
      for (std::string line; std::getline(in, line);) lines.push_back(line);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.find_first_not_of(" \t") != std::string::npos && line.compare(line.find_first_not_of(" \t"), 2, "//") == 0) continue;
        if (!std::regex_search(line, compare)) continue;
        const std::string next = i + 1 < lines.size() ? lines[i + 1] : "";
        if (std::regex_search(line, element_type) || std::regex_search(next, element_type)) {
          found.push_back(fs::relative(entry.path(), root).generic_string() + ":" + std::to_string(i + 1));
        }
      }
    }
  }
  return found;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("layering: the scan finds an arrow that runs upward, however the include is spelled") {
  const fs::path root = fs::weakly_canonical(fs::temp_directory_path() / ("tapegrad_layering_" + std::to_string(::getpid())));
  fs::remove_all(root);
  write(root / "include/tapegrad/optim/fit.hpp", "#pragma once\n");
  write(root / "include/tapegrad/nn/module.hpp", "#pragma once\n");
  write(root / "include/tapegrad/nn/diagnostics.hpp", "#pragma once\n#include \"module.hpp\"\n  #include \"../optim/fit.hpp\"\n");
  write(root / "autodiff/tensor.cpp", "// #include \"tapegrad/nn/module.hpp\" in a comment is no arrow\n#include <vector>\n#include <tapegrad/nn/module.hpp>\n");
  write(root / "optim/fit.cpp", "#include \"tapegrad/optim/fit.hpp\"\n#include \"tapegrad/nn/module.hpp\"\n");
  const Scan scan = scan_layers(root);
  fs::remove_all(root);
  CHECK(scan.files == 5);
  CHECK(scan.includes == 5);
  REQUIRE(scan.violations.size() == 2);
  CHECK(scan.violations[0] + "|" + scan.violations[1] ==
        (scan.violations[0].starts_with("autodiff")
             ? "autodiff/tensor.cpp:3 includes include/tapegrad/nn/module.hpp: autodiff may not include nn|"
               "include/tapegrad/nn/diagnostics.hpp:3 includes include/tapegrad/optim/fit.hpp: nn may not include optim"
             : "include/tapegrad/nn/diagnostics.hpp:3 includes include/tapegrad/optim/fit.hpp: nn may not include optim|"
               "autodiff/tensor.cpp:3 includes include/tapegrad/nn/module.hpp: autodiff may not include nn"));
}

TEST_CASE("layering: autodiff includes neither nn nor optim, nn does not include optim") {
  const Scan scan = scan_layers(fs::weakly_canonical(TAPEGRAD_SOURCE_DIR));
  CHECK(scan.files > 100);      // the scan saw the tree (not an empty or wrong directory)
  CHECK(scan.includes > 250);
  std::string all;
  for (const std::string& v : scan.violations) all += v + "\n";
  CHECK_MESSAGE(scan.violations.empty(), all);
}

TEST_CASE("dtype dispatch: the scan finds a hand-written branch on float32/float64") {
  const fs::path root = fs::weakly_canonical(fs::temp_directory_path() / ("tapegrad_dispatch_" + std::to_string(::getpid())));
  fs::remove_all(root);
  write(root / "nn/init.cpp",
        "  if (t.dtype() == f32) fill(t.mutable_data<float>());\n"   // 1: found
        "  else fill(t.mutable_data<double>());\n"
        "  // if (t.dtype() == f32) use data<float>() -- a comment\n"
        "  if (labels.dtype() != i64) throw DtypeError(\"labels\");\n"  // a check, not a dispatch
        "  if (dtype == f64) return IdxType::float64;\n");              // a table, not a type
  write(root / "optim/fit.cpp",
        "    return output.dtype() == Dtype::f64\n"                     // 1: found, the type on the next line
        "        ? count<double>(output) : count<float>(output);\n");
  write(root / "include/tapegrad/optim/optimizer.hpp",
        "    case Dtype::f32: f(float{}); break;\n");                   // 1: found
  int files = 0;
  const std::vector<std::string> found = dtype_branches(root, &files);
  fs::remove_all(root);
  CHECK(files == 3);
  std::string all;
  for (const std::string& f : found) all += f + " ";
  CHECK(found.size() == 3);
  CHECK(all.find("nn/init.cpp:1 ") != std::string::npos);
  CHECK(all.find("optim/fit.cpp:1 ") != std::string::npos);
  CHECK(all.find("include/tapegrad/optim/optimizer.hpp:1 ") != std::string::npos);
}

TEST_CASE("dtype dispatch: nn/ and optim/ go through tg::dispatch_floating / tg::dispatch_all") {
  int files = 0;
  const std::vector<std::string> found = dtype_branches(fs::weakly_canonical(TAPEGRAD_SOURCE_DIR), &files);
  CHECK(files > 60);
  std::string all;
  for (const std::string& f : found) all += f + "\n";
  const std::string message =
      "hand-written dtype branches (use tg::dispatch_floating or tg::dispatch_all from tapegrad/autodiff/dispatch.hpp):\n" + all;
  CHECK_MESSAGE(found.empty(), message);
}
