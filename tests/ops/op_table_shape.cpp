// The op table's shape and index ops and to_dtype. They move values without
// computing on them, so they take every dtype; the gradient flows to the
// float inputs, never to the int64 indices.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

using Call = std::function<Tensor(const Tensor&, const SampleArgs&)>;
using Make = std::function<std::vector<Sample>(Dtype, Generator&)>;

OpInfo shape_op(std::string name, std::string torch_name, Make make, Call f) {
  OpInfo row;
  row.name = row.error_name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.arity = 1;
  row.dtypes = kAllDtypes;
  row.differentiable = {true};
  row.samples = [make = std::move(make)](Dtype dtype) {
    Generator gen(kSampleSeed);
    return make(dtype, gen);
  };
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs& a) { return f(x[0], a); };
  return row;
}

template <class Set>
SampleArgs args(Set set) {
  SampleArgs a;
  set(a);
  return a;
}

SampleArgs with_shape(Shape s) {
  return args([&](SampleArgs& a) { a.shape = std::move(s); });
}
SampleArgs with_axes(int axis, int axis1 = -1) {
  return args([&](SampleArgs& a) {
    a.axis = axis;
    a.axis1 = axis1;
  });
}
SampleArgs with_slice(int axis, std::int64_t start, std::int64_t stop, std::int64_t step) {
  return args([&](SampleArgs& a) {
    a.axis = axis;
    a.start = start;
    a.stop = stop;
    a.step = step;
  });
}

// concat and stack of three tensors.
OpInfo joining(std::string name, std::string torch_name, bool new_axis) {
  OpInfo row;
  row.name = row.error_name = name;
  row.torch_name = std::move(torch_name);
  row.arity = 3;
  row.dtypes = kAllDtypes;
  row.differentiable = {true, true, true};
  row.samples = [new_axis](Dtype dtype) {
    Generator gen(kSampleSeed);
    auto v = [&](const Shape& s) { return values(s, dtype, gen); };
    std::vector<Sample> s = {
        sample({v({2, 3}), v({2, 3}), v({2, 3})}, "axis 0", with_axes(0)),
        sample({v({2, 3}), v({2, 3}), v({2, 3})}, "axis -1", with_axes(-1)),
        sample({v({2}), v({2}), v({2})}, "vectors", with_axes(0)),
    };
    if (new_axis) {
      s.push_back(sample({v({2, 3}), v({2, 3}), v({2, 3})}, "new last axis", with_axes(2)));
      s.push_back(sample({v({0, 3}), v({0, 3}), v({0, 3})}, "empty", with_axes(1)));
    } else {
      s.push_back(sample({v({1, 3}), v({0, 3}), v({2, 3})}, "different extents, one empty", with_axes(0)));
      s.push_back(sample({v({2, 1}), v({2, 2}), v({2, 3})}, "different extents on axis 1", with_axes(1)));
    }
    return s;
  };
  if (new_axis) {
    row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) { return stack({x[0], x[1], x[2]}, a.axis); };
  } else {
    row.call = [](const std::vector<Tensor>& x, const SampleArgs& a) { return concat({x[0], x[1], x[2]}, a.axis); };
  }
  return row;
}

// An op of x and an int64 index tensor (index_select, gather).
OpInfo indexing(std::string name, std::string torch_name, Make make,
                std::function<Tensor(const Tensor&, const Tensor&, const SampleArgs&)> f) {
  OpInfo row = shape_op(std::move(name), std::move(torch_name), std::move(make), {});
  row.arity = 2;
  row.differentiable = {true, false};
  row.call = [f = std::move(f)](const std::vector<Tensor>& x, const SampleArgs& a) { return f(x[0], x[1], a); };
  return row;
}

}  // namespace

std::vector<OpInfo> shape_rows() {
  std::vector<OpInfo> rows;
  rows.push_back(shape_op(
      "reshape", "torch.reshape",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({2, 3}, d, g)}, "(2, 3) to (3, 2)", with_shape({3, 2})),
            sample({values({2, 3, 2}, d, g)}, "to (-1, 4)", with_shape({-1, 4})),
            sample({values({1}, d, g)}, "(1,) to ()", with_shape({})),
            sample({values({0, 3}, d, g)}, "empty to (3, 0)", with_shape({3, 0})),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return reshape(x, a.shape); }));
  rows.push_back(shape_op(
      "permute", "torch.permute",
      [](Dtype d, Generator& g) {
        auto dims = [](std::vector<int> v) { return args([&](SampleArgs& a) { a.dims = std::move(v); }); };
        return std::vector<Sample>{
            sample({values({2, 3, 4}, d, g)}, "(2, 0, 1)", dims({2, 0, 1})),
            sample({values({2, 3}, d, g)}, "(1, 0)", dims({1, 0})),
            sample({values({2, 3, 4}, d, g)}, "negative (-1, -3, -2)", dims({-1, -3, -2})),
            sample({values({0, 3}, d, g)}, "empty", dims({1, 0})),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return permute(x, a.dims); }));
  rows.push_back(shape_op(
      "transpose", "torch.transpose",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({2, 3}, d, g)}, "the last two", with_axes(-2, -1)),
            sample({values({2, 3, 4}, d, g)}, "axes 0 and 2", with_axes(0, 2)),
            sample({values({2, 3}, d, g)}, "an axis with itself", with_axes(1, 1)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return transpose(x, a.axis, a.axis1); }));
  rows.push_back(shape_op(
      "slice", "torch.ops.aten.slice",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({5, 3}, d, g)}, "1:4", with_slice(0, 1, 4, 1)),
            sample({values({2, 7}, d, g)}, "::2 on the last axis", with_slice(-1, 0, 7, 2)),
            sample({values({5}, d, g)}, "negative bounds -4:-1", with_slice(0, -4, -1, 1)),
            sample({values({5}, d, g)}, "out of range 3:100", with_slice(0, 3, 100, 1)),
            sample({values({5}, d, g)}, "empty 3:1", with_slice(0, 3, 1, 1)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return slice(x, a.axis, a.start, a.stop, a.step); }));
  rows.push_back(indexing(
      "index_select", "torch.index_select",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({4, 3}, d, g), indices({3, 0, 3}, {3})}, "rows, one twice", with_axes(0)),
            sample({values({2, 4}, d, g), indices({1, 2}, {2})}, "columns", with_axes(-1)),
            sample({values({4, 3}, d, g), indices({}, {0})}, "no index", with_axes(0)),
        };
      },
      [](const Tensor& x, const Tensor& i, const SampleArgs& a) { return index_select(x, a.axis, i); }));
  rows.push_back(indexing(
      "gather", "torch.gather",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({3, 4}, d, g), indices({0, 3, 3, 1, 2, 0}, {3, 2})}, "axis 1, same rank", with_axes(1)),
            sample({values({3, 4}, d, g), indices({2, 0, 1}, {3})}, "class labels (rank - 1)", with_axes(-1)),
            sample({values({3, 2}, d, g), indices({1, 0, 2, 2}, {2, 2})}, "axis 0", with_axes(0)),
        };
      },
      [](const Tensor& x, const Tensor& i, const SampleArgs& a) { return gather(x, a.axis, i); }));
  rows.back().dtypes = kFloating;  // gather computes on floats only
  rows.push_back(joining("concat", "torch.cat", false));
  rows.push_back(joining("stack", "torch.stack", true));
  rows.push_back(shape_op(
      "broadcast_to", "torch.broadcast_to",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({3}, d, g)}, "(3,) to (2, 3)", with_shape({2, 3})),
            sample({values({2, 1}, d, g)}, "(2, 1) to (4, 2, 3)", with_shape({4, 2, 3})),
            sample({values({}, d, g)}, "0-d to (2, 2)", with_shape({2, 2})),
            sample({values({2, 3}, d, g)}, "the same shape", with_shape({2, 3})),
            sample({values({1, 3}, d, g)}, "to an empty batch", with_shape({0, 3})),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return broadcast_to(x, a.shape); }));
  rows.push_back(shape_op(
      "pad", "torch.nn.functional.pad",
      [](Dtype d, Generator& g) {
        auto widths = [](std::vector<std::pair<std::int64_t, std::int64_t>> w, double value) {
          return args([&](SampleArgs& a) {
            a.widths = std::move(w);
            a.scalar = value;
          });
        };
        return std::vector<Sample>{
            sample({values({2, 3}, d, g)}, "both axes", widths({{1, 0}, {2, 1}}, 0.0)),
            sample({values({2, 3}, d, g)}, "the first axis only, value 3", widths({{0, 2}}, 3.0)),
            sample({values({0, 2}, d, g)}, "an empty tensor", widths({{1, 1}}, 1.0)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return pad(x, a.widths, a.scalar); }));
  rows.push_back(shape_op(
      "flatten", "torch.flatten",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({2, 3, 4}, d, g)}, "all axes", with_axes(0, -1)),
            sample({values({2, 3, 4}, d, g)}, "from axis 1", with_axes(1, -1)),
            sample({values({2, 3, 4, 1}, d, g)}, "axes 1 to 2", with_axes(1, 2)),
            sample({values({}, d, g)}, "0-d", with_axes(0, -1)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return flatten(x, a.axis, a.axis1); }));
  rows.push_back(shape_op(
      "squeeze", "torch.squeeze",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({2, 1, 3}, d, g)}, "axis 1", with_axes(1)),
            sample({values({2, 1}, d, g)}, "axis -1", with_axes(-1)),
            sample({values({0, 1}, d, g)}, "an empty tensor", with_axes(1)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return squeeze(x, a.axis); }));
  rows.push_back(shape_op(
      "unsqueeze", "torch.unsqueeze",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{
            sample({values({2, 3}, d, g)}, "axis 0", with_axes(0)),
            sample({values({2, 3}, d, g)}, "axis -1 (a new last axis)", with_axes(-1)),
            sample({values({}, d, g)}, "0-d", with_axes(0)),
        };
      },
      [](const Tensor& x, const SampleArgs& a) { return unsqueeze(x, a.axis); }));

  // to_dtype converts to each dtype; the gradient converts back between float types.
  OpInfo to = shape_op(
      "to_dtype", "torch.Tensor.to",
      [](Dtype d, Generator& g) {
        std::vector<Sample> s;
        for (Dtype target : kAllDtypes) {
          if (d != i64 && target == i64) continue;  // int64 results have no gradient: their own row below
          s.push_back(sample({values({2, 3}, d, g)}, std::string("to ") + dtype_name(target),
                             args([&](SampleArgs& a) { a.dtype = target; })));
          // A float32 result rounds each value to 2^-24 of itself: a step of
          // 1e-6 would difference that rounding, 1e-2 differences the line.
          if (target == f32) s.back().gradcheck = {.eps = 1e-2, .atol = 1e-4};
        }
        return s;
      },
      [](const Tensor& x, const SampleArgs& a) { return to_dtype(x, a.dtype); });
  to.result_dtype = [](Dtype, const SampleArgs& a) { return a.dtype; };
  rows.push_back(std::move(to));
  OpInfo to_int = shape_op(
      "to_dtype", "torch.Tensor.to",
      [](Dtype d, Generator& g) {
        return std::vector<Sample>{sample({values({2, 3}, d, g, -100.0, 100.0)}, "to int64, truncating",
                                          args([](SampleArgs& a) { a.dtype = i64; }))};
      },
      [](const Tensor& x, const SampleArgs& a) { return to_dtype(x, a.dtype); });
  to_int.variant = "to int64";
  to_int.differentiable = {false};
  to_int.result_dtype = [](Dtype, const SampleArgs&) { return i64; };
  rows.push_back(std::move(to_int));
  return rows;
}

}  // namespace tg::test
