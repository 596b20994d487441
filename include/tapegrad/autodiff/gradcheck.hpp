// gradcheck: the tape's gradients against central differences in float64.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <type_traits>
#include <vector>

#include "tensor.hpp"

namespace tg {

struct GradcheckOptions {
  /// Step of the central difference (f(x+eps) − f(x−eps)) / 2eps.
  double eps = 1e-6;
  /// An element passes when |analytic − numeric| <= atol + rtol·|numeric|
  /// (PyTorch's defaults).
  double atol = 1e-5;
  double rtol = 1e-3;
  /// Seed of the random projection applied to non-scalar outputs.
  std::uint64_t seed = 0;
};

/// The worst element of one input.
struct GradcheckEntry {
  std::string name;                  ///< "input 0", or a parameter's name
  Shape shape;
  std::int64_t worst_index = -1;     ///< flat index of the worst element
  std::vector<std::int64_t> worst_position;  ///< the same as a multi-index
  double analytic = 0.0;             ///< the tape's gradient there
  double numeric = 0.0;              ///< the central difference there
  double abs_error = 0.0;
  double rel_error = 0.0;
  std::int64_t failures = 0;         ///< elements outside tolerance
  bool passed() const { return failures == 0; }
};

/// One entry per input; prints as a table.
struct GradcheckReport {
  std::vector<GradcheckEntry> entries;
  GradcheckOptions options;
  bool ok() const;
  explicit operator bool() const { return ok(); }
  std::string str() const;
};
std::ostream& operator<<(std::ostream& out, const GradcheckReport& report);

using MultiTensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

namespace detail {
GradcheckReport gradcheck_vector(const MultiTensorFn& f, const std::vector<Tensor>& inputs,
                                 const GradcheckOptions& options, std::vector<std::string> names);
/// The check itself on float64 leaves `xs` that f reads (perturbed in place,
/// restored after); `checked` lists the positions of xs to check, `names`
/// labels each position of xs (or is empty).
GradcheckReport gradcheck_leaves(const MultiTensorFn& f, std::vector<Tensor> xs, const std::vector<std::size_t>& checked,
                                 const GradcheckOptions& options, const std::vector<std::string>& names);
}

/// Checks the gradient of `f` with respect to each input. `f` takes the
/// inputs as 1-4 separate tensors (`[](auto& a, auto& b) { return sum(a * b); }`)
/// or as one `const std::vector<Tensor>&`. The inputs are converted to float64
/// leaves; a non-scalar output y is checked through L = Σ w·y with fixed random
/// weights w (every element of the VJP is still compared). `names` label the
/// entries (default "input 0", ...).
template <class F>
GradcheckReport gradcheck(F&& f, const std::vector<Tensor>& inputs, GradcheckOptions options = {},
                          std::vector<std::string> names = {}) {
  auto call = [&f](const std::vector<Tensor>& xs) -> Tensor {
    if constexpr (std::is_invocable_v<F&, Tensor&>) {
      Tensor a = xs.at(0);
      return f(a);
    } else if constexpr (std::is_invocable_v<F&, Tensor&, Tensor&>) {
      Tensor a = xs.at(0), b = xs.at(1);
      return f(a, b);
    } else if constexpr (std::is_invocable_v<F&, Tensor&, Tensor&, Tensor&>) {
      Tensor a = xs.at(0), b = xs.at(1), c = xs.at(2);
      return f(a, b, c);
    } else if constexpr (std::is_invocable_v<F&, Tensor&, Tensor&, Tensor&, Tensor&>) {
      Tensor a = xs.at(0), b = xs.at(1), c = xs.at(2), d = xs.at(3);
      return f(a, b, c, d);
    } else {
      static_assert(std::is_invocable_v<F&, const std::vector<Tensor>&>,
                    "gradcheck: f must take 1-4 tensors or a const std::vector<Tensor>&");
      return f(xs);
    }
  };
  return detail::gradcheck_vector(call, inputs, options, std::move(names));
}

}  // namespace tg
