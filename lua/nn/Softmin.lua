-- nn.Softmin([dim]): F.softmin (softmax of -x along dim) as a module.
local Module = require("nn.Module")
local F = require("nn.functional")

local Softmin = Module:extend("Softmin", { { "dim", "integer", optional = true } })

function Softmin:init(a) self.dim = a.dim end

function Softmin:forward(x) return F.softmin(x, self.dim) end

function Softmin:extra_repr() return "dim=" .. (self.dim and tostring(self.dim) or "None") end

return Softmin
