-- nn.RNN(input_size, hidden_size [, num_layers [, nonlinearity [, bias [,
-- batch_first [, dropout [, bidirectional]]]]]]): a multi-layer Elman RNN,
-- h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) with act tanh or relu.
-- output, h_n = rnn(x [, h0]); see nn/RNNBase.lua for shapes and options.
local RNNBase = require("nn.RNNBase")

local RNN = RNNBase:extend("RNN", RNNBase.arguments(true))

function RNN:init(a)
  self.nonlinearity = a.nonlinearity
  self:setup(a.nonlinearity == "relu" and "RNN_RELU" or "RNN_TANH", a)
end

return RNN
