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
  local x2, batched = self:check_input(x)
  local h0, c0
  if state == nil then
    h0 = self:check_state(nil, x2, batched, "h")
    c0 = self:check_state(nil, x2, batched, "c")
  else
    if type(state) ~= "table" then
      raise(fmt("LSTMCell: state must be a table {h, c}, got %s",
        is_tensor(state) and "a tensor" or type(state)))
    end
    local h, c = state[1], state[2]
    if h == nil or c == nil then
      raise(fmt("LSTMCell: state must be a table {h, c} of two tensors, got nil for %s",
        h == nil and "h" or "c"))
    end
    h0 = self:check_state(h, x2, batched, "h")
    c0 = self:check_state(c, x2, batched, "c")
  end
  local h, c = self:step(x2, h0, c0)
  if batched then return h, c end
  local H = self.hidden_size
  return h:view(H), c:view(H)
end

return LSTMCell
