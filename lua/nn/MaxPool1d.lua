-- nn.MaxPool1d(kernel_size [, stride = kernel_size, padding = 0, dilation =
-- 1, return_indices = false, ceil_mode = false]): F.max_pool1d.
local Module = require("nn.Module")
local F = require("nn.functional")

local MaxPool1d = Module:extend("MaxPool1d", {
  { "kernel_size", "any" },
  { "stride", "any", optional = true },
  { "padding", "any", default = 0 },
  { "dilation", "any", default = 1 },
  { "return_indices", "boolean", default = false },
  { "ceil_mode", "boolean", default = false },
})

function MaxPool1d:init(a)
  local n = self.__name
  self.kernel_size = F._int1(n, "kernel_size", a.kernel_size, nil, 1)
  self.stride = F._int1(n, "stride", a.stride, self.kernel_size, 1)
  self.padding = F._int1(n, "padding", a.padding, 0, 0)
  self.dilation = F._int1(n, "dilation", a.dilation, 1, 1)
  self.return_indices, self.ceil_mode = a.return_indices, a.ceil_mode
end

function MaxPool1d:forward(x)
  return F._max_pool1d(self.__name, { input = x, kernel_size = self.kernel_size, stride = self.stride,
    padding = self.padding, dilation = self.dilation, ceil_mode = self.ceil_mode,
    return_indices = self.return_indices })
end

function MaxPool1d:extra_repr()
  return string.format("kernel_size=%d, stride=%d, padding=%d, dilation=%d, ceil_mode=%s", self.kernel_size,
    self.stride, self.padding, self.dilation, Module.repr_value(self.ceil_mode))
end

return MaxPool1d
