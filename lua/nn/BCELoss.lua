-- nn.BCELoss([weight] [, {reduction = 'mean'}]): binary cross entropy of
-- probabilities, each log clamped at -100; see F.binary_cross_entropy.
local Loss = require("nn._Loss")

return Loss.define("BCELoss", "binary_cross_entropy", { "input", "target" }, {
  { "weight", "any", optional = true },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
