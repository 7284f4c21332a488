-- nn.Softmax(dim): F.softmax along dim (1-based, negative from the end).
-- Without dim, PyTorch's legacy choice: dim 1 for 0-, 1- and 3-D input,
-- else dim 2. nn.LogSoftmax extends it with the method it applies.
local Module = require("nn.Module")
local F = require("nn.functional")

local Softmax = Module:extend("Softmax", {
  { "dim", "integer", optional = true },
})
Softmax.method = "softmax"

function Softmax:init(a)
  self.dim = a.dim
end

function Softmax:forward(x)
  return F._softmax_like(self.__name, self.method, { input = x, dim = self.dim })
end

function Softmax:extra_repr()
  return "dim=" .. tostring(self.dim)
end

return Softmax
