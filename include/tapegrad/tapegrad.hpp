// tapegrad: reverse-mode automatic differentiation for C++.
// The one header a user includes.
#pragma once

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/functional.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/nn_ops.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/shape.hpp"
#include "autodiff/tensor.hpp"
