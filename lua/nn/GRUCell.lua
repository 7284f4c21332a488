-- nn.GRUCell(input_size, hidden_size [, bias]): one step of a GRU, gates
-- stacked [r; z; n] as in PyTorch:
--   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
--   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
--   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
--   h' = (1 - z) * n + z * h
--   h = cell(x, h)     -- x (N, I) or (I); h (N, H) or (H), optional (zeros)
local RNNCellBase = require("nn.RNNCellBase")

local GRUCell = RNNCellBase:extend("GRUCell", RNNCellBase.cell_args(require("nn.rnn_options").specs(false)))

function GRUCell:init(a)
  self:init_cell(a, "gru")
end

function GRUCell:forward(x, hx)
  local x2, batched, h0 = self:check(x, hx, "hx")
  local h = self:step(x2, h0)
  if batched then return h end
  return h:view(self.hidden_size)
end

return GRUCell
