-- nn.Tanh(): F.tanh (the elementwise tanh) as a module.
local Module = require("nn.Module")
local F = require("nn.functional")

local Tanh = Module:extend("Tanh", {})

function Tanh:forward(x) return F._activation("Tanh", "tanh", x) end

return Tanh
