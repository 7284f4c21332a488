-- Seed 000 (lucid nn.RNNCell): the relu nonlinearity, no initial state (zeros).
-- Run: lucid examples/seeds/rnncell_relu.lua   (prints (4, 16))
local cell_relu = nn.RNNCell(8, 16, { nonlinearity = "relu" })
local h2 = cell_relu(lucid.randn(4, 8))
print(h2.shape)
