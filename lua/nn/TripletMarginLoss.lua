-- nn.TripletMarginLoss([margin = 1, p = 2, eps = 1e-6, swap = false,
-- reduction = 'mean']): called as loss(anchor, positive, negative); see
-- F.triplet_margin_loss.
local Loss = require("nn._Loss")

return Loss.define("TripletMarginLoss", "triplet_margin_loss", { "anchor", "positive", "negative" }, {
  { "margin", "number", default = 1.0 },
  { "p", "number", default = 2, min = 0 },
  { "eps", "number", default = 1e-6 },
  { "swap", "boolean", default = false },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
