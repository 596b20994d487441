// Helpers shared by the doctest suites in tests/autodiff.
//
// Several suites used to carry their own copies of these (check_op_error,
// thrown/message_of, check_message, check_grad, CHECK_GRADCHECK,
// check_values), which drifted apart: some checked the "[at " marker of the
// caller's site and some did not, some hard-coded their own file name. This
// header holds one version of each, at least as strict as every copy it
// replaces, and takes the file name of a site check from the caller
// (__FILE__) so the same macro works in any suite.
//
// Include it as "../support.hpp" from tests/autodiff/*.cpp; it brings in
// doctest and tapegrad itself.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tapegrad/tapegrad.hpp>

namespace tg::test {

/// Gives `target` (a parameter, a buffer) new values outside the graph, as a
/// user does under NoGrad: copy_ on a leaf that requires grad is refused
/// while grad mode records.
inline void assign(Tensor target, const Tensor& values) {
  NoGrad no_grad;
  target.copy_(values);
}

// --- Error messages ---------------------------------------------------------

/// A place in a test file, as an op's error message quotes it: the file's
/// base name (the build may pass __FILE__ with directories in front) and the
/// line. Build one with TG_TEST_HERE, never by hand, so the line cannot go
/// stale when the file is edited.
struct CallSite {
  std::string_view file;
  int line = 0;
};

/// `path` without its directories ("../tests/autodiff/test_x.cpp" ->
/// "test_x.cpp").
constexpr std::string_view file_basename(std::string_view path) {
  const std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

/// The CallSite of the line this macro is written on.
#define TG_TEST_HERE (::tg::test::CallSite{::tg::test::file_basename(__FILE__), __LINE__})

namespace detail {

// The message of the E that `call` throws; a failed check and nullopt when it
// throws another std::exception or nothing at all.
template <class E, class F>
std::optional<std::string> caught_message(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return std::string(e.what());
  } catch (const std::exception& e) {
    FAIL_CHECK("wrong exception type: " << std::string(e.what()));
    return std::nullopt;
  }
  FAIL_CHECK("no exception thrown");
  return std::nullopt;
}

}  // namespace detail

/// The message of the E thrown by `call`. When `call` throws another
/// exception or nothing, that is a failed check and the result is "", so the
/// caller's checks on the message fail too.
template <class E, class F>
std::string thrown(F&& call) {
  return detail::caught_message<E>(call).value_or(std::string());
}

/// Whether `text` contains `part`.
inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// One check per part: `message` contains each of `parts`.
inline void check_contains(const std::string& message, std::initializer_list<std::string> parts) {
  INFO("message: " << message);
  for (const std::string& part : parts) {
    INFO("expected to contain: " << part);
    CHECK(contains(message, part));
  }
}

/// `message` contains each of `parts` and names `site` as
/// "[at <dir/>file:line]": the error was attributed to the caller's line, not
/// to a line inside the library.
inline void check_message(const std::string& message, std::initializer_list<std::string> parts, CallSite site) {
  check_contains(message, parts);
  INFO("message: " << message);
  CHECK(contains(message, "[at "));
  CHECK(contains(message, std::string(site.file) + ":" + std::to_string(site.line) + "]"));
}

/// `call` throws an E whose message contains each of `parts` and names
/// `site`. Use it through CHECK_OP_ERROR.
template <class E, class F>
void check_op_error(F&& call, CallSite site, std::initializer_list<std::string> parts) {
  INFO("error expected by the check at " << std::string(site.file) << ":" << site.line);
  const std::optional<std::string> message = detail::caught_message<E>(call);
  if (!message) return;  // already a failed check
  check_message(*message, parts, site);
}

/// CHECK_OP_ERROR(E, expr, "part", ...): evaluating `expr` throws an E whose
/// message contains every part and "[at <this file>:<this line>]". Write the
/// whole invocation on one line: that line is the one the op must quote.
#define CHECK_OP_ERROR(E, expr, ...) \
  ::tg::test::check_op_error<E>([&] { (void)(expr); }, TG_TEST_HERE, {__VA_ARGS__})

/// CHECK_ERROR(E, expr, "part", ...): evaluating `expr` throws an E whose
/// message contains every part. For errors with no caller's site to quote
/// (a layer's forward pass runs behind Module::operator()).
#define CHECK_ERROR(E, expr, ...) \
  ::tg::test::check_contains(::tg::test::thrown<E>([&] { (void)(expr); }), {__VA_ARGS__})

// --- Gradchecks -------------------------------------------------------------

/// CHECK_GRADCHECK(gradcheck(...)): the report is ok(); on failure the whole
/// report is printed. A macro so the failure names the caller's line.
#define CHECK_GRADCHECK(...)                              \
  do {                                                    \
    const ::tg::GradcheckReport tg_report_ = __VA_ARGS__; \
    INFO(tg_report_.str());                               \
    CHECK(tg_report_.ok());                               \
  } while (false)

/// As CHECK_GRADCHECK, and the report has exactly `n` entries (one per
/// input), so an input silently left out of the check is caught too.
#define CHECK_GRADCHECK_INPUTS(n, ...)                                 \
  do {                                                                 \
    const ::tg::GradcheckReport tg_report_ = __VA_ARGS__;              \
    INFO(tg_report_.str());                                            \
    CHECK(tg_report_.ok());                                            \
    CHECK(tg_report_.entries.size() == static_cast<std::size_t>(n));   \
  } while (false)

// --- Values -----------------------------------------------------------------

/// The default relative tolerances of check_values: float32 keeps ~7 digits,
/// float64 ~16; results of a few roundings stay well inside both.
inline constexpr double kF32Eps = 1e-6;
inline constexpr double kF64Eps = 1e-13;

/// The values of `t` against `expected`, element by element, with a relative
/// tolerance that fits its dtype: `f32_eps` for float32, `f64_eps` for any
/// other dtype (widen them where the inputs are large or the sums long). An
/// infinite expected value must be matched exactly (Approx never equals an
/// infinity). The sizes must agree, or the test case stops.
inline void check_values(const Tensor& t, const std::vector<double>& expected, double f32_eps = kF32Eps,
                         double f64_eps = kF64Eps) {
  const std::vector<double> got = t.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  const double eps = t.dtype() == f32 ? f32_eps : f64_eps;
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << " of " << t.str());
    if (std::isinf(expected[i])) CHECK(got[i] == expected[i]);
    else CHECK(got[i] == doctest::Approx(expected[i]).epsilon(eps));
  }
}

}  // namespace tg::test
