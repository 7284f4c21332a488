-- nn.EmbeddingBag(num_embeddings, embedding_dim [, {max_norm =, norm_type =
-- 2, mode = 'mean', include_last_offset = false, padding_idx =}]): the sum,
-- mean or max of each bag of embeddings (F.embedding_bag), without the
-- (B, n, D) intermediate of Embedding followed by a reduction.
-- bag(input [, offsets, per_sample_weights]): input (B, n), or 1-D with
-- 1-based offsets (B).
local Module = require("nn.Module")
local F = require("nn.functional")
local Embedding = require("nn.Embedding")

local EmbeddingBag = Module:extend("EmbeddingBag", Module.with_dtype({
  { "num_embeddings", "integer", min = 1 },
  { "embedding_dim", "integer", min = 1 },
  { "max_norm", "number", optional = true, min = 0 },
  { "norm_type", "number", default = 2.0 },
  { "scale_grad_by_freq", "boolean", default = false },
  { "mode", "string", default = "mean", choices = { "sum", "mean", "max" } },
  { "sparse", "boolean", default = false },
  { "_weight", "any", optional = true },
  { "include_last_offset", "boolean", default = false },
  { "padding_idx", "integer", optional = true },
}))

function EmbeddingBag:init(a)
  self.num_embeddings, self.embedding_dim, self.mode = a.num_embeddings, a.embedding_dim, a.mode
  self.max_norm, self.norm_type, self.include_last_offset = a.max_norm, a.norm_type, a.include_last_offset
  Embedding._table(self, a)
end

function EmbeddingBag:forward(input, offsets, per_sample_weights)
  return F._embedding_bag("EmbeddingBag", { input = input, weight = self.weight, offsets = offsets,
    max_norm = self.max_norm, norm_type = self.norm_type, mode = self.mode,
    per_sample_weights = per_sample_weights, include_last_offset = self.include_last_offset,
    padding_idx = self.padding_idx })
end

function EmbeddingBag:extra_repr()
  local s = string.format("%d, %d", self.num_embeddings, self.embedding_dim)
  if self.max_norm then s = s .. ", max_norm=" .. Module.repr_value(self.max_norm + 0.0) end
  if self.norm_type ~= 2 then s = s .. ", norm_type=" .. Module.repr_value(self.norm_type + 0.0) end
  s = s .. ", mode=" .. self.mode
  if self.padding_idx then s = s .. string.format(", padding_idx=%d", self.padding_idx) end
  return s
end

return EmbeddingBag
