-- nn.AdaptiveAvgPool1d(output_size): F.adaptive_avg_pool1d, any input
-- length to output_size. nn.AdaptiveMaxPool1d extends it.
local Module = require("nn.Module")
local F = require("nn.functional")

local AdaptiveAvgPool1d = Module:extend("AdaptiveAvgPool1d", { { "output_size", "any" } })

function AdaptiveAvgPool1d:init(a)
  self.output_size = F._int1(self.__name, "output_size", a.output_size, nil, 1)
end

function AdaptiveAvgPool1d:forward(x)
  return F._adaptive_pool1d(self.__name, { input = x, output_size = self.output_size,
    return_indices = self.return_indices }, self.is_max == true)
end

function AdaptiveAvgPool1d:extra_repr() return "output_size=" .. self.output_size end

return AdaptiveAvgPool1d
