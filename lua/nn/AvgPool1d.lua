-- nn.AvgPool1d(kernel_size [, stride = kernel_size, padding = 0, ceil_mode
-- = false, count_include_pad = true]): F.avg_pool1d.
local Module = require("nn.Module")
local F = require("nn.functional")

local AvgPool1d = Module:extend("AvgPool1d", {
  { "kernel_size", "any" },
  { "stride", "any", optional = true },
  { "padding", "any", default = 0 },
  { "ceil_mode", "boolean", default = false },
  { "count_include_pad", "boolean", default = true },
})

function AvgPool1d:init(a)
  local n = self.__name
  self.kernel_size = F._int1(n, "kernel_size", a.kernel_size, nil, 1)
  self.stride = F._int1(n, "stride", a.stride, self.kernel_size, 1)
  self.padding = F._int1(n, "padding", a.padding, 0, 0)
  self.ceil_mode, self.count_include_pad = a.ceil_mode, a.count_include_pad
end

function AvgPool1d:forward(x)
  return F._avg_pool1d(self.__name, { input = x, kernel_size = self.kernel_size, stride = self.stride,
    padding = self.padding, ceil_mode = self.ceil_mode, count_include_pad = self.count_include_pad })
end

function AvgPool1d:extra_repr()
  return string.format("kernel_size=(%d,), stride=(%d,), padding=(%d,)", self.kernel_size, self.stride, self.padding)
end

return AvgPool1d
