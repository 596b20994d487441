// Embedding: index_select on the table; the padding row's gradient is
// blocked with a taped where().
#include "tapegrad/nn/embedding.hpp"

#include <algorithm>
#include <vector>

#include "tapegrad/autodiff/dispatch.hpp"
#include "tapegrad/autodiff/errors.hpp"
#include "tapegrad/autodiff/ops.hpp"

namespace tg::nn {

Embedding::Embedding(std::int64_t num, std::int64_t dim, const EmbeddingOptions& options)
    : Module("Embedding"), num_embeddings(num), embedding_dim(dim) {
  if (num <= 0 || dim <= 0) {
    throw InvalidArgument("Embedding: num_embeddings and embedding_dim must be positive, got " + std::to_string(num) +
                          " and " + std::to_string(dim));
  }
  if (!is_floating(options.dtype)) {
    throw DtypeError("Embedding(" + describe() + "): the table holds float32 or float64 values, got dtype " +
                     dtype_name(options.dtype));
  }
  if (options.padding_idx) {
    const std::int64_t p = *options.padding_idx;
    if (p < -num || p >= num) {
      throw InvalidArgument("Embedding(" + describe() + "): padding_idx must be within num_embeddings, in [" +
                            std::to_string(-num) + ", " + std::to_string(num) + "), got " + std::to_string(p));
    }
    padding_idx = p < 0 ? p + num : p;
  }
  Tensor table = randn({num, dim}, options.generator ? *options.generator : default_generator(), options.dtype);
  if (padding_idx) {
    dispatch_floating(options.dtype, "Embedding", [&]<class T>() {
      std::fill_n(table.mutable_data<T>() + *padding_idx * dim, dim, T{0});
    });
  }
  weight = register_parameter("weight", table);
}

Tensor Embedding::forward(const Tensor& indices) {
  const std::string layer = "Embedding(" + describe() + ")";
  if (!indices.defined()) throw InvalidArgument(layer + ": the indices are undefined");
  if (indices.dtype() != i64) {
    throw DtypeError(layer + ": indices must be int64, got " + std::string(dtype_name(indices.dtype())) +
                     " of shape " + indices.shape().str());
  }
  if (indices.rank() >= kMaxRank) {
    throw ShapeError(layer + ": indices of rank at most " + std::to_string(kMaxRank - 1) +
                     " (the output adds an axis), got " + indices.shape().str());
  }
  const std::int64_t count = indices.numel();
  const std::int64_t* index = indices.data<std::int64_t>();
  bool reads_padding = false;
  for (std::int64_t i = 0; i < count; ++i) {
    if (index[i] < 0 || index[i] >= num_embeddings) {
      throw AxisError(layer + ": index " + std::to_string(index[i]) + " (at position " + std::to_string(i) +
                      " of indices " + indices.shape().str() + ") is out of range for a table of " +
                      std::to_string(num_embeddings) + " embeddings (valid: 0 to " +
                      std::to_string(num_embeddings - 1) + ")");
    }
    reads_padding = reads_padding || (padding_idx && index[i] == *padding_idx);
  }
  // (...) -> (count,) -> (count, dim) -> (..., dim)
  Tensor rows = index_select(weight, 0, reshape(indices, {count}));
  if (reads_padding && rows.requires_grad()) {
    // The same values, but rows read from the padding entry pass no gradient
    // back: where() sends the gradient to its detached operand there.
    std::vector<double> keep(static_cast<std::size_t>(count), 1.0);
    for (std::int64_t i = 0; i < count; ++i) {
      if (index[i] == *padding_idx) keep[static_cast<std::size_t>(i)] = 0.0;
    }
    rows = where(from_vector(keep, {count, 1}, weight.dtype()), rows, rows.detach());
  }
  Shape out = indices.shape();
  out.push_back(embedding_dim);
  return reshape(rows, out);
}

std::string Embedding::describe() const {
  std::string out = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
  if (padding_idx) out += ", padding_idx = " + std::to_string(*padding_idx);
  return out;
}

}  // namespace tg::nn
