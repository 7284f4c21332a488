-- nn.RNNCell(input_size, hidden_size [, bias [, nonlinearity]]): one step of
-- an Elman RNN, h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.
--   h = cell(x, h)     -- x (N, I) or (I); h (N, H) or (H), optional (zeros)
local RNNCellBase = require("nn.RNNCellBase")

local RNNCell = RNNCellBase:extend("RNNCell", RNNCellBase.cell_args({
  { "nonlinearity", "string", default = "tanh", choices = { "tanh", "relu" } },
}))

function RNNCell:init(a)
  self:init_cell(a, "rnn_" .. a.nonlinearity)
  self.nonlinearity = a.nonlinearity
end

function RNNCell:forward(x, hx)
  local x2, batched, h0 = self:check(x, hx, "hx")
  local h = self:step(x2, h0)
  if batched then return h end
  return h:view(self.hidden_size)
end

return RNNCell
