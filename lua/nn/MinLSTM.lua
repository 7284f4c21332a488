-- nn.MinLSTM(input_size, hidden_size [, num_layers [, bias [, batch_first
-- [, dropout [, bidirectional [, variational]]]]]]):
-- the minimal LSTM of Feng et al. 2024. With p = W_ih x + b_ih stacked
-- [f; i; h], f, i = sigmoid(p_f), sigmoid(p_i),
-- h' = f/(f+i) h + i/(f+i) g(p_h), g as nn.MinGRU's.
-- output, h_n = m(x [, h0]); see nn/MinRNNBase.lua.
local MinRNNBase = require("nn.MinRNNBase")

local MinLSTM = MinRNNBase:extend("MinLSTM", MinRNNBase.arguments)

function MinLSTM:init(a) self:setup("minlstm", 3, a) end

return MinLSTM
