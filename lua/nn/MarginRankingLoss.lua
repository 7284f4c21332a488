-- nn.MarginRankingLoss([margin = 0] [, {reduction = 'mean'}]): called as
-- loss(input1, input2, target); see F.margin_ranking_loss.
local Loss = require("nn._Loss")

return Loss.define("MarginRankingLoss", "margin_ranking_loss", { "input1", "input2", "target" }, {
  { "margin", "number", default = 0 },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
