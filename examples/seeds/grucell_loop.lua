-- Seed 003 (lucid nn.GRUCell): a manual sequence loop.
-- Run: lucid examples/seeds/grucell_loop.lua   (prints (4, 16))
local cell = nn.GRUCell{ input_size = 8, hidden_size = 16 }
local x_seq = lucid.randn(6, 4, 8) -- (L=6, N=4, I=8)
local h = lucid.zeros(4, 16)
for t = 1, 6 do
  h = cell(x_seq[t], h)
end
print(h.shape)
