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

function M.median(xs)
  table.sort(xs)
  local n = #xs
  return n % 2 == 1 and xs[(n + 1) / 2] or (xs[n / 2] + xs[n / 2 + 1]) / 2
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

-- FLOPs of the GEMMs of one training step (forward + backward = 3 x forward).
function M.gemm_flops(c)
  local G = ({ RNN = 1, GRU = 3, LSTM = 4 })[c.module] or 1
  local dirs = c.bidirectional == 1 and 2 or 1
  local flops, input = 0, c.I
  for _ = 1, (c.layers or 1) do
    flops = flops + dirs * 2 * c.L * c.N * (input * G * c.H + c.H * G * c.H)
    input = dirs * c.H
  end
  return 3 * flops
end

return M
