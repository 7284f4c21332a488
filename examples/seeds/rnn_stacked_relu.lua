-- Seed 001 (lucid nn.RNN): a stacked relu RNN with dropout and an initial state.
-- Run: lucid examples/seeds/rnn_stacked_relu.lua   (prints (5, 3, 6) then (2, 3, 6))
local seq = lucid.randn(5, 3, 8) -- (seq_len=5, batch=3, input_size=8)
local h0 = lucid.zeros(2, 3, 6) -- (num_layers=2, batch=3, hidden_size=6)
local rnn = nn.RNN{
  input_size = 8,
  hidden_size = 6,
  num_layers = 2,
  nonlinearity = "relu",
  dropout = 0.2,
}
local output, h_n = rnn(seq, h0)
print(output.shape, h_n.shape)
