-- The benchmark driver (`make bench`). The machine is shared and its speed
-- drifts, so every figure is a ratio taken side by side: per case, R rounds
-- (--rounds, at least 3) of lucid then PyTorch (A B A B ...), each run in its
-- own process; the table gives each side's median and the median of the
-- per-round ratios with their range. PyTorch (Debian's python3-torch) runs at
-- 1 and 2 threads per round and the faster counts. lucid's own sgemm rate
-- (matmul at 1024^3 and 2048^3, lucid's thread count) is measured in R
-- rounds before the cases, and again in every round of a GEMM-bound case, so
-- its share of the sgemm rate compares numbers taken seconds apart.
--   build/bin/lucid bench/run.lua [--tiny] [--no-torch] [--rounds=N]
--                                 [--torch-threads=1,2] [case name or pattern ...]
local common = dofile("bench/common.lua")
io.stdout:setvbuf("line") -- a long run shows its progress

local opt = common.parse_args(arg)
local case_file = opt.tiny and "bench/tiny.txt" or "bench/cases.txt"
local sizes = opt.tiny and { 128, 256 } or { 1024, 2048 }
local PY = "/usr/bin/python3"
-- PyTorch bundles its own BLAS: the OpenBLAS tuning variables of this
-- environment are meant for lucid's OpenBLAS only.
local TORCH_ENV = ""
for _, v in ipairs({ "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE" }) do
  if os.getenv(v) then TORCH_ENV = TORCH_ENV .. " -u " .. v end
end
TORCH_ENV = TORCH_ENV ~= "" and ("env" .. TORCH_ENV .. " ") or ""
if opt.torch and not os.execute(PY .. " -c 'import torch' 2>/dev/null") then
  io.stderr:write("bench: PyTorch (python3-torch) is not installed; timing lucid only\n")
  opt.torch = false
end

local function capture(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  if not ok then error("bench: failed: " .. cmd .. "\n" .. out) end
  return out
end

local function run_case(cmd)
  local out = capture(cmd)
  local s, kb = out:match("seconds=(%S+) peak_kb=(%d+)")
  if not s then error("bench: no timing from: " .. cmd .. "\n" .. out) end
  return tonumber(s), tonumber(kb), tonumber(out:match("growth=(%S+)"))
end

-- lucid's sgemm rate at each size, in one process: {[n] = FLOP/s}.
local function sgemm_rates()
  local out = capture("build/bin/lucid bench/case.lua --sgemm " .. table.concat(sizes, " "))
  local rates = {}
  for n, r in out:gmatch("sgemm n=(%d+) flops_per_s=(%S+)") do rates[tonumber(n)] = tonumber(r) end
  return rates
end

local function load_average()
  local f = io.open("/proc/loadavg")
  local s = f and f:read("l") or "?"
  if f then f:close() end
  return s:match("^(%S+)") or "?"
end

local function startup()
  local function t(cmd)
    local times = {}
    for _ = 1, 5 do
      local t0 = lucid.clock()
      os.execute(cmd .. " > /dev/null 2>&1")
      times[#times + 1] = lucid.clock() - t0
    end
    return common.median(times)
  end
  return t("build/bin/lucid -e ''"), opt.torch and t(TORCH_ENV .. PY .. " -c 'import torch'") or nil
end

local function range(xs)
  return string.format("%.3g-%.3g", math.min(table.unpack(xs)), math.max(table.unpack(xs)))
end

local load_before = load_average()
local rate_rounds = {}
for _, n in ipairs(sizes) do rate_rounds[n] = {} end
for _ = 1, opt.rounds do
  for n, r in pairs(sgemm_rates()) do table.insert(rate_rounds[n], r / 1e9) end
end
print(string.format("lucid sgemm rate (threads: %d; median of %d rounds, range in brackets):",
  lucid.get_num_threads(), opt.rounds))
for _, n in ipairs(sizes) do
  print(string.format("  %d^3: %.1f GFLOP/s (%s)", n, common.median(rate_rounds[n]), range(rate_rounds[n])))
end
print(string.format("load average at start: %s (cores: %s)", load_before,
  capture("nproc"):match("%d+") or "?"))
print()
local header = string.format("%-17s %12s %10s %8s %13s %7s %9s %9s", "case", "torch s", "lucid s",
  "speedup", "ratio range", "sgemm%", "torch MB", "lucid MB")
print(header)
print(string.rep("-", #header))
local growth_notes = {}
local big = sizes[#sizes]
for _, c in ipairs(common.select(common.read_cases(case_file), opt.select)) do
  local rounds, growth = {}, {}
  for _ = 1, opt.rounds do
    local r = {}
    if c.gemm then r.rate = sgemm_rates()[big] end
    r.lucid, r.lucid_kb, growth.lucid = run_case(string.format("build/bin/lucid bench/case.lua %s %s", case_file, c.name))
    if opt.torch then
      for _, threads in ipairs(opt.torch_threads) do
        local s, kb, g = run_case(string.format("%s%s bench/torch_case.py %s %s %d", TORCH_ENV, PY, case_file, c.name, threads))
        if not r.torch or s < r.torch then r.torch, r.torch_kb, r.torch_threads, growth.torch = s, kb, threads, g end
      end
    end
    rounds[#rounds + 1] = r
  end
  local row = common.summarize(rounds, c.gemm and common.gemm_flops(c) or nil)
  if growth.lucid then
    growth_notes[#growth_notes + 1] = string.format("%s: resident size grew %.2f%% from step %d to %d (PyTorch: %s)",
      c.name, growth.lucid, c.steps // 10, c.steps, growth.torch and string.format("%.2f%%", growth.torch) or "-")
  end
  print(string.format("%-17s %12s %10.3g %8s %13s %7s %9s %9.1f", c.name,
    row.torch and string.format("%.3g (%d)", row.torch, row.torch_threads) or "-", row.lucid,
    row.ratio and string.format("%.2fx", row.ratio) or "-",
    row.ratio and string.format("%.2f-%.2f", row.ratio_min, row.ratio_max) or "-",
    row.share and string.format("%.0f%%", 100 * row.share) or "-",
    row.torch_kb and string.format("%.1f", row.torch_kb / 1024) or "-", row.lucid_kb / 1024))
end
local ls, ts = startup()
print(string.format("%-17s %12s %10.3g %8s", "startup", ts and string.format("%.3g", ts) or "-", ls,
  ts and string.format("%.1fx", ts / ls) or "-"))
print()
for _, note in ipairs(growth_notes) do print(note) end
print(string.format("load average at end: %s", load_average()))
print("torch s, lucid s: medians over the rounds (PyTorch's usual thread count in brackets);")
print("speedup: median over rounds of PyTorch seconds / lucid seconds, taken in the same round;")
print(string.format("sgemm%%: GEMM FLOPs of a training step / lucid seconds / the %d^3 sgemm rate of that round.", big))
