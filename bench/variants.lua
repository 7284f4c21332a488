-- lucid-only comparisons of the recurrent variants of issue 15, each side by
-- side in one process (A B A B ..., medians; common.alternate):
--   build/bin/lucid bench/variants.lua [--tiny] [--threads n] [--rounds n] [--cpu] [dropout] [minrnn]
--   (make bench-variants; no section named runs both). --cpu times with this
--   process's CPU time instead of the wall clock: at --threads 1 that is what
--   the work costs however loaded the machine is (at 2 threads it also counts
--   the threads' spin-waits). Ratios are the median of the per-round ratios,
--   with their range.
-- dropout: nn.LSTM training (L=100, N=64, I=H=512) with weight_dropout, and
--   with variational dropout + recurrent_dropout, against the plain fused
--   LSTM of the same size (one layer; and two layers for the dropout between
--   layers). Target: within 10%.
-- minrnn: nn.MinGRU / nn.MinLSTM training (N=8, I=H=256): tokens per second
--   against nn.LSTM at L=512, cost per token from L=512 to L=8192, and the
--   layer kernel's scan (one GEMM for the sequence) against its step-by-step path,
--   and for one sequence of 64 units (N=1, L=8192) the scan with time chunks
--   against the columns alone (MinGRU takes the chunks when columns cannot fill
--   the threads; for MinLSTM they are forced here, its default keeps the columns).
local common = dofile("bench/common.lua")

local tiny, rounds, clock, sections = false, nil, nil, {}
local k = 1
while k <= #arg do
  local a = arg[k]
  if a == "--tiny" then
    tiny = true
  elseif a == "--cpu" then
    clock = os.clock
  elseif a == "--threads" or a == "--rounds" then
    local n = math.tointeger(tonumber(arg[k + 1]))
    if not n or n < 1 then error("bench: " .. a .. " expects a positive integer") end
    if a == "--threads" then lucid.set_num_threads(n) else rounds = n end
    k = k + 1
  elseif a == "dropout" or a == "minrnn" then
    sections[a] = true
  else
    error("bench: unknown argument " .. a .. " (--tiny, --threads n, --rounds n, --cpu, dropout, minrnn)")
  end
  k = k + 1
end
if not next(sections) then sections = { dropout = true, minrnn = true } end
rounds = rounds or (tiny and 2 or 5)

local function train_step(m, x)
  return function()
    m:zero_grad()
    local out = m(x)
    out:sum():backward()
  end
end

local f = io.open("/proc/loadavg")
print(string.format("threads: %d   rounds: %d   clock: %s   load average: %s", lucid.get_num_threads(), rounds,
  clock and "CPU time" or "wall", f and f:read("l"):match("^(%S+)") or "?"))
if f then f:close() end

if sections.dropout then
  local L, N, I, H = 100, 64, 512, 512
  if tiny then L, N, I, H = 5, 4, 8, 16 end
  local x = lucid.randn(L, N, I)
  for _, layers in ipairs({ 1, 2 }) do
    local variants = {
      { "plain", {} },
      { "weight_dropout=0.5", { weight_dropout = 0.5 } },
      { "variational, recurrent_dropout=0.25", { variational = true, recurrent_dropout = 0.25 } },
    }
    if layers == 2 then
      variants[3] = { "variational dropout=0.3, recurrent_dropout=0.25",
        { variational = true, dropout = 0.3, recurrent_dropout = 0.25 } }
    end
    local fns = {}
    for i, v in ipairs(variants) do
      local opts = v[2]
      opts.num_layers = layers
      fns[i] = train_step(nn.LSTM(I, H, opts), x)
    end
    local t, times = common.alternate(fns, rounds, clock)
    print(string.format("LSTM training, %d layer(s), L=%d N=%d I=%d H=%d:", layers, L, N, I, H))
    for i, v in ipairs(variants) do
      local r, lo, hi = common.round_ratios(times[i], times[1])
      print(string.format("  %-48s %9.4g s  %.3f of plain (rounds %.3f-%.3f)", v[1], t[i], r, lo, hi))
    end
  end
end

if sections.minrnn then
  local N, I, H, L0, L1 = 8, 256, 256, 512, 8192
  if tiny then N, I, H, L0, L1 = 2, 16, 16, 16, 64 end
  print(string.format("MinGRU / MinLSTM: N=%d I=%d H=%d", N, I, H))
  -- 1. against nn.LSTM
  local x0 = lucid.randn(L0, N, I)
  local t, times = common.alternate({ train_step(nn.MinGRU(I, H), x0), train_step(nn.MinLSTM(I, H), x0),
    train_step(nn.LSTM(I, H), x0) }, rounds, clock)
  local tokens = L0 * N
  print(string.format("training L=%d tokens/s: MinGRU %.0f  MinLSTM %.0f  LSTM %.0f", L0, tokens / t[1],
    tokens / t[2], tokens / t[3]))
  local g, glo, ghi = common.round_ratios(times[3], times[1])
  local m, mlo, mhi = common.round_ratios(times[3], times[2])
  print(string.format("  speedup over nn.LSTM: MinGRU %.2fx  MinLSTM %.2fx (rounds %.2f-%.2f, %.2f-%.2f)", g, m, glo,
    ghi, mlo, mhi))
  -- 2. cost per token, short against long sequences
  local x1 = lucid.randn(L1, N, I)
  for _, name in ipairs({ "MinGRU", "MinLSTM" }) do
    local m = nn[name](I, H)
    local s, times = common.alternate({ train_step(m, x0), train_step(m, x1) }, rounds, clock)
    local c0, c1 = s[1] / (L0 * N), s[2] / (L1 * N)
    local r, lo, hi = common.round_ratios(times[2], times[1])
    local k = (L1 * N) / (L0 * N)
    print(string.format("%s cost per token: L=%d %.3g us  L=%d %.3g us  ratio %.2f (rounds %.2f-%.2f)", name, L0,
      c0 * 1e6, L1, c1 * 1e6, r / k, lo / k, hi / k))
  end
  -- 3. the layer kernel, scan against steps (training: forward + backward)
  -- sizes: { L, N, I, H }
  local function kernel_step(mode, G, path, sz)
    local L, n, i, h = table.unpack(sz)
    local x = lucid.randn(L * n, i)
    local w = (lucid.randn(G * h, i) * 0.05):requires_grad_()
    local b = lucid.zeros(G * h):requires_grad_()
    return function()
      w.grad, b.grad = nil, nil
      local y = lucid._C.minrnn_layer({ mode = mode, input = x, batch_sizes = L, weight = w, bias = b, path = path })
      y:sum():backward()
    end
  end
  for _, mode in ipairs({ { "mingru", 2 }, { "minlstm", 3 } }) do
    local s, times = common.alternate({ kernel_step(mode[1], mode[2], "scan", { L0, N, I, H }),
      kernel_step(mode[1], mode[2], "sequential", { L0, N, I, H }) }, rounds, clock)
    local r, lo, hi = common.round_ratios(times[2], times[1])
    print(string.format("%s layer, L=%d: scan %.3g ms  step by step %.3g ms  scan faster by %.2fx (rounds %.2f-%.2f)",
      mode[1], L0, s[1] * 1e3, s[2] * 1e3, r, lo, hi))
  end
  -- 4. one sequence of 64 units: too few columns for the threads, so the scan
  -- also splits time into chunks (core/minrnn.c); against the columns alone
  local one = tiny and { 64, 1, 16, 16 } or { L1, 1, 64, 64 }
  for _, mode in ipairs({ { "mingru", 2 }, { "minlstm", 3 } }) do
    local s, times = common.alternate({ kernel_step(mode[1], mode[2], "chunked", one),
      kernel_step(mode[1], mode[2], "columns", one) }, rounds, clock)
    local r, lo, hi = common.round_ratios(times[2], times[1])
    print(string.format("%s layer, N=1 H=%d L=%d: time chunks %.3g ms  columns only %.3g ms  chunks faster by %.2fx "
      .. "(rounds %.2f-%.2f)", mode[1], one[4], one[1], s[1] * 1e3, s[2] * 1e3, r, lo, hi))
  end
end
