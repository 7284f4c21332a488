-- nn.ReLU: the elementwise relu, as a module.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local ReLU = Module:extend("ReLU", { { "inplace", "boolean", default = false } })

function ReLU:init(a) self.inplace = a.inplace end

-- With inplace, x itself takes the result (and is returned), as in PyTorch.
function ReLU:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("ReLU: input must be a tensor, got %s", type(x)))
  end
  return self.inplace and x:copy_(x:relu()) or x:relu()
end

return ReLU
