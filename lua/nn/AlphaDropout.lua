-- nn.AlphaDropout([p = 0.5, inplace = false]): F.alpha_dropout while
-- training (keeps SELU activations at zero mean and unit variance), the
-- identity in eval mode.
local Dropout = require("nn.Dropout")
local F = require("nn.functional")

local AlphaDropout = Dropout:extend("AlphaDropout", Dropout.__args)

function AlphaDropout:forward(x)
  return F._alpha_dropout(self.__name, { input = x, p = self.p, training = self.training, inplace = self.inplace })
end

return AlphaDropout
