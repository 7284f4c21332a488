-- Sequence regression: predict the next value of a noisy sine wave, with an
-- RNN, a GRU and an LSTM trained side by side on the same data.
--
--   build/bin/lucid examples/sine.lua [--steps 300] [--hidden 32] [--noise 0.05]
--
-- Each model reads a window of L values (input_size 1) and predicts, at every
-- step, the clean value of the next one; the table at the end compares their
-- test error with the error of always predicting the last value seen.
local lucid = require("lucid")
local nn = require("nn")
local utils = require("lucid.utils")

local opts = utils.parse_args(arg, {
  steps = 300, hidden = 32, seq = 40, batch = 32, lr = 1e-2, noise = 0.05, seed = 3, test_batches = 4,
})
lucid.manual_seed(opts.seed)

-- A batch of windows: random frequency and phase per sequence, noisy inputs,
-- clean next-step targets. Shapes (L, N, 1).
local function make_batch(n)
  local L = opts.seq
  local t = lucid.arange(0, L + 1):view(L + 1, 1)                -- (L+1, 1)
  local freq = lucid.rand(1, n) * 0.2 + 0.1                       -- (1, N)
  local phase = lucid.rand(1, n) * (2 * math.pi)
  local clean = (t * freq + phase):sin()                          -- (L+1, N)
  local noisy = clean + lucid.randn(L + 1, n) * opts.noise
  local x = noisy:narrow(1, 1, L):unsqueeze(3)
  local y = clean:narrow(1, 2, L):unsqueeze(3)
  return x:contiguous(), y:contiguous()
end

local Regressor = nn.Module:extend("Regressor", {
  { "kind", "string", choices = { "RNN", "GRU", "LSTM" } },
  { "hidden", "integer", min = 1 },
})

function Regressor:init(a)
  self:add_module("rnn", nn[a.kind](1, a.hidden))
  self:add_module("head", nn.Linear(a.hidden, 1))
end

function Regressor:forward(x)
  local out = self.rnn(x)
  return self.head(out)
end

local test = {}
for i = 1, opts.test_batches do test[i] = { make_batch(opts.batch) } end

local function test_error(predict)
  local total = 0
  lucid.no_grad(function()
    for _, b in ipairs(test) do total = total + ((predict(b[1]) - b[2]) ^ 2):mean():item() end
  end)
  return total / #test
end

local rows = {}
for _, kind in ipairs({ "RNN", "GRU", "LSTM" }) do
  lucid.manual_seed(opts.seed)
  local model = Regressor(kind, opts.hidden)
  local optimizer = lucid.optim.Adam(model:parameters(), { lr = opts.lr })
  local mse = nn.MSELoss()
  local bar = utils.progress(opts.steps)
  local loss
  for step = 1, opts.steps do
    local x, y = make_batch(opts.batch)
    optimizer:zero_grad()
    loss = mse(model(x), y)
    loss:backward()
    optimizer:step()
    bar:update(step, { [kind .. " loss"] = loss:item() })
  end
  local seconds = bar:done()
  model:eval()
  rows[#rows + 1] = { kind, loss:item(), test_error(function(x) return model(x) end), seconds }
end

local baseline = test_error(function(x) return x end)
print()
print(string.format("%-6s %12s %12s %10s", "model", "train MSE", "test MSE", "seconds"))
for _, r in ipairs(rows) do
  print(string.format("%-6s %12.5f %12.5f %10.2f", r[1], r[2], r[3], r[4]))
end
print(string.format("%-6s %12s %12.5f %10s", "last", "-", baseline, "-"))
print("(last: predict the last noisy value seen; noise variance " .. string.format("%.5f", opts.noise ^ 2) .. ")")
