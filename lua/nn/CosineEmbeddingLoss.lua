-- nn.CosineEmbeddingLoss([margin = 0] [, {reduction = 'mean'}]): called as
-- loss(input1, input2, target); see F.cosine_embedding_loss.
local Loss = require("nn._Loss")

return Loss.define("CosineEmbeddingLoss", "cosine_embedding_loss", { "input1", "input2", "target" }, {
  { "margin", "number", default = 0 },
  { "reduction", "string", default = "mean", choices = Loss.REDUCTIONS },
})
