// The dtype dispatch: from a tensor's Dtype to the C++ type of its
// elements, in one place for the kernels, nn and optim (after PyTorch's
// AT_DISPATCH_FLOATING_TYPES). A new storage dtype is one more case here.
//
//     tg::dispatch_floating(t.dtype(), "clip_grad_norm_", [&]<class T>() {
//       const T* values = t.data<T>();
//       ...
//     });
//
// The callable is a template lambda (or any type with a template call
// operator); what it returns, dispatch returns, so every case must return
// the same type.
#pragma once

#include <cstdint>
#include <string>

#include "errors.hpp"
#include "shape.hpp"

namespace tg {

/// Calls f.template operator()<T>() with T = float for float32 and double for
/// float64. Throws DtypeError "<op>: expected a float32 or float64 tensor,
/// got int64" (at `site`) for any other dtype.
template <class F>
decltype(auto) dispatch_floating(Dtype dtype, const char* op, F&& f, const Site& site = Site::current()) {
  switch (dtype) {
    case Dtype::f32: return f.template operator()<float>();
    case Dtype::f64: return f.template operator()<double>();
    default: break;
  }
  throw DtypeError(std::string(op) + ": expected a float32 or float64 tensor, got " + dtype_name(dtype), site);
}

/// Calls f.template operator()<T>() with T the element type of any storage
/// dtype: float, double, std::int64_t.
template <class F>
decltype(auto) dispatch_all(Dtype dtype, F&& f) {
  switch (dtype) {
    case Dtype::f32: return f.template operator()<float>();
    case Dtype::f64: return f.template operator()<double>();
    case Dtype::i64: return f.template operator()<std::int64_t>();
  }
  // Not reached: the switch covers every Dtype (-Wswitch says when it does not).
  throw DtypeError("dispatch_all: not a dtype: " + std::to_string(static_cast<int>(dtype)));
}

}  // namespace tg
