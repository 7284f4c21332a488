-- nn.LSTM(input_size, hidden_size [, num_layers [, bias [, batch_first [,
-- dropout [, bidirectional [, proj_size]]]]]]): a multi-layer LSTM with
-- PyTorch's gates [i; f; g; o], c' = f c + i g, h' = o tanh(c'), and with
-- proj_size > 0 h' projected by weight_hr to proj_size features.
-- output, {h_n, c_n} = lstm(x [, {h0, c0}]); see nn/RNNBase.lua.
local RNNBase = require("nn.RNNBase")

local LSTM = RNNBase:extend("LSTM", RNNBase.arguments(false, require("nn.rnn_options").specs(true, true)))

function LSTM:init(a) self:setup("LSTM", a) end

return LSTM
