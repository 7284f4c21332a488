-- The benchmark driver (`make bench`): every case with lucid and with
-- PyTorch (Debian's python3-torch, 1 and 2 threads, the better one kept), each
-- in its own process, and a table of ratios.
--   build/bin/lucid bench/run.lua [--tiny] [--no-torch]
local common = dofile("bench/common.lua")

local tiny, with_torch = false, true
for _, a in ipairs(arg) do
  if a == "--tiny" then tiny = true end
  if a == "--no-torch" then with_torch = false end
end
local case_file = tiny and "bench/tiny.txt" or "bench/cases.txt"
local PY = "/usr/bin/python3"
if with_torch and not os.execute(PY .. " -c 'import torch' 2>/dev/null") then
  io.stderr:write("bench: PyTorch (python3-torch) is not installed; timing lucid only\n")
  with_torch = false
end

local function capture(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  local s, kb = out:match("seconds=(%S+) peak_kb=(%d+)")
  if not ok or not s then error("bench: failed: " .. cmd .. "\n" .. out) end
  return tonumber(s), tonumber(kb), tonumber(out:match("growth=(%S+)"))
end

-- The machine's float32 GEMM rate, the yardstick for the recurrent cases.
local function sgemm_rate()
  local n = tiny and 256 or 2048
  local a, b = lucid.randn(n, n), lucid.randn(n, n)
  local s = common.time(function() a:matmul(b) end, tiny and 0.1 or 1.0)
  return 2 * n ^ 3 / s
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
  return t("build/bin/lucid -e ''"), with_torch and t(PY .. " -c 'import torch'") or nil
end

local rate = sgemm_rate()
print(string.format("sgemm rate of this machine: %.1f GFLOP/s (lucid threads: %d)", rate / 1e9,
  lucid.get_num_threads()))
print()
local header = string.format("%-14s %12s %12s %8s %7s %10s %10s", "case", "torch s", "lucid s",
  "speedup", "sgemm%", "torch MB", "lucid MB")
print(header)
print(string.rep("-", #header))
local growth_notes = {}
for _, c in ipairs(common.read_cases(case_file)) do
  local ls, lkb, lgrowth = capture(string.format("build/bin/lucid bench/case.lua %s %s", case_file, c.name))
  local ts, tkb, tth, tgrowth
  if with_torch then
    for _, threads in ipairs({ 1, 2 }) do
      local s, kb, g = capture(string.format("%s bench/torch_case.py %s %s %d", PY, case_file, c.name, threads))
      if not ts or s < ts then ts, tkb, tth, tgrowth = s, kb, threads, g end
    end
  end
  if lgrowth then
    growth_notes[#growth_notes + 1] = string.format("%s: resident size grew %.2f%% from step %d to %d (PyTorch: %s)",
      c.name, lgrowth, c.steps // 10, c.steps, tgrowth and string.format("%.2f%%", tgrowth) or "-")
  end
  local share = c.gemm and string.format("%6.0f%%", 100 * common.gemm_flops(c) / ls / rate) or "      -"
  print(string.format("%-14s %12s %12s %8s %s %10s %10.1f", c.name,
    ts and string.format("%.3g (%d)", ts, tth) or "-", string.format("%.3g", ls),
    ts and string.format("%.2fx", ts / ls) or "-", share,
    tkb and string.format("%.1f", tkb / 1024) or "-", lkb / 1024))
end
local ls, ts = startup()
print(string.format("%-14s %12s %12s %8s", "startup", ts and string.format("%.3g", ts) or "-", string.format("%.3g", ls),
  ts and string.format("%.1fx", ts / ls) or "-"))
print()
for _, note in ipairs(growth_notes) do print(note) end
print("speedup = PyTorch seconds / lucid seconds (PyTorch at its better thread setting, in brackets);")
print("sgemm% = GEMM FLOPs of a training step / lucid seconds / the sgemm rate above.")
