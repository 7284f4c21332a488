-- nn.GLU([dim = -1]): F.glu (first half times the sigmoid of the second half
-- along dim) as a module.
local Module = require("nn.Module")
local F = require("nn.functional")

local GLU = Module:extend("GLU", { { "dim", "integer", default = -1 } })

function GLU:init(a) self.dim = a.dim end

function GLU:forward(x) return F.glu(x, self.dim) end

function GLU:extra_repr() return "dim=" .. self.dim end

return GLU
