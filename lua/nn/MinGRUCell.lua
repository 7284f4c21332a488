-- nn.MinGRUCell(input_size, hidden_size [, bias]): one step of nn.MinGRU.
-- With p = W_ih x + b_ih stacked [z; h]:
--   z = sigmoid(p_z), h' = (1 - z) h + z g(p_h),
--   g(v) = v + 0.5 for v >= 0, sigmoid(v) otherwise
--   h = cell(x [, hx])   -- x (N, I) or (I); hx (N, H) or (H), positive (zeros when absent)
-- See nn/MinRNNCellBase.lua.
local MinRNNCellBase = require("nn.MinRNNCellBase")

local MinGRUCell = MinRNNCellBase:extend("MinGRUCell", MinRNNCellBase.arguments)

function MinGRUCell:init(a) self:setup("mingru", 2, a) end

return MinGRUCell
