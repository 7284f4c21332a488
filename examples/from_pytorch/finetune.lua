-- Takes over the tagger PyTorch trained (train.py): loads its state_dict,
-- checks that lucid reproduces PyTorch's outputs, fine-tunes it on sequences
-- whose tags use a tighter band, and saves the result for PyTorch again.
--
--   lucid examples/from_pytorch/finetune.lua [out.pt]
local lucid = require("lucid")
local nn = require("nn")

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local model = dofile(here .. "tagger.lua")()
model:load_state_dict(lucid.load(here .. "tagger.pt"))

-- 1. the same outputs as PyTorch, on PyTorch's inputs
local check = lucid.load(here .. "check.pt")
local logits = lucid.no_grad(function() return model(check.x) end)
local diff = (logits - check.logits):abs():max():item()
print(string.format("outputs as PyTorch's: max difference %.2e", diff))
assert(diff < 1e-5, "lucid's outputs differ from PyTorch's")
local acc = logits:argmax(3):eq(check.tags + 1):float():mean():item()
print(string.format("PyTorch's tagger, run by lucid: accuracy %.2f", acc))

-- 2. fine-tuning: tags now change at -0.5 and 0.5
lucid.manual_seed(1)
local function batch(n)
  local x = lucid.randn(12, n, 4)
  local rows, sum = {}, lucid.zeros(n) -- the running sum of feature 1 over steps
  for t = 1, 12 do
    sum = sum + x[t]:select(2, 1)
    rows[t] = sum
  end
  local s = lucid.stack(rows, 1)
  local tags = s:gt(-0.5):long() + s:gt(0.5):long() + 1 -- 1-based classes
  return x, tags
end
local opt = lucid.optim.Adam(model:parameters(), { lr = 0.01 })
local loss_fn = nn.CrossEntropyLoss()
local first, last
for step = 1, 150 do
  local x, tags = batch(32)
  opt:zero_grad()
  local loss = loss_fn(model(x):view(-1, 3), tags:view(-1))
  loss:backward()
  opt:step()
  first = first or loss:item()
  last = loss:item()
end
print(string.format("fine-tuned in lucid: loss %.3f -> %.3f", first, last))

-- 3. back to PyTorch: torch.load(path, weights_only=True) reads it
local out = arg and arg[1]
if out then
  lucid.save(model:state_dict(), out, { format = "torch" })
  print("saved for PyTorch: " .. out)
end
