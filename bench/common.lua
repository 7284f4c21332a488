-- Shared by the benchmark scripts: the case list and process facts.
local M = {}

-- Reads a case file into an array of {name =, kind =, gemm =, <key> = number or string}.
function M.read_cases(path)
  local cases = {}
  for line in io.lines(path) do
    if not line:match("^%s*#") and line:match("%S") then
      local words = {}
      for w in line:gmatch("%S+") do words[#words + 1] = w end
      local case = { name = words[1], kind = words[2], gemm = words[#words] == "yes" }
      for i = 3, #words - 1 do
        local k, v = words[i]:match("^([%w_]+)=(.+)$")
        case[k] = tonumber(v) or v
      end
      cases[#cases + 1] = case
    end
  end
  return cases
end

function M.find(cases, name)
  for _, c in ipairs(cases) do
    if c.name == name then return c end
  end
  error("bench: no case named " .. tostring(name))
end

-- Peak resident size of this process in kB (VmHWM), and the current one.
function M.memory_kb()
  local peak, now = 0, 0
  for line in io.lines("/proc/self/status") do
    peak = tonumber(line:match("^VmHWM:%s+(%d+)")) or peak
    now = tonumber(line:match("^VmRSS:%s+(%d+)")) or now
  end
  return peak, now
end

-- The median of a list of numbers (the list is left as it was).
function M.median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  assert(n > 0, "median of no numbers")
  return n % 2 == 1 and s[(n + 1) / 2] or (s[n / 2] + s[n / 2 + 1]) / 2
end

-- run.lua's command line: options and the case selectors (names or Lua
-- patterns, e.g. "sum_" or "_train$"; none means every case).
function M.parse_args(args)
  local o = { tiny = false, torch = true, rounds = 3, torch_threads = { 1, 2 }, select = {} }
  for _, a in ipairs(args) do
    if a == "--tiny" then
      o.tiny = true
    elseif a == "--no-torch" then
      o.torch = false
    elseif a:match("^%-%-rounds=") then
      o.rounds = math.tointeger(tonumber(a:match("=(.*)")))
      if not o.rounds or o.rounds < 1 then error("bench: --rounds expects a positive integer, got " .. a) end
    elseif a:match("^%-%-torch%-threads=") then
      o.torch_threads = {}
      for t in a:match("=(.*)"):gmatch("[^,]+") do
        local n = math.tointeger(tonumber(t))
        if not n or n < 1 then error("bench: --torch-threads expects numbers like 1,2, got " .. a) end
        o.torch_threads[#o.torch_threads + 1] = n
      end
    elseif a:match("^%-") then
      error("bench: unknown option " .. a .. " (--tiny, --no-torch, --rounds=N, --torch-threads=1,2)")
    else
      o.select[#o.select + 1] = a
    end
  end
  return o
end

-- The cases whose name equals a selector or matches it as a Lua pattern.
function M.select(cases, selectors)
  if #selectors == 0 then return cases end
  local out = {}
  for _, c in ipairs(cases) do
    for _, s in ipairs(selectors) do
      local ok, hit = pcall(string.find, c.name, s)
      if c.name == s or (ok and hit) then
        out[#out + 1] = c
        break
      end
    end
  end
  if #out == 0 then error("bench: no case matches " .. table.concat(selectors, " ")) end
  return out
end

-- One table row from the rounds of a case: rounds[i] = {lucid = s, torch = s
-- or nil, torch_threads = n, lucid_kb / torch_kb = peak resident kB, rate =
-- sgemm FLOP/s of that round or nil}.
-- Medians of each side, and the median of the per-round ratios torch / lucid
-- with their smallest and largest (a wide range says the machine drifted);
-- share = GEMM FLOPs / lucid seconds / that round's sgemm rate, median.
function M.summarize(rounds, flops)
  local ls, ts, ratios, shares, threads, lkb, tkb = {}, {}, {}, {}, {}, {}, {}
  for _, r in ipairs(rounds) do
    ls[#ls + 1], lkb[#lkb + 1] = r.lucid, r.lucid_kb
    if r.torch then
      ts[#ts + 1], tkb[#tkb + 1] = r.torch, r.torch_kb
      ratios[#ratios + 1] = r.torch / r.lucid
      threads[r.torch_threads] = (threads[r.torch_threads] or 0) + 1
    end
    if flops and r.rate then shares[#shares + 1] = flops / r.lucid / r.rate end
  end
  local row = { rounds = #rounds, lucid = M.median(ls), lucid_kb = #lkb > 0 and M.median(lkb) or nil }
  if #ts > 0 then
    row.torch, row.ratio = M.median(ts), M.median(ratios)
    row.torch_kb = #tkb > 0 and M.median(tkb) or nil
    row.ratio_min, row.ratio_max = math.min(table.unpack(ratios)), math.max(table.unpack(ratios))
    local best = 0
    for t, n in pairs(threads) do
      if n > best or (n == best and t < (row.torch_threads or math.huge)) then row.torch_threads, best = t, n end
    end
  end
  if #shares > 0 then row.share = M.median(shares) end
  return row
end

-- Runs fn once to warm up, then until about `budget` seconds have passed
-- (at least 3 and at most 30 runs); returns the median seconds per run.
function M.time(fn, budget)
  fn()
  local times, total = {}, 0
  while (#times < 3 or total < (budget or 1.0)) and #times < 30 do
    local t0 = lucid.clock()
    fn()
    local dt = lucid.clock() - t0
    times[#times + 1] = dt
    total = total + dt
  end
  return M.median(times)
end

-- Runs every function of a list once per round, in turn (A B C A B C ...),
-- after one warm-up call each; returns the median seconds of each, and the
-- times of every round (times[k][round]). A loaded machine slows all of them
-- alike, so their ratios hold. clock: lucid.clock (wall, the default) or
-- os.clock (this process's CPU time: at one thread, what the work costs
-- whatever else the machine runs).
function M.alternate(fns, rounds, clock)
  clock = clock or lucid.clock
  for _, f in ipairs(fns) do f() end
  local times = {}
  for k = 1, #fns do times[k] = {} end
  for _ = 1, rounds do
    for k, f in ipairs(fns) do
      local t0 = clock()
      f()
      times[k][#times[k] + 1] = clock() - t0
    end
  end
  local med = {}
  for k = 1, #fns do med[k] = M.median(times[k]) end
  return med, times
end

-- The per-round ratios a[r] / b[r] of two lists of alternate()'s times:
-- their median, smallest and largest (a wide range says the machine drifted).
function M.round_ratios(a, b)
  local r = {}
  for i = 1, #a do r[i] = a[i] / b[i] end
  return M.median(r), math.min(table.unpack(r)), math.max(table.unpack(r))
end

-- FLOPs of the GEMMs of one training step that run. Per layer and direction,
-- with F the layer's input width and G gates: the forward's input projection
-- (2 L N F GH) and recurrent products (2 L N H GH); the backward's recurrent
-- products (dh), dW_ih and dW_hh, and the input's gradient dx (2 L N F GH)
-- only where the input needs one: not in the first layer, whose input is a
-- plain randn in both harnesses (bench/case.lua, bench/torch_case.py).
function M.gemm_flops(c)
  local G = ({ RNN = 1, GRU = 3, LSTM = 4 })[c.module] or 1
  local dirs = c.bidirectional == 1 and 2 or 1
  local rows = c.L * c.N
  local flops, input = 0, c.I
  for layer = 1, (c.layers or 1) do
    local proj, rec = 2 * rows * input * G * c.H, 2 * rows * c.H * G * c.H
    local dx = layer > 1 and proj or 0
    flops = flops + dirs * (2 * proj + 3 * rec + dx) -- x W_ih, dW_ih; h W_hh, dh, dW_hh; dx
    input = dirs * c.H
  end
  return flops
end

return M
