-- nn.GRU(input_size, hidden_size [, num_layers [, bias [, batch_first [,
-- dropout [, bidirectional]]]]]): a multi-layer gated recurrent unit RNN with
-- PyTorch's gates [r; z; n], n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
-- h' = (1 - z) n + z h. output, h_n = gru(x [, h0]); see nn/RNNBase.lua.
local RNNBase = require("nn.RNNBase")

local GRU = RNNBase:extend("GRU", RNNBase.arguments(false, require("nn.rnn_options").specs(false, true)))

function GRU:init(a) self:setup("GRU", a) end

return GRU
