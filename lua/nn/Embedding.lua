-- nn.Embedding(num_embeddings, embedding_dim [, {padding_idx =, max_norm =,
-- norm_type = 2}]): a lookup table (F.embedding). Input: int64 1-based
-- indices of any shape; output (..., embedding_dim). The weight starts
-- N(0, 1); the padding_idx row (1-based, negative from the end) starts at
-- zero and receives no gradient; with max_norm, rows looked up are first
-- scaled in place to at most that norm.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local args = require("lucid.args")
local raise = args.raise

local Embedding = Module:extend("Embedding", Module.with_dtype({
  { "num_embeddings", "integer", min = 1 },
  { "embedding_dim", "integer", min = 1 },
  { "padding_idx", "integer", optional = true },
  { "max_norm", "number", optional = true, min = 0 },
  { "norm_type", "number", default = 2.0 },
  { "scale_grad_by_freq", "boolean", default = false },
  { "sparse", "boolean", default = false },
  { "_weight", "any", optional = true },
}))

function Embedding:init(a)
  self.num_embeddings, self.embedding_dim = a.num_embeddings, a.embedding_dim
  self.max_norm, self.norm_type = a.max_norm, a.norm_type
  Embedding._table(self, a)
end

-- The checks and the weight Embedding and EmbeddingBag share: padding_idx
-- (1-based, negative from the end) and a given _weight or an N(0, 1) one
-- whose padding row is zero.
function Embedding._table(self, a)
  local name, v = self.__name, a.num_embeddings
  if a.scale_grad_by_freq or a.sparse then
    raise(string.format("%s: scale_grad_by_freq and sparse gradients are not supported", name))
  end
  local pad = a.padding_idx
  if pad ~= nil then
    if pad == 0 or pad > v or pad < -v then
      raise(string.format("%s: padding_idx must be in [1, %d] or [-%d, -1], got %d", name, v, v, pad))
    end
    if pad < 0 then pad = pad + v + 1 end
  end
  self.padding_idx = pad
  local w = a._weight
  if w ~= nil then
    if not lucid.is_tensor(w) or not w.dtype.is_floating_point or w.shape ~= { v, a.embedding_dim } then
      raise(string.format("%s: _weight must be a float tensor of shape (%d, %d)", name, v, a.embedding_dim))
    end
  else
    w = lucid.randn(v, a.embedding_dim, { dtype = a.dtype or lucid.float32 })
    if pad then w[pad]:zero_() end
  end
  self:register_parameter("weight", w)
end

-- Embedding.from_pretrained(embeddings [, freeze = true [, padding_idx]]),
-- or with those as options
function Embedding.from_pretrained(...)
  local a = args.parse("Embedding.from_pretrained", { "embeddings", "freeze", "padding_idx" }, 2, ...)
  local embeddings = a.embeddings
  if not lucid.is_tensor(embeddings) or embeddings:dim() ~= 2 or not embeddings.dtype.is_floating_point then
    raise("Embedding.from_pretrained: embeddings must be a 2-D float tensor")
  end
  if a.freeze ~= nil and type(a.freeze) ~= "boolean" then
    raise(string.format("Embedding.from_pretrained: freeze must be a boolean, got %s", type(a.freeze)))
  end
  local e = Embedding(embeddings:size(1), embeddings:size(2), {
    padding_idx = a.padding_idx, _weight = embeddings:detach():clone() })
  e.weight.requires_grad = a.freeze == false
  return e
end

function Embedding:forward(x)
  return F._embedding(self.__name, { input = x, weight = self.weight, padding_idx = self.padding_idx,
    max_norm = self.max_norm, norm_type = self.norm_type })
end

function Embedding:extra_repr()
  local s = string.format("%d, %d", self.num_embeddings, self.embedding_dim)
  if self.padding_idx then s = s .. string.format(", padding_idx=%d", self.padding_idx) end
  if self.max_norm then s = s .. ", max_norm=" .. Module.repr_value(self.max_norm + 0.0) end
  if self.norm_type ~= 2 then s = s .. ", norm_type=" .. Module.repr_value(self.norm_type + 0.0) end
  return s
end

return Embedding
