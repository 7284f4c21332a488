-- nn.EmbeddingBag(num_embeddings, embedding_dim [, {max_norm =, norm_type =
-- 2, mode = 'mean', include_last_offset = false, padding_idx =}]): the sum,
-- mean or max of each bag of embeddings (F.embedding_bag), without the
-- (B, n, D) intermediate of Embedding followed by a reduction.
-- bag(input [, offsets, per_sample_weights]): input (B, n), or 1-D with
-- 1-based offsets (B).
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

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
  local v = a.num_embeddings
  self.num_embeddings, self.embedding_dim, self.mode = v, a.embedding_dim, a.mode
  self.max_norm, self.norm_type, self.include_last_offset = a.max_norm, a.norm_type, a.include_last_offset
  if a.scale_grad_by_freq or a.sparse then
    raise("EmbeddingBag: scale_grad_by_freq and sparse gradients are not supported")
  end
  local pad = a.padding_idx
  if pad ~= nil then
    if pad == 0 or pad > v or pad < -v then
      raise(string.format("EmbeddingBag: padding_idx must be in [1, %d] or [-%d, -1], got %d", v, v, pad))
    end
    if pad < 0 then pad = pad + v + 1 end
  end
  self.padding_idx = pad
  local w = a._weight
  if w ~= nil then
    if not lucid.is_tensor(w) or not w.dtype.is_floating_point or w.shape ~= { v, a.embedding_dim } then
      raise(string.format("EmbeddingBag: _weight must be a float tensor of shape (%d, %d)", v, a.embedding_dim))
    end
  else
    w = lucid.randn(v, a.embedding_dim, { dtype = a.dtype or lucid.float32 })
    if pad then w[pad]:zero_() end
  end
  self:register_parameter("weight", w)
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
