-- nn.Tanh: the elementwise tanh, as a module.
local lucid = require("lucid")
local Module = require("nn.Module")

local Tanh = Module:extend("Tanh", {})

function Tanh:forward(x)
  if not lucid.is_tensor(x) then
    error(string.format("Tanh: input must be a tensor, got %s", type(x)), 2)
  end
  return x:tanh()
end

return Tanh
