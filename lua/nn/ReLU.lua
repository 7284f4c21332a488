-- nn.ReLU([inplace = false]): F.relu as a module. With inplace, x itself
-- takes the result (and is returned), as in PyTorch.
local Module = require("nn.Module")
local F = require("nn.functional")

local ReLU = Module:extend("ReLU", { { "inplace", "boolean", default = false } })

function ReLU:init(a) self.inplace = a.inplace end

function ReLU:forward(x) return F._activation("ReLU", "relu", x, self.inplace) end

function ReLU:extra_repr() return self.inplace and "inplace=True" or "" end

return ReLU
