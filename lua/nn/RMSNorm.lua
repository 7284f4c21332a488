-- nn.RMSNorm(normalized_shape [, eps, elementwise_affine = true]) (PyTorch
-- 2.4's): x / sqrt(mean(x^2) + eps) * weight over the trailing
-- normalized_shape dims; eps defaults to the input dtype's machine epsilon.
local Module = require("nn.Module")
local F = require("nn.functional")
local LayerNorm = require("nn.LayerNorm")

local RMSNorm = LayerNorm:extend("RMSNorm", Module.with_dtype({
  { "normalized_shape", "any" },
  { "eps", "number", optional = true, min = 0 },
  { "elementwise_affine", "boolean", default = true },
}))

function RMSNorm:forward(x)
  return F._layer_norm("RMSNorm", { input = x, normalized_shape = self.normalized_shape,
    weight = self.weight, eps = self.eps }, true)
end

function RMSNorm:extra_repr()
  return string.format("%s, eps=%s, elementwise_affine=%s", LayerNorm._tuple(self.normalized_shape),
    self.eps == nil and "None" or Module.repr_value(self.eps), Module.repr_value(self.elementwise_affine))
end

return RMSNorm
