-- nn.LSTMCell(input_size, hidden_size [, bias]): one step of an LSTM, gates
-- stacked [i; f; g; o] as in PyTorch:
--   i, f, o = sigmoid(...), g = tanh(...)   (each W_i* x + b_i* + W_h* h + b_h*)
--   c' = f * c + i * g,  h' = o * tanh(c')
--   h, c = cell(x, {h, c})   -- x (N, I) or (I); the state table is optional (zeros)
local lucid = require("lucid")
local RNNCellBase = require("nn.RNNCellBase")
local raise = require("lucid.args").raise

local is_tensor = lucid.is_tensor
local fmt = string.format

local LSTMCell = RNNCellBase:extend("LSTMCell", RNNCellBase.cell_args(require("nn.rnn_options").specs(true)))

function LSTMCell:init(a)
  self:init_cell(a, "lstm")
end

function LSTMCell:forward(x, state)
  local h, c
  if state ~= nil then
    if type(state) ~= "table" then
      raise(fmt("LSTMCell: state must be a table {h, c}, got %s",
        is_tensor(state) and "a tensor" or type(state)))
    end
    h, c = state[1], state[2]
    if h == nil or c == nil then
      raise(fmt("LSTMCell: state must be a table {h, c} of two tensors, got nil for %s",
        h == nil and "h" or "c"))
    end
  end
  local x2, batched, h0, c0 = self:check(x, h, "h", c, "c")
  h, c = self:step(x2, h0, c0)
  if batched then return h, c end
  local H = self.hidden_size
  return h:view(H), c:view(H)
end

return LSTMCell
