-- Seed 000 (lucid nn.RNNCell): a manual time loop with the tanh nonlinearity.
-- Run: lucid examples/seeds/rnncell_loop.lua   (prints (3, 16))
local cell = nn.RNNCell{ input_size = 8, hidden_size = 16 }
local x_seq = lucid.randn(5, 3, 8) -- (L=5, N=3, I=8)
local h = lucid.zeros(3, 16)
for t = 1, 5 do
  h = cell(x_seq[t], h) -- (N=3, H=16)
end
print(h.shape)
