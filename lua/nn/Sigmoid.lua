-- nn.Sigmoid: the elementwise sigmoid, as a module.
local lucid = require("lucid")
local Module = require("nn.Module")

local Sigmoid = Module:extend("Sigmoid", {})

function Sigmoid:forward(x)
  if not lucid.is_tensor(x) then
    error(string.format("Sigmoid: input must be a tensor, got %s", type(x)), 2)
  end
  return x:sigmoid()
end

return Sigmoid
