-- nn.HuberLoss([{reduction = 'mean', delta = 1}]): 0.5 d^2 where |d| <=
-- delta, else delta (|d| - 0.5 delta); see F.huber_loss.
local Loss = require("nn._Loss")

return Loss.define("HuberLoss", "huber_loss", { "input", "target" }, {
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
  { "delta", "number", default = 1.0, min = 0 },
})
