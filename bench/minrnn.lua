-- MinGRU/MinLSTM training throughput (issue 15), measured side by side:
--   build/bin/lucid bench/minrnn.lua [--tiny] [--threads n]
-- 1. tokens per second of a training step (forward + backward, N=8,
--    I=H=256, L=512) of nn.MinGRU and nn.MinLSTM against lucid's nn.LSTM;
-- 2. cost per token from L=512 to L=8192 (flat when the scan is linear);
-- 3. the layer kernel's log-space scan against its step-by-step path.
-- The variants of each comparison run in alternation (A B A B ...) and the
-- medians are compared, so a loaded machine slows both alike.
local common = dofile("bench/common.lua")

local tiny = false
for k, a in ipairs(arg) do
  if a == "--tiny" then tiny = true end
  if a == "--threads" then lucid.set_num_threads(assert(tonumber(arg[k + 1]), "--threads n")) end
end
local N, I, Hs = 8, 256, 256
local L0, L1 = 512, 8192
local rounds = 5
if tiny then N, I, Hs, L0, L1, rounds = 2, 16, 16, 16, 64, 2 end

-- Runs every fn of a list once per round, in turn; returns median seconds.
local function alternate(fns)
  for _, f in ipairs(fns) do f() end -- warm up
  local times = {}
  for k = 1, #fns do times[k] = {} end
  for _ = 1, rounds do
    for k, f in ipairs(fns) do
      local t0 = lucid.clock()
      f()
      times[k][#times[k] + 1] = lucid.clock() - t0
    end
  end
  local med = {}
  for k = 1, #fns do med[k] = common.median(times[k]) end
  return med
end

local function train_step(m, L)
  local x = lucid.randn(L, N, I)
  return function()
    m:zero_grad()
    local out = m(x)
    out:sum():backward()
  end
end

print(string.format("threads: %d   N=%d I=%d H=%d", lucid.get_num_threads(), N, I, Hs))

-- 1. against nn.LSTM
local gru, lstm_min, lstm = nn.MinGRU(I, Hs), nn.MinLSTM(I, Hs), nn.LSTM(I, Hs)
local t = alternate({ train_step(gru, L0), train_step(lstm_min, L0), train_step(lstm, L0) })
local tokens = L0 * N
print(string.format("training L=%d tokens/s: MinGRU %.0f  MinLSTM %.0f  LSTM %.0f", L0, tokens / t[1],
  tokens / t[2], tokens / t[3]))
print(string.format("  speedup over nn.LSTM: MinGRU %.2fx  MinLSTM %.2fx", t[3] / t[1], t[3] / t[2]))

-- 2. cost per token, short against long sequences
for _, name in ipairs({ "MinGRU", "MinLSTM" }) do
  local m = nn[name](I, Hs)
  local s = alternate({ train_step(m, L0), train_step(m, L1) })
  local c0, c1 = s[1] / (L0 * N), s[2] / (L1 * N)
  print(string.format("%s cost per token: L=%d %.3g us  L=%d %.3g us  ratio %.2f", name, L0, c0 * 1e6,
    L1, c1 * 1e6, c1 / c0))
end

-- 3. the layer kernel, scan against steps (training: forward + backward)
local function kernel_step(mode, G, path, L)
  local x = lucid.randn(L * N, I)
  local w = (lucid.randn(G * Hs, I) * 0.05):requires_grad_()
  local b = lucid.zeros(G * Hs):requires_grad_()
  return function()
    w.grad, b.grad = nil, nil
    local y = lucid._C.minrnn_layer({ mode = mode, input = x, batch_sizes = L, weight = w, bias = b, path = path })
    y:sum():backward()
  end
end
for _, mode in ipairs({ { "mingru", 2 }, { "minlstm", 3 } }) do
  local s = alternate({ kernel_step(mode[1], mode[2], "scan", L0), kernel_step(mode[1], mode[2], "sequential", L0) })
  print(string.format("%s layer, L=%d: scan %.3g ms  step by step %.3g ms  scan faster by %.2fx", mode[1], L0,
    s[1] * 1e3, s[2] * 1e3, s[2] / s[1]))
end
