-- nn.MinGRU(input_size, hidden_size [, num_layers [, bias [, batch_first
-- [, dropout [, bidirectional [, variational]]]]]]):
-- the minimal GRU of Feng et al. 2024. With p = W_ih x + b_ih stacked [z; h],
-- z = sigmoid(p_z), h' = (1 - z) h + z g(p_h), g(v) = v + 0.5 for v >= 0,
-- sigmoid(v) otherwise. output, h_n = m(x [, h0]); see nn/MinRNNBase.lua.
local MinRNNBase = require("nn.MinRNNBase")

local MinGRU = MinRNNBase:extend("MinGRU", MinRNNBase.arguments)

function MinGRU:init(a) self:setup("mingru", 2, a) end

return MinGRU
