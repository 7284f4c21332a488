-- nn.Embedding(num_embeddings, embedding_dim [, {padding_idx =}]): a lookup
-- table. Input: int64 1-based indices of any shape; output (..., embedding_dim).
-- The weight starts N(0, 1); the padding_idx row (1-based, negative from the
-- end) starts at zero and receives no gradient.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local Embedding = Module:extend("Embedding", Module.with_dtype({
  { "num_embeddings", "integer", min = 1 },
  { "embedding_dim", "integer", min = 1 },
  { "padding_idx", "integer", optional = true },
  { "_weight", "any", optional = true },
}))

function Embedding:init(a)
  local v = a.num_embeddings
  self.num_embeddings, self.embedding_dim = v, a.embedding_dim
  local pad = a.padding_idx
  if pad ~= nil then
    if pad == 0 or pad > v or pad < -v then
      raise(string.format("Embedding: padding_idx must be in [1, %d] or [-%d, -1], got %d", v, v, pad))
    end
    if pad < 0 then pad = pad + v + 1 end
  end
  self.padding_idx = pad
  local w = a._weight
  if w ~= nil then
    if not lucid.is_tensor(w) or w.shape ~= lucid.zeros(v, a.embedding_dim).shape then
      raise(string.format("Embedding: _weight must be a tensor of shape (%d, %d)", v, a.embedding_dim))
    end
  else
    w = lucid.randn(v, a.embedding_dim, { dtype = a.dtype or lucid.float32 })
    if pad then w[pad]:zero_() end
  end
  self:register_parameter("weight", w)
end

-- Embedding.from_pretrained(embeddings [, {freeze = true, padding_idx =}])
function Embedding.from_pretrained(embeddings, opts)
  opts = opts or {}
  if not lucid.is_tensor(embeddings) or embeddings:dim() ~= 2 then
    raise("Embedding.from_pretrained: embeddings must be a 2-D tensor")
  end
  local e = Embedding(embeddings:size(1), embeddings:size(2), {
    padding_idx = opts.padding_idx, _weight = embeddings:detach():clone() })
  e.weight.requires_grad = opts.freeze == false
  return e
end

function Embedding:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("Embedding: input must be a tensor, got %s", type(x)))
  end
  if x.dtype ~= lucid.int64 then
    raise(string.format("Embedding: input must be an int64 tensor of 1-based indices, got %s",
      tostring(x.dtype.name or x.dtype)))
  end
  local ok, y = pcall(F.embedding, x, self.weight, self.padding_idx)
  if not ok then
    raise((tostring(y):gsub("^.-embedding: ", "Embedding: ")))
  end
  return y
end

function Embedding:extra_repr()
  local s = string.format("%d, %d", self.num_embeddings, self.embedding_dim)
  if self.padding_idx then s = s .. string.format(", padding_idx=%d", self.padding_idx) end
  return s
end

return Embedding
