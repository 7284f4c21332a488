-- nn.L1Loss([{reduction = 'mean'}]): |input - target|; see F.l1_loss.
local Loss = require("nn._Loss")

return Loss.define("L1Loss", "l1_loss", { "input", "target" }, {
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
