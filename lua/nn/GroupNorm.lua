-- nn.GroupNorm(num_groups, num_channels [, eps = 1e-5, affine = true]):
-- F.group_norm on (N, C, ...) input, with a per-channel weight (ones) and
-- bias (zeros).
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local GroupNorm = Module:extend("GroupNorm", Module.with_dtype({
  { "num_groups", "integer", min = 1 },
  { "num_channels", "integer", min = 1 },
  { "eps", "number", default = 1e-5, min = 0 },
  { "affine", "boolean", default = true },
}))

function GroupNorm:init(a)
  if a.num_channels % a.num_groups ~= 0 then
    raise(string.format("GroupNorm: num_channels %d is not divisible by num_groups %d",
      a.num_channels, a.num_groups))
  end
  self.num_groups, self.num_channels, self.eps, self.affine = a.num_groups, a.num_channels, a.eps, a.affine
  local opts = { dtype = a.dtype or lucid.float32 }
  self:register_parameter("weight", a.affine and lucid.ones(a.num_channels, opts) or nil)
  self:register_parameter("bias", a.affine and lucid.zeros(a.num_channels, opts) or nil)
end

function GroupNorm:forward(x)
  if lucid.is_tensor(x) and x:dim() >= 2 and x:size(2) ~= self.num_channels then
    raise(string.format("GroupNorm: input has %d channels, expected num_channels %d", x:size(2),
      self.num_channels))
  end
  return F._group_norm("GroupNorm", { input = x, num_groups = self.num_groups, weight = self.weight,
    bias = self.bias, eps = self.eps })
end

function GroupNorm:extra_repr()
  return string.format("%d, %d, eps=%s, affine=%s", self.num_groups, self.num_channels,
    Module.repr_value(self.eps), Module.repr_value(self.affine))
end

return GroupNorm
