-- nn.AdaptiveMaxPool1d(output_size [, return_indices = false]):
-- F.adaptive_max_pool1d.
local AdaptiveAvgPool1d = require("nn.AdaptiveAvgPool1d")

local AdaptiveMaxPool1d = AdaptiveAvgPool1d:extend("AdaptiveMaxPool1d", {
  { "output_size", "any" },
  { "return_indices", "boolean", default = false },
})
AdaptiveMaxPool1d.is_max = true

function AdaptiveMaxPool1d:init(a)
  AdaptiveAvgPool1d.init(self, a)
  self.return_indices = a.return_indices
end

return AdaptiveMaxPool1d
