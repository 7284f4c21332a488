-- nn.LayerNorm(normalized_shape [, eps = 1e-5, elementwise_affine = true,
-- bias = true]): F.layer_norm over the trailing normalized_shape dims, with
-- a learnt weight (ones) and bias (zeros) of that shape. nn.RMSNorm extends
-- it (F.rms_norm, no bias).
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local LayerNorm = Module:extend("LayerNorm", Module.with_dtype({
  { "normalized_shape", "any" },
  { "eps", "number", default = 1e-5, min = 0 },
  { "elementwise_affine", "boolean", default = true },
  { "bias", "boolean", default = true },
}))

function LayerNorm:init(a)
  self.normalized_shape = F._size_list(self.__name, "normalized_shape", a.normalized_shape)
  for _, s in ipairs(self.normalized_shape) do
    if s < 1 then raise(string.format("%s: normalized_shape sizes must be at least 1, got %d", self.__name, s)) end
  end
  self.eps, self.elementwise_affine = a.eps, a.elementwise_affine
  local opts = { dtype = a.dtype or lucid.float32 }
  local affine = a.elementwise_affine
  self:register_parameter("weight", affine and lucid.ones(self.normalized_shape, opts) or nil)
  if self.__name == "LayerNorm" then
    self:register_parameter("bias", affine and a.bias and lucid.zeros(self.normalized_shape, opts) or nil)
  end
end

function LayerNorm:forward(x)
  return F._layer_norm(self.__name, { input = x, normalized_shape = self.normalized_shape,
    weight = self.weight, bias = self.bias, eps = self.eps }, false)
end

-- PyTorch prints the shape as a Python tuple: (4,) or (3, 4).
function LayerNorm._tuple(list)
  return "(" .. table.concat(list, ", ") .. (#list == 1 and ",)" or ")")
end

function LayerNorm:extra_repr()
  return string.format("%s, eps=%s, elementwise_affine=%s", LayerNorm._tuple(self.normalized_shape),
    Module.repr_value(self.eps), Module.repr_value(self.elementwise_affine))
end

return LayerNorm
