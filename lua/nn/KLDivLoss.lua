-- nn.KLDivLoss([{reduction = 'mean', log_target = false}]): input holds
-- log-probabilities; reduction may also be 'batchmean'; see F.kl_div.
local Loss = require("nn._Loss")

return Loss.define("KLDivLoss", "kl_div", { "input", "target" }, {
  { "reduction", "string", default = "mean", choices = { "none", "batchmean", "sum", "mean" } },
  { "log_target", "boolean", default = false },
})
