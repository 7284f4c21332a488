-- nn.Sigmoid: the elementwise sigmoid, as a module.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local Sigmoid = Module:extend("Sigmoid", {})

function Sigmoid:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("Sigmoid: input must be a tensor, got %s", type(x)))
  end
  return x:sigmoid()
end

return Sigmoid
