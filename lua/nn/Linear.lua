-- nn.Linear(in_features, out_features [, bias]): y = x W^T + b (F.linear).
local Module = require("nn.Module")
local F = require("nn.functional")

local Linear = Module:extend("Linear", Module.with_dtype({
  { "in_features", "integer", min = 1 },
  { "out_features", "integer", min = 1 },
  { "bias", "boolean", default = true },
}))

-- PyTorch's init: kaiming_uniform_(a = sqrt(5)) for the weight, which is
-- U(-1/sqrt(in), 1/sqrt(in)), and the same bound for the bias.
function Linear:init(a)
  self.in_features, self.out_features = a.in_features, a.out_features
  local bound = 1 / math.sqrt(a.in_features)
  self:register_parameter("weight", Module.uniform_parameter({ a.out_features, a.in_features }, bound, a.dtype))
  self:register_parameter("bias", a.bias and Module.uniform_parameter({ a.out_features }, bound, a.dtype) or nil)
end

function Linear:forward(x)
  return F._linear("Linear", { input = x, weight = self.weight, bias = self.bias })
end

function Linear:extra_repr()
  return string.format("in_features=%d, out_features=%d, bias=%s", self.in_features,
    self.out_features, Module.repr_value(self.bias ~= nil))
end

return Linear
