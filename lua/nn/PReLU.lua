-- nn.PReLU([num_parameters = 1, init = 0.25]): F.prelu with a learned slope
-- per channel (or one for all), as PyTorch's.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")

local PReLU = Module:extend("PReLU", Module.with_dtype({
  { "num_parameters", "integer", min = 1, default = 1 },
  { "init", "number", default = 0.25 },
}))

function PReLU:init(a)
  self.num_parameters = a.num_parameters
  self:register_parameter("weight",
    lucid.full({ a.num_parameters }, a.init, { dtype = a.dtype, requires_grad = true }))
end

function PReLU:forward(x) return F.prelu(x, self.weight) end

function PReLU:extra_repr() return "num_parameters=" .. self.num_parameters end

return PReLU
