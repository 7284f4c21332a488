-- nn.CTCLoss([blank = 1] [, {reduction = 'mean', zero_infinity = false}]):
-- called as loss(log_probs, targets, input_lengths, target_lengths); the
-- blank is a 1-based class index like the targets. See F.ctc_loss.
local Loss = require("nn._Loss")

return Loss.define("CTCLoss", "ctc_loss", { "log_probs", "targets", "input_lengths", "target_lengths" }, {
  { "blank", "integer", default = 1, min = 1 },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
  { "zero_infinity", "boolean", default = false },
})
