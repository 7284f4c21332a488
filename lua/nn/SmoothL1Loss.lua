-- nn.SmoothL1Loss([{reduction = 'mean', beta = 1}]): 0.5 d^2 / beta where
-- |d| < beta, else |d| - 0.5 beta (d = input - target); see F.smooth_l1_loss.
local Loss = require("nn._Loss")

return Loss.define("SmoothL1Loss", "smooth_l1_loss", { "input", "target" }, {
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
  { "beta", "number", default = 1.0, min = 0 },
})
