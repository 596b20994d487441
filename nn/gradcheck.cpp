#include "tapegrad/nn/gradcheck.hpp"

#include "tapegrad/autodiff/errors.hpp"

namespace tg::nn {

namespace {

// Converts the model back to its dtype when the check ends, even by an
// exception.
class DtypeRestore {
 public:
  DtypeRestore(Module& model, Dtype dtype) : model_(model), dtype_(dtype) {}
  ~DtypeRestore() {
    try {
      model_.to(dtype_);
    } catch (...) {  // a destructor must not throw; to() only throws for a non-float dtype
    }
  }

 private:
  Module& model_;
  Dtype dtype_;
};

}  // namespace

GradcheckReport gradcheck(Module& model, const std::function<Tensor()>& loss, GradcheckOptions options) {
  if (!loss) throw InvalidArgument("nn::gradcheck: the loss function is empty");
  std::vector<NamedTensor> named;
  for (NamedTensor& p : model.named_parameters()) {
    if (p.tensor.requires_grad()) named.push_back(std::move(p));
  }
  if (named.empty()) {
    throw InvalidArgument("nn::gradcheck: " + model.type_name() + " has no trainable parameters to check");
  }
  DtypeRestore restore(model, model.dtype());
  model.to(f64);
  std::vector<Tensor> leaves;
  std::vector<std::string> names;
  std::vector<std::size_t> checked;
  for (const NamedTensor& p : named) {
    checked.push_back(leaves.size());
    leaves.push_back(p.tensor);
    names.push_back(p.name);
  }
  return detail::gradcheck_leaves([&](const std::vector<Tensor>&) { return loss(); }, leaves, checked, options,
                                  names);
}

}  // namespace tg::nn
