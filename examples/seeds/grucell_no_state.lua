-- Seed 003 (lucid nn.GRUCell): no explicit initial state (defaults to zeros).
-- Run: lucid examples/seeds/grucell_no_state.lua   (prints (3, 12))
local cell2 = nn.GRUCell(4, 12)
local h2 = cell2(lucid.randn(3, 4))
print(h2.shape)
