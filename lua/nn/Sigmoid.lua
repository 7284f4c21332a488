-- nn.Sigmoid(): F.sigmoid (the elementwise sigmoid) as a module.
local Module = require("nn.Module")
local F = require("nn.functional")

local Sigmoid = Module:extend("Sigmoid", {})

function Sigmoid:forward(x) return F._activation("Sigmoid", "sigmoid", x) end

return Sigmoid
