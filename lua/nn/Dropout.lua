-- nn.Dropout(p = 0.5): inverted dropout while training (zero each element
-- with probability p, scale the rest by 1/(1-p)); the identity in eval mode.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local Dropout = Module:extend("Dropout", {
  { "p", "number", default = 0.5, min = 0, max = 1 },
  { "inplace", "boolean", default = false },
})

function Dropout:init(a)
  self.p, self.inplace = a.p, a.inplace
end

function Dropout:forward(x)
  if not lucid.is_tensor(x) then
    raise(string.format("Dropout: input must be a tensor, got %s", type(x)))
  end
  return F.dropout(x, self.p, self.training, self.inplace)
end

function Dropout:extra_repr()
  return string.format("p=%s, inplace=%s", tostring(self.p), Module.repr_value(self.inplace))
end

return Dropout
