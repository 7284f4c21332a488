-- nn.ConvTranspose1d(in_channels, out_channels, kernel_size [, stride = 1,
-- padding = 0, output_padding = 0, groups = 1, bias = true, dilation = 1]):
-- F.conv_transpose1d with a learnt weight (in_channels,
-- out_channels/groups, kernel_size) and bias (out_channels), U(-b, b) with
-- b = 1/sqrt(out_channels/groups * kernel_size), as PyTorch.
local Module = require("nn.Module")
local F = require("nn.functional")
local Conv1d = require("nn.Conv1d")
local raise = require("lucid.args").raise

local ConvTranspose1d = Conv1d:extend("ConvTranspose1d", Module.with_dtype({
  { "in_channels", "integer", min = 1 },
  { "out_channels", "integer", min = 1 },
  { "kernel_size", "any" },
  { "stride", "any", default = 1 },
  { "padding", "any", default = 0 },
  { "output_padding", "any", default = 0 },
  { "groups", "integer", default = 1, min = 1 },
  { "bias", "boolean", default = true },
  { "dilation", "any", default = 1 },
}))

function ConvTranspose1d:init(a)
  local name = self.__name
  self.in_channels, self.out_channels, self.groups = a.in_channels, a.out_channels, a.groups
  self.kernel_size = F._int1(name, "kernel_size", a.kernel_size, nil, 1)
  self.stride = F._int1(name, "stride", a.stride, 1, 1)
  self.dilation = F._int1(name, "dilation", a.dilation, 1, 1)
  self.padding = F._int1(name, "padding", a.padding, 0, 0)
  self.output_padding = F._int1(name, "output_padding", a.output_padding, 0, 0)
  self.padding_mode = "zeros"
  if self.output_padding >= self.stride and self.output_padding >= self.dilation then
    raise(string.format("%s: output_padding %d must be smaller than stride or dilation", name, self.output_padding))
  end
  if a.in_channels % a.groups ~= 0 or a.out_channels % a.groups ~= 0 then
    raise(string.format("%s: in_channels %d and out_channels %d must be divisible by groups %d", name,
      a.in_channels, a.out_channels, a.groups))
  end
  self:_make_parameters(a, { a.in_channels, a.out_channels // a.groups, self.kernel_size }, a.out_channels)
end

function ConvTranspose1d:forward(x)
  return F._conv_transpose1d(self.__name, { input = x, weight = self.weight, bias = self.bias,
    stride = self.stride, padding = self.padding, output_padding = self.output_padding,
    groups = self.groups, dilation = self.dilation })
end

return ConvTranspose1d
