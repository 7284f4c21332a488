-- Seed 001 (lucid nn.RNN): a tanh RNN over a batch-first sequence.
-- Run: lucid examples/seeds/rnn_batch_first.lua   (prints (4, 6, 12) then (1, 4, 12))
local seq = lucid.randn(4, 6, 10) -- (batch=4, seq_len=6, input_size=10)
local rnn = nn.RNN{ input_size = 10, hidden_size = 12, batch_first = true }
local output, h_n = rnn(seq)
print(output.shape)
print(h_n.shape)
