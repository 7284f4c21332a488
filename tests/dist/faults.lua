-- Faults of a distributed job, each run as its own mpirun job: a rank that
-- exits, a rank that stalls past the timeout, ranks that call different
-- collectives. Usage: lucid tests/dist/faults.lua <lucid binary> <mpirun>
local lucid_bin, mpirun = arg[1], arg[2]
local checks = 0

local function check(cond, msg)
  if not cond then error(msg, 2) end
  checks = checks + 1
end

-- Runs `script` under mpirun -np 2; returns its output, exit status, seconds.
local function job(script, env)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(script)
  f:close()
  local cmd = ("%s timeout 60 %s --oversubscribe --bind-to none -np 2 %s %s 2>&1"):format(
    env or "", mpirun, lucid_bin, path)
  local t0 = lucid.clock()
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local _, _, status = p:close()
  os.remove(path)
  return out, status, lucid.clock() - t0
end

local prelude = [[
local dist = require("lucid.distributed")
dist.init_process_group{timeout = 3}
local rank = dist.get_rank()
]]

-- a rank that exits: the job fails, promptly, with a non-zero status
local out, status, secs = job(prelude .. [[
if rank == 1 then os.exit(1) end
dist.all_reduce(lucid.ones(4))
]])
check(status ~= 0, "a rank that exits fails the job:\n" .. out)
check(secs < 10, ("the job ended in %.1f s"):format(secs))

-- a rank that stalls: the others name the collective and the rank, and stop
out, status, secs = job(prelude .. [[
dist.barrier()
if rank == 1 then os.execute("sleep 30") end
dist.all_reduce(lucid.ones(4))
]])
check(status ~= 0, "a stalled job fails:\n" .. out)
check(secs < 10, ("the stalled job ended in %.1f s"):format(secs))
check(out:find("rank 0: all_reduce #2 (sum, float32, 4 elements) did not complete within 3 s", 1, true),
  "the message names the collective:\n" .. out)
check(out:find("rank 1 has not reached it (last completed collective: #1)", 1, true),
  "the message names the stalled rank:\n" .. out)

-- different collectives under LUCID_DISTRIBUTED_DEBUG: an error naming both
out, status = job(prelude .. [[
local ok, err
if rank == 0 then ok, err = pcall(dist.all_reduce, lucid.ones(4))
else ok, err = pcall(dist.broadcast, lucid.ones(4), 0) end
assert(not ok, "a mismatched collective must fail")
assert(err:find("all_reduce #1 (sum, float32, 4 elements)", 1, true), err)
assert(err:find("broadcast #1 (root 0, float32, 4 elements)", 1, true), err)
print("mismatch reported on rank " .. rank)
]], "LUCID_DISTRIBUTED_DEBUG=1")
check(status == 0, "mismatch job:\n" .. out)
check(out:find("mismatch reported on rank 0", 1, true) and out:find("mismatch reported on rank 1", 1, true),
  "both ranks report the mismatch:\n" .. out)

print(("faults: %d checks passed"):format(checks))
