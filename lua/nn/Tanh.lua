-- nn.Tanh: the elementwise tanh, as a module.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local Tanh = Module:extend("Tanh", {})

function Tanh:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("Tanh: input must be a tensor, got %s", type(x)))
  end
  return x:tanh()
end

return Tanh
