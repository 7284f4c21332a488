-- nn.PoissonNLLLoss([{log_input = true, full = false, eps = 1e-8,
-- reduction = 'mean'}]); see F.poisson_nll_loss.
local Loss = require("nn._Loss")

return Loss.define("PoissonNLLLoss", "poisson_nll_loss", { "input", "target" }, {
  { "log_input", "boolean", default = true },
  { "full", "boolean", default = false },
  { "eps", "number", default = 1e-8, min = 0 },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
