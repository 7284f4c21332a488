-- nn.MSELoss([{reduction = 'mean'}]): mean (or sum, or each) of (input - target)^2.
local Module = require("nn.Module")
local F = require("nn.functional")

local MSELoss = Module:extend("MSELoss", {
  { "reduction", "string", default = "mean", choices = { "none", "mean", "sum" } },
})

function MSELoss:init(a) self.reduction = a.reduction end

function MSELoss:forward(input, target)
  return F._mse_loss("MSELoss", input, target, self.reduction)
end

return MSELoss
