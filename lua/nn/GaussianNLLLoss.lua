-- nn.GaussianNLLLoss([{full = false, eps = 1e-6, reduction = 'mean'}]):
-- called as loss(input, target, var); see F.gaussian_nll_loss.
local Loss = require("nn._Loss")

return Loss.define("GaussianNLLLoss", "gaussian_nll_loss", { "input", "target", "var" }, {
  { "full", "boolean", default = false },
  { "eps", "number", default = 1e-6, min = 0 },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
