-- nn.Bilinear(in1_features, in2_features, out_features [, bias = true]):
-- y_k = x1^T W_k x2 + b_k (F.bilinear); weight (out, in1, in2) and bias
-- (out) U(-1/sqrt(in1), 1/sqrt(in1)), as PyTorch.
local Module = require("nn.Module")
local F = require("nn.functional")

local Bilinear = Module:extend("Bilinear", Module.with_dtype({
  { "in1_features", "integer", min = 1 },
  { "in2_features", "integer", min = 1 },
  { "out_features", "integer", min = 1 },
  { "bias", "boolean", default = true },
}))

function Bilinear:init(a)
  self.in1_features, self.in2_features, self.out_features = a.in1_features, a.in2_features, a.out_features
  local bound = 1 / math.sqrt(a.in1_features)
  self:register_parameter("weight",
    Module.uniform_parameter({ a.out_features, a.in1_features, a.in2_features }, bound, a.dtype))
  self:register_parameter("bias", a.bias and Module.uniform_parameter({ a.out_features }, bound, a.dtype) or nil)
end

function Bilinear:forward(input1, input2)
  return F._bilinear("Bilinear", { input1 = input1, input2 = input2, weight = self.weight, bias = self.bias })
end

function Bilinear:extra_repr()
  return string.format("in1_features=%d, in2_features=%d, out_features=%d, bias=%s", self.in1_features,
    self.in2_features, self.out_features, Module.repr_value(self.bias ~= nil))
end

return Bilinear
