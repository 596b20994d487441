// Module: registration, traversal, modes, dtype conversion, hooks, summary.
#include <doctest/doctest.h>

#include <sstream>

#include "../support.hpp"

using namespace tg;
using tg::test::check_contains;

namespace {

// A custom module as a user writes one: members registered in the constructor.
struct TwoLayer : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  Tensor scale;
  TwoLayer() : Module("TwoLayer") {
    fc1 = register_module("fc1", nn::Linear(4, 3));
    fc2 = register_module("fc2", nn::Linear(3, 2, {.bias = false}));
    scale = register_buffer("scale", full({2}, 2.0));
  }
  Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))) * scale; }
};

// Registration is public, so a test can call it from outside.
struct Bad : nn::Module {
  Bad() : Module("Bad") {}
  Tensor forward(const Tensor& x) override { return x; }
};

std::vector<std::string> names_of(const std::vector<nn::NamedTensor>& named) {
  std::vector<std::string> out;
  for (const auto& n : named) out.push_back(n.name);
  return out;
}

}  // namespace

TEST_CASE("a custom module registers parameters, buffers and submodules by dotted path") {
  TwoLayer net;
  CHECK(names_of(net.named_parameters()) == std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight"});
  CHECK(names_of(net.named_buffers()) == std::vector<std::string>{"scale"});
  CHECK(net.parameters().size() == 3);
  CHECK(net.parameters(false).empty());
  CHECK(net.parameter_count() == 4 * 3 + 3 + 3 * 2);
  const auto modules = net.named_modules();
  REQUIRE(modules.size() == 3);
  CHECK(modules[0].name == "");
  CHECK(modules[1].name == "fc1");
  CHECK(modules[2].module->type_name() == "Linear");
  // The member handle and the registry hold one tensor.
  CHECK(net.find("fc1.weight").impl() == net.fc1->weight.impl());
  CHECK(net.find("scale").impl() == net.scale.impl());
  for (const Tensor& p : net.parameters()) CHECK(p.requires_grad());
}

TEST_CASE("Sequential names its children 0, 1, ... and nests") {
  nn::Sequential inner(nn::Linear(3, 3), nn::Tanh());
  nn::Sequential model(nn::Linear(2, 3), std::make_shared<nn::Sequential>(std::move(inner)), nn::Linear(3, 1));
  CHECK(names_of(model.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "1.0.weight", "1.0.bias", "2.weight", "2.bias"});
  CHECK(model.size() == 3);
  CHECK(model[1]->type_name() == "Sequential");
  CHECK_ERROR(AxisError, model[3], "Sequential: index 3 is out of range for 3 modules");
  const Tensor y = model(ones({5, 2}));
  CHECK(y.shape() == Shape{5, 1});
}

TEST_CASE("a module shared by two parents is listed once in parameters()") {
  auto shared = std::make_shared<nn::Linear>(2, 2);
  nn::Sequential model(shared, nn::ReLU(), shared);
  CHECK(model.parameters().size() == 2);
  CHECK(model.named_parameters()[0].name == "0.weight");
}

TEST_CASE("registration refuses duplicate, dotted and empty names, non-leaves and null modules") {
  Bad bad;
  bad.register_parameter("w", zeros({2}));
  CHECK_ERROR(InvalidArgument, bad.register_parameter("w", zeros({2})), "Bad::register_parameter: 'w' is already registered");
  CHECK_ERROR(InvalidArgument, bad.register_buffer("w", zeros({2})), "Bad::register_buffer: 'w' is already registered");
  CHECK_ERROR(InvalidArgument, bad.register_parameter("a.b", zeros({2})), "the name 'a.b' must be non-empty and contain no '.'");
  CHECK_ERROR(InvalidArgument, bad.register_parameter("", zeros({2})), "must be non-empty");
  CHECK_ERROR(InvalidArgument, bad.register_parameter("u", Tensor()), "'u' is undefined");
  Tensor leaf = ones({2}).requires_grad_();
  CHECK_ERROR(GraphError, bad.register_parameter("v", leaf * 2.0), "'v' is the result of 'mul'", "detach()");
  CHECK_ERROR(InvalidArgument, bad.register_module("m", std::shared_ptr<nn::Linear>()), "'m' is null");
  CHECK_ERROR(InvalidArgument, bad.find("nope"), "Bad::find: no parameter or buffer 'nope'", "w");
}

// A module registered below itself made parameters() loop forever and
// train(false) grow memory until bad_alloc (issue 20).
TEST_CASE("registration refuses a cycle: a module as its own child, or below its own child") {
  auto a = std::make_shared<Bad>();
  CHECK_ERROR(InvalidArgument, a->register_module("self", a),
              "Bad::register_module: 'self' is this module itself", "a module cannot contain itself");
  auto b = std::make_shared<Bad>();
  auto c = std::make_shared<Bad>();
  a->register_module("b", b);
  b->register_module("c", c);
  CHECK_ERROR(InvalidArgument, c->register_module("a", a),
              "Bad::register_module: 'a' would make a cycle", "this module is already inside it as 'b.c'");
  CHECK_ERROR(InvalidArgument, b->register_module("a", a), "'a' would make a cycle", "as 'b'");
  // Nothing was registered by the refused calls: the tree is as it was.
  CHECK(c->named_children().empty());
  CHECK(a->named_modules().size() == 3);
  a->train(false);
  CHECK_FALSE(c->is_training());
  // Sharing without a cycle stays allowed: c under a and under b.
  a->register_module("c", c);
  CHECK(a->named_modules().size() == 4);
}

TEST_CASE("train() and eval() reach every submodule") {
  TwoLayer net;
  CHECK(net.is_training());
  net.eval();
  for (const auto& m : net.named_modules()) CHECK_FALSE(m.module->is_training());
  net.train();
  for (const auto& m : net.named_modules()) CHECK(m.module->is_training());
}

TEST_CASE("zero_grad drops every parameter's gradient") {
  TwoLayer net;
  sum(net(ones({3, 4}))).backward();
  for (const Tensor& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("to(float64) converts parameters and buffers in place; handles stay valid") {
  TwoLayer net;
  const Tensor handle = net.fc1->weight;
  const std::vector<float> before = handle.to_vector<float>();
  const Tensor y32 = net(ones({2, 4}));
  net.to(f64);
  CHECK(net.dtype() == f64);
  CHECK(handle.dtype() == f64);
  CHECK(net.scale.dtype() == f64);
  for (const Tensor& p : net.parameters()) CHECK(p.requires_grad());
  const std::vector<double> after = handle.to_vector<double>();
  for (std::size_t i = 0; i < before.size(); ++i) CHECK(after[i] == static_cast<double>(before[i]));
  const Tensor y64 = net(ones({2, 4}, f64));
  CHECK(y64.dtype() == f64);
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(y64.to_vector<double>()[i] == doctest::Approx(y32.to_vector<double>()[i]).epsilon(1e-6));
  net.to(f32);
  CHECK(handle.dtype() == f32);
  CHECK(handle.to_vector<float>() == before);
  CHECK_ERROR(DtypeError, net.to(i64), "TwoLayer::to: modules hold float32 or float64 values, got int64");
}

TEST_CASE("forward hooks see each call's module, input and output, until removed") {
  nn::Sequential model(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2));
  std::vector<std::string> seen;
  std::vector<Shape> shapes;
  std::vector<nn::HookHandle> handles;
  for (const auto& m : model.named_modules()) {
    handles.push_back(m.module->register_forward_hook([&](const nn::Module& mod, const Tensor& in, const Tensor& out) {
      seen.push_back(mod.type_name());
      shapes.push_back(in.shape());
      shapes.push_back(out.shape());
    }));
  }
  model(zeros({5, 3}));
  CHECK(seen == std::vector<std::string>{"Linear", "ReLU", "Linear", "Sequential"});
  CHECK(shapes == std::vector<Shape>{{5, 3}, {5, 4}, {5, 4}, {5, 4}, {5, 4}, {5, 2}, {5, 3}, {5, 2}});
  for (auto& h : handles) h.remove();
  handles.front().remove();  // twice: harmless
  seen.clear();
  model(zeros({5, 3}));
  CHECK(seen.empty());
}

TEST_CASE("a hook may remove itself while it runs, and a handle may outlive its module") {
  nn::HookHandle outlives;
  int calls = 0;
  {
    nn::ReLU relu_layer;
    nn::HookHandle self;
    self = relu_layer.register_forward_hook([&](const nn::Module&, const Tensor&, const Tensor&) {
      ++calls;
      self.remove();
    });
    relu_layer(ones({1}));
    relu_layer(ones({1}));
    outlives = relu_layer.register_forward_hook([](const nn::Module&, const Tensor&, const Tensor&) {});
  }
  CHECK(calls == 1);
  outlives.remove();
}

TEST_CASE("summary: each layer's output shape and parameter count, and the totals") {
  nn::Sequential model(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(), nn::Linear(128, 10));
  const std::string s = model.summary({1, 784});
  INFO(s);
  check_contains(s, {"Sequential, input (1, 784)", "Layer (type)", "Output shape", "Param #", "0 (Linear)",
                     "(1, 256)", "200,960", "1 (ReLU)", "2 (Linear)", "(1, 128)", "32,896", "4 (Linear)", "(1, 10)",
                     "1,290", "Total params: 235,146", "Trainable params: 235,146", "Non-trainable params: 0"});
  // The summary runs in eval mode without recording and restores the mode.
  CHECK(model.is_training());
  CHECK(model.summary({32, 784}).find("(32, 10)") != std::string::npos);
}

TEST_CASE("summary of a nested CNN indents the children and marks modules never called") {
  struct Net : nn::Module {
    std::shared_ptr<nn::Sequential> features;
    std::shared_ptr<nn::Linear> head, unused;
    Net() : Module("Net") {
      features = register_module("features", nn::Sequential(nn::Conv2d(1, 8, 3, {.padding = 1}), nn::ReLU(),
                                                            nn::MaxPool2d(2), nn::Flatten()));
      head = register_module("head", nn::Linear(8 * 14 * 14, 10));
      unused = register_module("unused", nn::Linear(2, 2));
    }
    Tensor forward(const Tensor& x) override { return (*head)((*features)(x)); }
  } net;
  const std::string s = net.summary({2, 1, 28, 28});
  INFO(s);
  check_contains(s, {"features (Sequential)", "  features.0 (Conv2d)", "(2, 8, 28, 28)", "80", "features.2 (MaxPool2d)",
                     "(2, 8, 14, 14)", "features.3 (Flatten)", "(2, 1568)", "head (Linear)", "(2, 10)", "15,690",
                     "unused (Linear)", "(not called)", "Total params: 15,776"});
}

TEST_CASE("summary reports a shape error of the forward pass and leaves the model as it was") {
  nn::Sequential model(nn::Linear(4, 2), nn::Dropout(0.5));
  CHECK_ERROR(ShapeError, model.summary({1, 5}), "Linear(4 -> 2): expected an input (..., 4)", "got (1, 5)");
  CHECK(model.is_training());
  model(ones({1, 4}));  // no hook left behind: would throw on a dangling reference otherwise
}

TEST_CASE("a module prints as its tree") {
  nn::Sequential model(nn::Linear(2, 3, {.bias = false}), nn::LeakyReLU(0.2), nn::Dropout(0.25));
  std::ostringstream out;
  out << model;
  CHECK(out.str() == "Sequential\n  (0): Linear(2 -> 3, no bias)\n  (1): LeakyReLU(slope = 0.2)\n  (2): Dropout(p = 0.25)\n");
}

TEST_CASE("summary of a model that takes indices, from an example input") {
  nn::Sequential model(nn::Embedding(10, 4), nn::Flatten(), nn::Linear(12, 2));
  const std::string s = model.summary(zeros({2, 3}, i64));
  INFO(s);
  check_contains(s, {"input (2, 3)", "0 (Embedding)", "(2, 3, 4)", "40", "1 (Flatten)", "(2, 12)", "(2, 2)", "Total params: 66"});
  CHECK_ERROR(InvalidArgument, model.summary(Tensor()), "Sequential::summary: the example input is undefined");
}

TEST_CASE("hooks and model gradchecks refuse what they cannot use") {
  nn::ReLU relu_layer;
  CHECK_ERROR(InvalidArgument, relu_layer.register_forward_hook(nullptr), "ReLU::register_forward_hook: the hook is empty");
  CHECK_ERROR(InvalidArgument, nn::gradcheck(relu_layer, [] { return scalar(0.0, f64); }), "nn::gradcheck: ReLU has no trainable parameters to check");
  nn::Linear layer(2, 2);
  CHECK_ERROR(InvalidArgument, nn::gradcheck(layer, nullptr), "nn::gradcheck: the loss function is empty");
}

TEST_CASE("register_full_backward_hook sees the gradients in and out of a call, and may replace grad_input") {
  Generator gen(3);
  nn::Linear layer(3, 2, {.dtype = f64, .generator = &gen});
  const Tensor w = from_vector(std::vector<double>{1, 2, 3, 4}, Shape{2, 2}, f64);
  Tensor x = randn({2, 3}, gen, f64).requires_grad_();
  Tensor seen_in, seen_out;
  int calls = 0;
  RemovableHandle handle = layer.register_full_backward_hook(
      [&](const nn::Module& m, const Tensor& grad_input, const Tensor& grad_output) {
        ++calls;
        CHECK(m.type_name() == "Linear");
        seen_in = grad_input;
        seen_out = grad_output;
        return grad_input.defined() ? grad_input * 0.0 : Tensor();  // nothing flows on to x
      });
  const Tensor y = layer(x);
  sum(y * w).backward();
  CHECK(calls == 1);
  test::check_values(seen_out, w.to_vector<double>());
  test::check_values(seen_in, matmul(w, layer.weight.detach()).to_vector<double>());
  test::check_values(x.grad(), std::vector<double>(6, 0.0));
  test::check_values(layer.bias.grad(), {4, 6});  // the parameters' gradients are untouched

  // An input that needs no gradient: grad_input is undefined, grad_output is there.
  calls = 0;
  sum(layer(x.detach())).backward();
  CHECK(calls == 1);
  CHECK_FALSE(seen_in.defined());
  test::check_values(seen_out, {1, 1, 1, 1});

  handle.remove();
  sum(layer(x)).backward();
  CHECK(calls == 1);
  CHECK_THROWS_AS(layer.register_full_backward_hook(nn::BackwardHook()), InvalidArgument);
}
