-- nn.MultiLabelSoftMarginLoss([weight] [, {reduction = 'mean'}]): one
-- logistic loss per class, averaged over the classes; see
-- F.multilabel_soft_margin_loss.
local Loss = require("nn._Loss")

return Loss.define("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss", { "input", "target" }, {
  { "weight", "any", optional = true },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
