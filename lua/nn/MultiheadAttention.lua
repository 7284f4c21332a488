-- nn.MultiheadAttention(embed_dim, num_heads [, dropout = 0, bias = true,
-- add_bias_kv = false, add_zero_attn = false, kdim, vdim, batch_first =
-- false]): PyTorch's, parameters named as there (in_proj_weight (3E, E) and
-- in_proj_bias, or q/k/v_proj_weight when kdim or vdim differ from E;
-- out_proj a Linear; bias_k, bias_v).
--
-- mha(query, key, value [, key_padding_mask, need_weights = true,
-- attn_mask, average_attn_weights = true, is_causal = false]) -> output,
-- weights (nil unless need_weights). Inputs (L, N, E) (batch_first: (N,
-- L, E)) or unbatched (L, E). Masks as PyTorch's: float masks are added,
-- int64 ones are boolean with nonzero = masked out; key_padding_mask (N,
-- S), attn_mask (L, S) or (N * num_heads, L, S).
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local init = require("nn.initializers")
local args = require("lucid.args")
local raise = args.raise

local MultiheadAttention = Module:extend("MultiheadAttention", Module.with_dtype({
  { "embed_dim", "integer", min = 1 },
  { "num_heads", "integer", min = 1 },
  { "dropout", "number", default = 0, min = 0, max = 1 },
  { "bias", "boolean", default = true },
  { "add_bias_kv", "boolean", default = false },
  { "add_zero_attn", "boolean", default = false },
  { "kdim", "integer", optional = true, min = 1 },
  { "vdim", "integer", optional = true, min = 1 },
  { "batch_first", "boolean", default = false },
}))

function MultiheadAttention:init(a)
  local E = a.embed_dim
  if E % a.num_heads ~= 0 then
    raise(string.format("MultiheadAttention: embed_dim %d must be divisible by num_heads %d", E, a.num_heads))
  end
  self.embed_dim, self.num_heads, self.dropout, self.batch_first = E, a.num_heads, a.dropout, a.batch_first
  self.kdim, self.vdim = a.kdim or E, a.vdim or E
  self.add_zero_attn = a.add_zero_attn
  self.head_dim = E // a.num_heads
  local opts = { dtype = a.dtype or lucid.float32 }
  local function xavier(...) return init.xavier_uniform_(lucid.empty({ ... }, opts)) end
  if self.kdim == E and self.vdim == E then
    self:register_parameter("in_proj_weight", xavier(3 * E, E))
  else
    self:register_parameter("q_proj_weight", xavier(E, E))
    self:register_parameter("k_proj_weight", xavier(E, self.kdim))
    self:register_parameter("v_proj_weight", xavier(E, self.vdim))
  end
  self:register_parameter("in_proj_bias", a.bias and lucid.zeros(3 * E, opts) or nil)
  self.out_proj = require("nn.Linear")(E, E, { bias = a.bias, dtype = opts.dtype })
  if a.bias then lucid.no_grad(function() self.out_proj.bias:zero_() end) end
  if a.add_bias_kv then
    self:register_parameter("bias_k", init.xavier_normal_(lucid.empty({ 1, 1, E }, opts)))
    self:register_parameter("bias_v", init.xavier_normal_(lucid.empty({ 1, 1, E }, opts)))
  end
end

local FORWARD = { "query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
  "average_attn_weights", "is_causal" }

function MultiheadAttention:forward(...)
  local a = args.parse("MultiheadAttention", FORWARD, 4, ...)
  local q, k, v = a.query, a.key, a.value
  for _, name in ipairs({ "query", "key", "value" }) do
    if not lucid.is_tensor(a[name]) then
      raise(string.format("MultiheadAttention: %s must be a tensor, got %s", name, type(a[name])))
    end
  end
  local unbatched = q:dim() == 2
  local want = unbatched and 2 or 3
  local dims = { self.embed_dim, self.kdim, self.vdim }
  for i, t in ipairs({ q, k, v }) do
    if t:dim() ~= want or t:size(-1) ~= dims[i] then
      raise(string.format("MultiheadAttention: %s has shape %s, expected %d-D with last dim %d", FORWARD[i],
        tostring(t.shape), want, dims[i]))
    end
    if t.dtype ~= (self.in_proj_weight or self.q_proj_weight).dtype then
      raise(string.format("MultiheadAttention: %s has dtype %s, expected the parameters' %s", FORWARD[i],
        t.dtype.name, (self.in_proj_weight or self.q_proj_weight).dtype.name))
    end
  end
  if unbatched then -- a batch of one, batch first
    q, k, v = q:unsqueeze(1), k:unsqueeze(1), v:unsqueeze(1)
  elseif not self.batch_first then -- the computation is batch first
    q, k, v = q:transpose(1, 2), k:transpose(1, 2), v:transpose(1, 2)
  end
  if k:size(2) ~= v:size(2) or k:size(1) ~= q:size(1) or v:size(1) ~= q:size(1) then
    raise(string.format("MultiheadAttention: query %s, key %s and value %s disagree in batch or source length",
      tostring(a.query.shape), tostring(a.key.shape), tostring(a.value.shape)))
  end
  local kpm = a.key_padding_mask
  if unbatched and kpm ~= nil and lucid.is_tensor(kpm) and kpm:dim() == 1 then kpm = kpm:unsqueeze(1) end
  local need = a.need_weights ~= false
  local out, w = F._multi_head_attention("MultiheadAttention", {
    query = q, key = k, value = v, num_heads = self.num_heads, in_proj_weight = self.in_proj_weight,
    q_proj_weight = self.q_proj_weight, k_proj_weight = self.k_proj_weight, v_proj_weight = self.v_proj_weight,
    in_proj_bias = self.in_proj_bias, bias_k = self.bias_k, bias_v = self.bias_v,
    add_zero_attn = self.add_zero_attn, dropout_p = self.training and self.dropout or 0,
    out_proj_weight = self.out_proj.weight, out_proj_bias = self.out_proj.bias,
    key_padding_mask = kpm, attn_mask = a.attn_mask, need_weights = need,
    average_attn_weights = a.average_attn_weights ~= false, is_causal = a.is_causal == true,
  })
  if unbatched then
    out = out:squeeze(1)
    if w ~= nil then w = w:squeeze(1) end
  elseif not self.batch_first then
    out = out:transpose(1, 2)
  end
  return out, w
end

return MultiheadAttention
