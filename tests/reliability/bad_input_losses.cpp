// The bad-input cases of the losses, the initializers and nn::activation:
// the functions of nn/ that take tensors (or names) rather than build layers.
#include <cstdint>

#include "bad_input.hpp"

namespace tg::test {

namespace nn = tg::nn;

std::vector<BadInputCase> loss_and_init_cases() {
  std::vector<BadInputCase> cases;
  // nn::activation is a function of activation.hpp, listed with the ops.
  cases.push_back({"activation", [] {
    CHECK_ERROR(InvalidArgument, nn::activation("relu6"), "activation", "relu6", "known: identity");
    CHECK_ERROR(InvalidArgument, nn::activation(""), "activation", "''");
  }});

  using Elementwise = std::function<Tensor(const Tensor&, const Tensor&, nn::Reduction)>;
  const std::vector<std::pair<std::string, Elementwise>> elementwise = {
      {"mse_loss", [](const Tensor& p, const Tensor& t, nn::Reduction r) { return nn::mse_loss(p, t, r); }},
      {"l1_loss", [](const Tensor& p, const Tensor& t, nn::Reduction r) { return nn::l1_loss(p, t, r); }},
      {"huber_loss", [](const Tensor& p, const Tensor& t, nn::Reduction r) { return nn::huber_loss(p, t, 1.0, r); }},
      {"binary_cross_entropy",
       [](const Tensor& p, const Tensor& t, nn::Reduction r) { return nn::binary_cross_entropy(p, t, r); }},
      {"binary_cross_entropy_with_logits",
       [](const Tensor& p, const Tensor& t, nn::Reduction r) { return nn::binary_cross_entropy_with_logits(p, t, r); }},
  };
  const auto mean = nn::Reduction::mean, none = nn::Reduction::none, total = nn::Reduction::sum;
  for (const auto& [name, loss] : elementwise) {
    cases.push_back({name, [=, name = name, loss = loss] {
      const Tensor half = full({4}, 0.5);
      CHECK_ERROR(InvalidArgument, loss(Tensor(), half, mean), name, "undefined");
      CHECK_ERROR(InvalidArgument, loss(half, Tensor(), mean), name, "target", "undefined");
      CHECK_ERROR(DtypeError, loss(half, i64_tensor({0, 1, 0, 1}, {4}), mean), name, "int64");
      CHECK_ERROR(DtypeError, loss(half, full({4}, 0.5, f64), mean), name, "float32", "float64");
      CHECK_ERROR(ShapeError, loss(full({4, 1}, 0.5), half, mean), name, "(4, 1)", "(4,)", "same shape");
      CHECK_ERROR(InvalidArgument, loss(half, half, static_cast<nn::Reduction>(7)), name, "reduction 7");
      // No samples: the sum is 0, a mean of nothing is an error naming the loss.
      check_values_nan(loss(zeros({0}), zeros({0}), total), {0});
      check_shape(loss(zeros({0, 2}), zeros({0, 2}), none), {0, 2});
      CHECK_ERROR(ShapeError, loss(zeros({0}), zeros({0}), mean), name, "no elements", "(0,)");
      check_all_nan(loss(half, tensor({kNaN, 0, 1, 0}), mean));
    }});
  }
  cases.push_back({"huber_loss", [] {
    CHECK_OP_ERROR(InvalidArgument, nn::huber_loss(ones({2}), ones({2}), 0.0), "huber_loss", "delta");
    CHECK_OP_ERROR(InvalidArgument, nn::huber_loss(ones({2}), ones({2}), kNaN), "huber_loss", "delta");
  }});
  cases.push_back({"mse_loss", [] { check_values_nan(nn::mse_loss(tensor({kInf}), tensor({kInf})), {kNaN}); }});
  cases.push_back({"binary_cross_entropy", [] {
    CHECK_OP_ERROR(InvalidArgument, nn::binary_cross_entropy(tensor({kNaN, 0.5}), ones({2})), "binary_cross_entropy", "[0, 1]", "nan");
    CHECK_OP_ERROR(InvalidArgument, nn::binary_cross_entropy(tensor({1.5}), ones({1})), "binary_cross_entropy", "1.5", "logits");
  }});
  cases.push_back({"binary_cross_entropy_with_logits", [] {
    // Stable at any finite magnitude; NaN stays NaN.
    check_values_nan(nn::binary_cross_entropy_with_logits(tensor({kNaN, 1e30, -1e30}, f64), tensor({1, 1, 0}, f64), none),
                     {kNaN, 0, 0});
  }});
  using Classified = std::function<Tensor(const Tensor&, const Tensor&, nn::Reduction)>;
  const std::vector<std::pair<std::string, Classified>> classified = {
      {"cross_entropy", [](const Tensor& x, const Tensor& y, nn::Reduction r) { return nn::cross_entropy(x, y, r); }},
      {"nll_loss", [](const Tensor& x, const Tensor& y, nn::Reduction r) { return nn::nll_loss(x, y, r); }},
  };
  for (const auto& [name, loss] : classified) {
    cases.push_back({name, [=, name = name, loss = loss] {
      const Tensor labels = i64_tensor({0, 2}, {2});
      CHECK_ERROR(InvalidArgument, loss(Tensor(), labels, mean), name, "undefined");
      CHECK_ERROR(InvalidArgument, loss(ones({2, 3}), Tensor(), mean), name, "labels", "undefined");
      CHECK_ERROR(DtypeError, loss(i64_tensor({0, 0}, {1, 2}), labels, mean), name, "int64");
      CHECK_ERROR(ShapeError, loss(ones({3}), labels, mean), name, "(N, C)", "(3,)");
      CHECK_ERROR(ShapeError, loss(ones({2, 0}), labels, mean), name, "no classes");
      CHECK_ERROR(ShapeError, loss(ones({2, 3}), i64_tensor({0, 1}, {2, 1}), mean), name, "(2, 1)");
      CHECK_ERROR(DtypeError, loss(ones({2, 3}), tensor({0.0, 1.0}), mean), name, "int64", "float32");
      CHECK_ERROR(InvalidArgument, loss(ones({2, 3}), i64_tensor({0, 3}, {2}), mean), name, "label 3", "3 classes");
      CHECK_ERROR(InvalidArgument, loss(ones({2, 3}), i64_tensor({-1, 0}, {2}), mean), name, "label -1");
      CHECK_ERROR(InvalidArgument, loss(ones({2, 3}), labels, static_cast<nn::Reduction>(-1)), name, "reduction");
      // A zero-size batch: nothing summed is 0; no mean to take.
      const Tensor none_labels = i64_tensor({}, {0});
      check_values_nan(loss(zeros({0, 3}), none_labels, total), {0});
      check_shape(loss(zeros({0, 3}), none_labels, none), {0});
      const Tensor no_scores = zeros({0, 3}).requires_grad_();
      check_zero_grad(loss(no_scores, none_labels, total), no_scores);
      CHECK_ERROR(ShapeError, loss(zeros({0, 3}), none_labels, mean), name, "no elements");
      // A NaN score spoils its sample's loss and no other.
      const std::vector<double> per_sample = loss(tensor({kNaN, 0, 0, 0, 0, 0}, {2, 3}, f64), labels, none).to_vector<double>();
      CHECK(std::isnan(per_sample[0]));
      CHECK(!std::isnan(per_sample[1]));
    }});
  }
  cases.push_back({"cross_entropy", [] {
    CHECK_OP_ERROR(InvalidArgument, nn::cross_entropy(ones({2, 3}), i64_tensor({0, 1}, {2}), nn::Reduction::mean, 1.5), "cross_entropy", "label_smoothing");
    CHECK_OP_ERROR(DtypeError, nn::cross_entropy(ones({2, 3}), ones({2, 3}, f64)), "cross_entropy", "float32", "float64");
    check_all_nan(nn::cross_entropy(ones({1, 2}), tensor({kNaN, 1}, {1, 2})));
  }});

  // Initializers.
  Generator gen(5);
  using Init = std::function<Tensor(Tensor, Generator&)>;
  const std::vector<std::pair<std::string, Init>> fan_based = {
      {"glorot_normal_", [](Tensor t, Generator& g) { return nn::init::glorot_normal_(std::move(t), g); }},
      {"glorot_uniform_", [](Tensor t, Generator& g) { return nn::init::glorot_uniform_(std::move(t), g); }},
      {"xavier_normal_", [](Tensor t, Generator& g) { return nn::init::xavier_normal_(std::move(t), g); }},
      {"xavier_uniform_", [](Tensor t, Generator& g) { return nn::init::xavier_uniform_(std::move(t), g); }},
      {"he_normal_", [](Tensor t, Generator& g) { return nn::init::he_normal_(std::move(t), g); }},
      {"he_uniform_", [](Tensor t, Generator& g) { return nn::init::he_uniform_(std::move(t), g); }},
      {"kaiming_normal_", [](Tensor t, Generator& g) { return nn::init::kaiming_normal_(std::move(t), g); }},
      {"kaiming_uniform_", [](Tensor t, Generator& g) { return nn::init::kaiming_uniform_(std::move(t), g); }},
      {"lecun_normal_", [](Tensor t, Generator& g) { return nn::init::lecun_normal_(std::move(t), g); }},
      {"lecun_uniform_", [](Tensor t, Generator& g) { return nn::init::lecun_uniform_(std::move(t), g); }},
  };
  for (const auto& [name, init] : fan_based) {
    // The aliases report the function they call.
    const std::string reported = name.starts_with("xavier") ? "glorot" + name.substr(6)
                                 : name.starts_with("kaiming") ? "he" + name.substr(7)
                                                               : name;
    cases.push_back({name, [=, init = init]() mutable {
      CHECK_ERROR(InvalidArgument, init(Tensor(), gen), reported, "undefined");
      CHECK_ERROR(DtypeError, init(i64_tensor({1}, {1, 1}), gen), reported, "int64");
      CHECK_ERROR(ShapeError, init(zeros({3}), gen), reported, "rank >= 2", "(3,)");
      check_shape(init(zeros({0, 3}), gen), {0, 3});
      check_shape(init(zeros({2, 3, 0, 0}), gen), {2, 3, 0, 0});
    }});
  }
  cases.push_back({"fans", [] {
    CHECK_OP_ERROR(ShapeError, nn::init::fans({3}), "fans", "rank >= 2", "(3,)");
    CHECK(nn::init::fans({0, 0}).in == 0);
  }});
  cases.push_back({"zeros_", [] {
    CHECK_OP_ERROR(InvalidArgument, nn::init::zeros_(Tensor()), "zeros_", "undefined");
    CHECK_OP_ERROR(DtypeError, nn::init::zeros_(i64_tensor({1}, {1})), "zeros_", "int64");
    check_values_nan(nn::init::zeros_(full({2}, kNaN)), {0, 0});
  }});
  cases.push_back({"constant_", [] {
    CHECK_OP_ERROR(DtypeError, nn::init::constant_(i64_tensor({1}, {1}), 2), "constant_", "int64");
    check_shape(nn::init::constant_(zeros({0}), 1), {0});
  }});
  cases.push_back({"uniform_", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, nn::init::uniform_(Tensor(), 0, 1, gen), "uniform_", "undefined");
    CHECK_OP_ERROR(InvalidArgument, nn::init::uniform_(zeros({2}), 1, 0, gen), "uniform_", "lo <= hi", "(2,)");
    CHECK_OP_ERROR(InvalidArgument, nn::init::uniform_(zeros({2}), kNaN, 0, gen), "uniform_", "nan");
  }});
  cases.push_back({"normal_", [gen]() mutable {
    CHECK_OP_ERROR(DtypeError, nn::init::normal_(i64_tensor({1}, {1}), 0, 1, gen), "normal_", "int64");
    CHECK_OP_ERROR(InvalidArgument, nn::init::normal_(zeros({2}), 0, -1, gen), "normal_", "std", "(2,)");
    CHECK_OP_ERROR(InvalidArgument, nn::init::normal_(zeros({2}), kInf, 1, gen), "normal_", "mean");
  }});
  cases.push_back({"by_name", [gen]() mutable {
    CHECK_OP_ERROR(InvalidArgument, nn::init::by_name("he"), "by_name", "'he'", "known:");
    Tensor bias = zeros({3});
    const nn::init::Initializer init = nn::init::by_name("he_normal");
    CHECK_ERROR(ShapeError, init(bias, gen), "he_normal_", "(3,)");
  }});
  return cases;
}

}  // namespace tg::test
