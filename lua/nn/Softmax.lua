-- nn.Softmax(dim): softmax along dim (1-based, negative from the end). Without
-- dim, PyTorch's legacy choice: dim 1 for 0-, 1- and 3-D input, else dim 2.
-- nn.LogSoftmax extends it with the tensor method it applies.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local Softmax = Module:extend("Softmax", {
  { "dim", "integer", optional = true },
})
Softmax.method = "softmax"

function Softmax:init(a)
  self.dim = a.dim
end

function Softmax:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("%s: input must be a tensor, got %s", self.__name, type(x)))
  end
  local dim = F._softmax_dim(x, self.dim)
  local n = math.max(x:dim(), 1)
  if dim == 0 or dim > n or dim < -n then
    raise(string.format("%s: dim %d out of range for a %d-D input", self.__name, dim, x:dim()))
  end
  return x[self.method](x, dim)
end

function Softmax:extra_repr()
  return "dim=" .. tostring(self.dim)
end

return Softmax
