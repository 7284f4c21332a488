-- The model a C host runs (examples/embed/host.c): 4 inputs -> 8 hidden units
-- (tanh) -> 3 outputs.
--
-- Loaded with dofile (or lucid_dofile from C) it returns `build`, a function
-- that makes the model. Run as a script, `lucid model.lua weights.lucid`
-- builds it with seeded random weights (a real script would train it) and
-- saves its state_dict with lucid.save.
local lucid = require("lucid")
local nn = require("nn")

local TinyNet = nn.Module:extend("TinyNet", {
  { "in_features", "integer", min = 1, default = 4 },
  { "hidden", "integer", min = 1, default = 8 },
  { "out_features", "integer", min = 1, default = 3 },
})

function TinyNet:init(a)
  self:add_module("fc1", nn.Linear(a.in_features, a.hidden))
  self:add_module("fc2", nn.Linear(a.hidden, a.out_features))
end

function TinyNet:forward(x)
  return self.fc2(self.fc1(x):tanh())
end

local function build()
  lucid.manual_seed(7)
  return TinyNet()
end

local path = ...
if path then
  lucid.save(build():state_dict(), path)
  return nil
end
return build
