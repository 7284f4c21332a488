-- The fuzzers' driver: runs a child fuzzer per seed and fails on any crash, abort,
-- hang or sanitizer report (a Lua error inside a child is a pass).
--
--   lucid tests/fuzz/run.lua [api|saveload] [--seeds A-B] [--calls N] [--budget SECONDS]
--                            [--jobs J] [--timeout SECONDS] [--no-ulimit]
--
-- --calls is per seed: API calls (2000), or save/load rounds (2).
--
-- api (tests/fuzz/api.lua) calls the public API with hostile arguments; saveload
-- (tests/fuzz/saveload.lua) loads damaged save files. Seeds run J at a time, each in
-- a fresh process inside a scratch folder (files the API writes land there), with
-- address space limited to 4 GB (--no-ulimit for sanitizer builds, which map
-- terabytes of shadow memory; they cap allocations with ASAN_OPTIONS instead) and a
-- watchdog of --timeout seconds per seed. --budget stops starting seeds after that
-- many seconds. The exit status is 0 when every seed ended cleanly.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local opts = { kind = "api", seeds = "1-1000000", calls = false, budget = math.huge, jobs = 1,
  timeout = 120, ulimit = true }
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "api" or a == "saveload" then opts.kind = a
  elseif a == "--no-ulimit" then opts.ulimit = false
  elseif a:match("^%-%-") and arg[i + 1] then
    local key = a:sub(3)
    if opts[key] == nil then error("run.lua: unknown option " .. a) end
    opts[key] = key == "seeds" and arg[i + 1] or assert(tonumber(arg[i + 1]), a .. " takes a number")
    i = i + 1
  else
    error("run.lua: unknown argument " .. a)
  end
  i = i + 1
end
opts.calls = opts.calls or (opts.kind == "api" and 2000 or 2) -- per seed: calls, or save/load rounds
local first, last = opts.seeds:match("^(%d+)%-(%d+)$")
if not first then first = opts.seeds:match("^(%d+)$"); last = first end
first, last = assert(tonumber(first), "--seeds A-B"), tonumber(last)

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
-- children run in scratch folders: paths must be absolute
local function absolute(p) return p:sub(1, 1) == "/" and p or os.getenv("PWD") .. "/" .. p end
local lucid_bin = absolute(arg[-1]) -- the interpreter running this script
local script = absolute(here .. "/" .. opts.kind .. ".lua")
local scratch = os.tmpname()
os.remove(scratch)
assert(os.execute("mkdir -p " .. q(scratch)))

local function read(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function tail(s, n)
  local lines = {}
  for line in s:gmatch("[^\n]+") do
    lines[#lines + 1] = line
    if #lines > n then table.remove(lines, 1) end
  end
  return table.concat(lines, "\n")
end

local SANITIZER = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: " }

-- Starts seeds [a, b] in parallel and waits for them; returns the failures.
local function run_seeds(a, b)
  local cmd = {}
  for seed = a, b do
    local dir = scratch .. "/" .. seed
    cmd[#cmd + 1] = string.format(
      "(mkdir -p %s && cd %s && %s timeout -s KILL %d %s %s %d %d log > out 2> err; echo $? > rc) &",
      q(dir), q(dir), opts.ulimit and "ulimit -v 4000000 &&" or "", opts.timeout, q(lucid_bin),
      q(script), seed, opts.calls)
  end
  cmd[#cmd + 1] = "wait"
  os.execute(table.concat(cmd, "\n"))
  local failures, calls = {}, 0
  for seed = a, b do
    local dir = scratch .. "/" .. seed
    local rc, err, log = tonumber(read(dir .. "/rc")), read(dir .. "/err"), read(dir .. "/log")
    local why
    if rc == 137 then why = "hung: killed after " .. opts.timeout .. " s"
    elseif rc == 3 then why = "a call ran too long"
    elseif rc ~= 0 then why = "exit status " .. tostring(rc) end
    for _, pat in ipairs(SANITIZER) do
      if not why and err:find(pat, 1, true) then why = "sanitizer report" end
    end
    if why then
      failures[#failures + 1] = string.format(
        "seed %d: %s\n  last calls:\n%s\n  stderr:\n%s\n  reproduce: cd /tmp && %s %s %d %d log --verbose; tail log",
        seed, why, tail(log, 3), tail(err, 30), lucid_bin, script, seed, opts.calls)
    else
      calls = calls + opts.calls
    end
    os.execute("rm -rf " .. q(dir))
  end
  return failures, calls
end

local clock = os.time
local start = clock()
local failures, calls, seeds = {}, 0, 0
local seed = first
while seed <= last and clock() - start < opts.budget do
  local b = math.min(last, seed + opts.jobs - 1)
  local f, c = run_seeds(seed, b)
  for _, x in ipairs(f) do failures[#failures + 1] = x end
  calls, seeds = calls + c, seeds + (b - seed + 1)
  seed = b + 1
end
os.execute("rm -rf " .. q(scratch))
print(string.format("fuzz %s: %d seeds (%d-%d), %d clean calls, %d failures, %d s", opts.kind,
  seeds, first, seed - 1, calls, #failures, clock() - start))
for _, f in ipairs(failures) do print(f) end
os.exit(#failures == 0 and 0 or 1)
