-- nn.LogSoftmax(dim): log_softmax along dim (1-based, negative from the end). Without
-- dim, PyTorch's legacy choice: dim 1 for 0-, 1- and 3-D input, else dim 2.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")

local LogSoftmax = Module:extend("LogSoftmax", {
  { "dim", "integer", optional = true },
})

function LogSoftmax:init(a)
  self.dim = a.dim
end

function LogSoftmax:forward(x)
  if not lucid.is_tensor(x) then
    error(string.format("LogSoftmax: input must be a tensor, got %s", type(x)), 2)
  end
  local dim = F._softmax_dim(x, self.dim)
  local n = math.max(x:dim(), 1)
  if dim == 0 or dim > n or dim < -n then
    error(string.format("LogSoftmax: dim %d out of range for a %d-D input", dim, x:dim()), 2)
  end
  return x:log_softmax(dim)
end

function LogSoftmax:extra_repr()
  return "dim=" .. tostring(self.dim)
end

return LogSoftmax
