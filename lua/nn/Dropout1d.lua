-- nn.Dropout1d([p = 0.5, inplace = false]): F.dropout1d while training
-- (whole channels of (N, C, L) input dropped), the identity in eval mode.
local Dropout = require("nn.Dropout")
local F = require("nn.functional")

local Dropout1d = Dropout:extend("Dropout1d", Dropout.__args)

function Dropout1d:forward(x)
  return F._dropout1d(self.__name, { input = x, p = self.p, training = self.training, inplace = self.inplace })
end

return Dropout1d
