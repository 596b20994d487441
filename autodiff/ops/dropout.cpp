// Inverted dropout: a composition (a bernoulli mask, scaled, times x), so its
// gradient is mul's: g ⊙ mask / (1 − p).
#include <sstream>

#include "common.hpp"
#include "tapegrad/autodiff/nn_ops.hpp"

namespace tg {

using namespace ops;

Tensor dropout(const Tensor& x, double p, Generator& gen, bool training, Site site) {
  check_float(x, "dropout", site);
  if (!(p >= 0 && p <= 1)) {  // NaN too
    std::ostringstream got;
    got << p;
    throw InvalidArgument("dropout: p must be in [0, 1], got " + got.str() + " (x of shape " + x.shape().str() + ")",
                          site);
  }
  if (!training || p == 0) return x;
  if (p == 1) return mul(x, 0.0, site);  // every element dropped; 1 / (1 − p) would be inf
  // The mask is a constant: scaling it first keeps the taped part to one mul.
  Tensor mask;
  {
    NoGrad no_grad;
    mask = bernoulli(x.shape(), 1 - p, gen, x.dtype(), site) * (1 / (1 - p));
  }
  return mul(x, mask, site);
}

}  // namespace tg
