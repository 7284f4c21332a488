-- nn.MinLSTMCell(input_size, hidden_size [, bias]): one step of nn.MinLSTM.
-- With p = W_ih x + b_ih stacked [f; i; h]:
--   f, i = sigmoid(p_f), sigmoid(p_i), h' = f/(f+i) h + i/(f+i) g(p_h),
--   g as nn.MinGRUCell's
--   h = cell(x [, hx])   -- x (N, I) or (I); hx (N, H) or (H), positive (zeros when absent)
-- See nn/MinRNNCellBase.lua.
local MinRNNCellBase = require("nn.MinRNNCellBase")

local MinLSTMCell = MinRNNCellBase:extend("MinLSTMCell", MinRNNCellBase.arguments)

function MinLSTMCell:init(a) self:setup("minlstm", 3, a) end

return MinLSTMCell
