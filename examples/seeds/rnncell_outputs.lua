-- Seed 002 (PyTorch nn.RNNCell): collect the hidden state of every step.
-- Run: lucid examples/seeds/rnncell_outputs.lua   (prints 6 and (3, 20))
local rnn = nn.RNNCell(10, 20)
local input = lucid.randn(6, 3, 10)
local hx = lucid.randn(3, 20)
local output = {}
for i = 1, 6 do
  hx = rnn(input[i], hx)
  output[#output + 1] = hx
end
print(#output)
print(output[#output].shape)
