-- Seed 004 (R torch nn_rnn): a two-layer tanh RNN with a random initial state.
-- Run: lucid examples/seeds/rnn_two_layers.lua   (prints (5, 3, 20) then (2, 3, 20))
local rnn = nn.RNN(10, 20, 2)
local input = lucid.randn(5, 3, 10)
local h0 = lucid.randn(2, 3, 20)
local output, h_n = rnn(input, h0)
print(output.shape)
print(h_n.shape)
