// The op table's network primitives (nn_ops.hpp): unfold and fold, the
// convolutions, lstm_cell, softmax and log_softmax, pooling and dropout.
#include <functional>

#include "samples.hpp"

namespace tg::test {

namespace {

OpInfo network_op(std::string name, std::string torch_name, int arity, SampleGenerator samples, OpCall call) {
  OpInfo row;
  row.name = row.error_name = std::move(name);
  row.torch_name = std::move(torch_name);
  row.arity = arity;
  row.dtypes = kFloating;
  row.differentiable.assign(static_cast<std::size_t>(arity), true);
  row.samples = std::move(samples);
  row.call = std::move(call);
  return row;
}

template <class Set>
SampleArgs args(Set set) {
  SampleArgs a;
  set(a);
  return a;
}

SampleArgs window(Extent2 kernel, Conv2dOptions options = {}) {
  return args([&](SampleArgs& a) {
    a.kernel = kernel;
    a.conv = options;
  });
}

OpInfo conv2d_row(bool bias) {
  OpInfo row = network_op(
      "conv2d", "torch.nn.functional.conv2d", bias ? 3 : 2,
      [bias](Dtype d) {
        Generator g(kSampleSeed);
        auto with_bias = [&](std::vector<Tensor> x, std::int64_t out) {
          if (bias) x.push_back(values({out}, d, g));
          return x;
        };
        auto opts = [](Conv2dOptions o) { return args([&](SampleArgs& a) { a.conv = o; }); };
        return std::vector<Sample>{
            sample(with_bias({values({2, 2, 4, 4}, d, g), values({3, 2, 2, 2}, d, g)}, 3), "3x4x4, kernel 2"),
            sample(with_bias({values({1, 1, 5, 4}, d, g), values({2, 1, 3, 2}, d, g)}, 2),
                   "stride (2, 1), padding 1", opts({.stride = {2, 1}, .padding = 1})),
            sample(with_bias({values({1, 2, 5, 5}, d, g), values({1, 2, 2, 2}, d, g)}, 1), "dilation 2",
                   opts({.dilation = 2})),
            sample(with_bias({values({0, 2, 3, 3}, d, g), values({2, 2, 2, 2}, d, g)}, 2), "empty batch"),
        };
      },
      [bias](const std::vector<Tensor>& x, const SampleArgs& a) {
        return conv2d(x[0], x[1], bias ? x[2] : Tensor(), a.conv);
      });
  row.variant = bias ? "" : "no bias";
  if (bias) row.optional_inputs = {2};
  return row;
}

OpInfo conv1d_row(bool bias) {
  OpInfo row = network_op(
      "conv1d", "torch.nn.functional.conv1d", bias ? 3 : 2,
      [bias](Dtype d) {
        Generator g(kSampleSeed);
        auto with_bias = [&](std::vector<Tensor> x, std::int64_t out) {
          if (bias) x.push_back(values({out}, d, g));
          return x;
        };
        auto opts = [](Conv1dOptions o) { return args([&](SampleArgs& a) { a.conv1 = o; }); };
        return std::vector<Sample>{
            sample(with_bias({values({2, 2, 5}, d, g), values({3, 2, 2}, d, g)}, 3), "length 5, kernel 2"),
            sample(with_bias({values({1, 1, 6}, d, g), values({2, 1, 3}, d, g)}, 2), "stride 2, padding 1, dilation 2",
                   opts({.stride = 2, .padding = 1, .dilation = 2})),
            sample(with_bias({values({0, 2, 4}, d, g), values({1, 2, 2}, d, g)}, 1), "empty batch"),
        };
      },
      [bias](const std::vector<Tensor>& x, const SampleArgs& a) {
        return conv1d(x[0], x[1], bias ? x[2] : Tensor(), a.conv1);
      });
  row.variant = bias ? "" : "no bias";
  if (bias) row.optional_inputs = {2};
  return row;
}

OpInfo lstm_cell_row(bool with_state) {
  OpInfo row = network_op(
      "lstm_cell", "torch.lstm_cell", with_state ? 2 : 1,
      [with_state](Dtype d) {
        Generator g(kSampleSeed);
        auto inputs = [&](std::int64_t n, std::int64_t h) {
          std::vector<Tensor> x = {values({n, 4 * h}, d, g)};
          if (with_state) x.push_back(values({n, h}, d, g));
          return x;
        };
        return std::vector<Sample>{sample(inputs(2, 3), "N 2, H 3"), sample(inputs(1, 1), "N 1, H 1"),
                                   sample(inputs(0, 2), "empty batch")};
      },
      [with_state](const std::vector<Tensor>& x, const SampleArgs&) {
        return lstm_cell(x[0], with_state ? x[1] : Tensor());
      });
  row.variant = with_state ? "" : "zero state";
  if (with_state) row.optional_inputs = {1};
  return row;
}

OpInfo softmax_row(bool log) {
  return network_op(
      log ? "log_softmax" : "softmax", log ? "torch.nn.functional.log_softmax" : "torch.nn.functional.softmax", 1,
      [](Dtype d) {
        Generator g(kSampleSeed);
        auto along = [](int axis, double t) {
          return args([&](SampleArgs& a) {
            a.axis = axis;
            a.scalar = t;
          });
        };
        return std::vector<Sample>{
            sample({values({2, 3}, d, g)}, "last axis", along(-1, 1.0)),
            sample({values({2, 3, 2}, d, g)}, "axis 1, temperature 2", along(1, 2.0)),
            sample({values({4}, d, g, -30, 30)}, "large values, temperature 0.5", along(0, 0.5)),
            sample({values({0, 3}, d, g)}, "empty batch", along(-1, 1.0)),
        };
      },
      [log](const std::vector<Tensor>& x, const SampleArgs& a) {
        return log ? log_softmax(x[0], a.axis, a.scalar) : softmax(x[0], a.axis, a.scalar);
      });
}

OpInfo pool_row(bool max) {
  return network_op(
      max ? "max_pool2d" : "avg_pool2d", max ? "torch.nn.functional.max_pool2d" : "torch.nn.functional.avg_pool2d", 1,
      [max](Dtype d) {
        Generator g(kSampleSeed);
        auto pool = [max](Extent2 k, PoolStride stride, Extent2 padding, bool flag) {
          return args([&](SampleArgs& a) {
            a.kernel = k;
            if (max) a.max_pool = {.stride = stride, .padding = padding, .dilation = flag ? 2 : 1};
            else a.avg_pool = {.stride = stride, .padding = padding, .count_include_pad = !flag};
          });
        };
        return std::vector<Sample>{
            sample({values({2, 2, 4, 4}, d, g)}, "kernel 2", pool(2, {}, 0, false)),
            sample({values({1, 1, 5, 5}, d, g)}, "kernel 3, stride 2, padding 1", pool(3, 2, 1, false)),
            sample({values({1, 2, 5, 4}, d, g)}, max ? "dilation 2" : "padding excluded from the count",
                   pool({2, 2}, 1, 1, true)),
            sample({values({0, 1, 4, 4}, d, g)}, "empty batch", pool(2, {}, 0, false)),
        };
      },
      [max](const std::vector<Tensor>& x, const SampleArgs& a) {
        return max ? max_pool2d(x[0], a.kernel, a.max_pool) : avg_pool2d(x[0], a.kernel, a.avg_pool);
      });
}

}  // namespace

std::vector<OpInfo> network_rows() {
  std::vector<OpInfo> rows;
  rows.push_back(network_op(
      "unfold", "torch.nn.functional.unfold", 1,
      [](Dtype d) {
        Generator g(kSampleSeed);
        return std::vector<Sample>{
            sample({values({2, 2, 3, 3}, d, g)}, "kernel 2", window(2)),
            sample({values({1, 1, 4, 5}, d, g)}, "kernel (2, 3), stride 2, padding 1",
                   window({2, 3}, {.stride = 2, .padding = 1})),
            sample({values({1, 1, 5, 5}, d, g)}, "dilation 2", window(2, {.dilation = 2})),
            sample({values({0, 1, 3, 3}, d, g)}, "empty batch", window(2)),
        };
      },
      [](const std::vector<Tensor>& x, const SampleArgs& a) { return unfold(x[0], a.kernel, a.conv); }));
  rows.push_back(network_op(
      "fold", "torch.nn.functional.fold", 1,
      [](Dtype d) {
        Generator g(kSampleSeed);
        auto into = [](Extent2 out, Extent2 kernel, Conv2dOptions o = {}) {
          SampleArgs a = window(kernel, o);
          a.output_size = out;
          return a;
        };
        return std::vector<Sample>{
            sample({values({2, 2 * 4, 4}, d, g)}, "3x3 from kernel 2", into(3, 2)),
            sample({values({1, 6, 9}, d, g)}, "(4, 5) from kernel (2, 3), stride 2, padding 1",
                   into({4, 5}, {2, 3}, {.stride = 2, .padding = 1})),
            sample({values({0, 4, 4}, d, g)}, "empty batch", into(3, 2)),
        };
      },
      [](const std::vector<Tensor>& x, const SampleArgs& a) {
        return fold(x[0], a.output_size, a.kernel, a.conv);
      }));
  rows.push_back(conv2d_row(true));
  rows.push_back(conv2d_row(false));
  rows.push_back(conv1d_row(true));
  rows.push_back(conv1d_row(false));
  rows.push_back(lstm_cell_row(true));
  rows.push_back(lstm_cell_row(false));
  rows.push_back(softmax_row(false));
  rows.push_back(softmax_row(true));
  rows.push_back(pool_row(true));
  rows.push_back(pool_row(false));
  // The mask comes from a generator seeded alike on every call, so the op is
  // a fixed function of x that gradcheck can differentiate numerically.
  rows.push_back(network_op(
      "dropout", "torch.nn.functional.dropout", 1,
      [](Dtype d) {
        Generator g(kSampleSeed);
        auto p = [](double prob, bool training) {
          return args([&](SampleArgs& a) {
            a.scalar = prob;
            a.flag_a = training;
          });
        };
        return std::vector<Sample>{
            sample({values({4, 5}, d, g)}, "p 0.3", p(0.3, true)),
            sample({values({3}, d, g)}, "p 1 (zeros)", p(1.0, true)),
            sample({values({3}, d, g)}, "p 0 (x itself)", p(0.0, true)),
            sample({values({2, 2}, d, g)}, "eval", p(0.5, false)),
            sample({values({0, 2}, d, g)}, "empty", p(0.5, true)),
        };
      },
      [](const std::vector<Tensor>& x, const SampleArgs& a) {
        Generator gen(kSampleSeed);
        return dropout(x[0], a.scalar, gen, a.flag_a);
      }));
  return rows;
}

}  // namespace tg::test
