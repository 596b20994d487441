// Embedding: a lookup table of learned vectors, indexed by int64 tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../autodiff/creation.hpp"
#include "module.hpp"

namespace tg::nn {

/// Options of Embedding: `Embedding(10000, 128, {.padding_idx = 0})`.
struct EmbeddingOptions {
  /// The row of a padding token (negative counts from the end, as in
  /// PyTorch): it starts at zero and receives no gradient, so it stays zero
  /// under any optimizer without weight decay. Its value is still looked up
  /// as it is (set it to something else and that is what comes out).
  std::optional<std::int64_t> padding_idx = std::nullopt;
  Dtype dtype = f32;
  /// Draws the initial weights; the calling thread's default_generator()
  /// when null.
  Generator* generator = nullptr;
};

/// A table of `num_embeddings` vectors of `embedding_dim` values, looked up
/// by index: int64 indices of any shape (...) -> (..., embedding_dim), row
/// i of the output being weight[indices[i]]. The weight starts N(0, 1), as
/// in PyTorch. The lookup is index_select, so the gradient of a row is the
/// sum of the output gradients at the positions that read it.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, const EmbeddingOptions& options = {});
  /// Throws DtypeError for non-int64 indices and AxisError naming the index
  /// and the table size for an index outside [0, num_embeddings).
  Tensor forward(const Tensor& indices) override;
  std::string describe() const override;

  std::int64_t num_embeddings, embedding_dim;
  /// The padding row, in [0, num_embeddings); unset without one.
  std::optional<std::int64_t> padding_idx;
  Tensor weight;  ///< (num_embeddings, embedding_dim)
};

}  // namespace tg::nn
