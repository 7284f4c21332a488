-- nn.Conv1d(in_channels, out_channels, kernel_size [, stride = 1, padding =
-- 0, dilation = 1, groups = 1, bias = true, padding_mode = 'zeros']):
-- F.conv1d with a learnt weight (out_channels, in_channels/groups,
-- kernel_size) and bias (out_channels), both U(-1/sqrt(fan_in),
-- 1/sqrt(fan_in)) with fan_in = in_channels/groups * kernel_size (PyTorch's
-- init). padding is an integer, 'same' or 'valid'; padding_mode 'reflect',
-- 'replicate' or 'circular' pads with F.pad instead of zeros.
-- nn.ConvTranspose1d extends it.
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local Conv1d = Module:extend("Conv1d", Module.with_dtype({
  { "in_channels", "integer", min = 1 },
  { "out_channels", "integer", min = 1 },
  { "kernel_size", "any" },
  { "stride", "any", default = 1 },
  { "padding", "any", default = 0 },
  { "dilation", "any", default = 1 },
  { "groups", "integer", default = 1, min = 1 },
  { "bias", "boolean", default = true },
  { "padding_mode", "string", default = "zeros", choices = { "zeros", "reflect", "replicate", "circular" } },
}))

function Conv1d:init(a)
  local name = self.__name
  self.in_channels, self.out_channels, self.groups = a.in_channels, a.out_channels, a.groups
  self.kernel_size = F._int1(name, "kernel_size", a.kernel_size, nil, 1)
  self.stride = F._int1(name, "stride", a.stride, 1, 1)
  self.dilation = F._int1(name, "dilation", a.dilation, 1, 1)
  if a.padding == "same" or a.padding == "valid" then
    if a.padding == "same" and self.stride ~= 1 then
      raise(string.format("%s: padding 'same' needs stride 1, got %d", name, self.stride))
    end
    self.padding = a.padding
  else
    self.padding = F._int1(name, "padding", a.padding, 0, 0)
  end
  self.padding_mode = a.padding_mode
  self.output_padding = 0
  if a.in_channels % a.groups ~= 0 or a.out_channels % a.groups ~= 0 then
    raise(string.format("%s: in_channels %d and out_channels %d must be divisible by groups %d", name,
      a.in_channels, a.out_channels, a.groups))
  end
  self:_make_parameters(a, { a.out_channels, a.in_channels // a.groups, self.kernel_size }, a.out_channels)
end

-- weight of `shape`, bias of `nbias`, U(-b, b) with b = 1/sqrt(shape[2] * K).
function Conv1d:_make_parameters(a, shape, nbias)
  local bound = 1 / math.sqrt(shape[2] * shape[3])
  self:register_parameter("weight", Module.uniform_parameter(shape, bound, a.dtype))
  self:register_parameter("bias", a.bias and Module.uniform_parameter({ nbias }, bound, a.dtype) or nil)
end

function Conv1d:forward(x)
  local padding = self.padding
  if self.padding_mode ~= "zeros" and padding ~= 0 and padding ~= "valid" then
    local pl, pr = padding, padding
    if padding == "same" then
      local total = self.dilation * (self.kernel_size - 1)
      pl, pr = total // 2, total - total // 2
    end
    x = F.pad(x, { pl, pr }, self.padding_mode)
    padding = 0
  end
  return F._conv1d(self.__name, { input = x, weight = self.weight, bias = self.bias, stride = self.stride,
    padding = padding, dilation = self.dilation, groups = self.groups })
end

function Conv1d:extra_repr()
  local s = string.format("%d, %d, kernel_size=(%d,), stride=(%d,)", self.in_channels, self.out_channels,
    self.kernel_size, self.stride)
  if type(self.padding) == "string" then s = s .. ", padding=" .. self.padding
  elseif self.padding ~= 0 then s = s .. string.format(", padding=(%d,)", self.padding) end
  if self.dilation ~= 1 then s = s .. string.format(", dilation=(%d,)", self.dilation) end
  if self.output_padding ~= 0 then s = s .. string.format(", output_padding=(%d,)", self.output_padding) end
  if self.groups ~= 1 then s = s .. string.format(", groups=%d", self.groups) end
  if self.bias == nil then s = s .. ", bias=False" end
  if self.padding_mode ~= "zeros" then s = s .. string.format(", padding_mode=%s", self.padding_mode) end
  return s
end

return Conv1d
