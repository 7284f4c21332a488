-- The LSTM tagger of train.py, in lucid: 4 features per step -> an LSTM of 16
-- -> 3 tag scores per step. Its parameter names are PyTorch's, so the
-- state_dict that train.py saved loads as it is.
--
-- Loaded with dofile it returns `build`, a function that makes the model (the
-- form examples/embed/host.c runs: `host tagger.lua tagger.pt`).
local nn = require("nn")

local Tagger = nn.Module:extend("Tagger", {})

function Tagger:init()
  self.lstm = nn.LSTM(4, 16)
  self.head = nn.Linear(16, 3)
end

-- x: (L, N, 4), or (L, 4) for one sequence -> scores (L, N, 3) or (L, 3)
function Tagger:forward(x)
  local out = self.lstm(x)
  return self.head(out)
end

return function() return Tagger() end
