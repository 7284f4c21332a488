-- Collectives under mpirun -np N: every op and dtype against the result
-- computed locally from what each rank is known to hold.
local dist = require("lucid.distributed")
dist.init_process_group{timeout = 60}
local rank, world = dist.get_rank(), dist.get_world_size()
local checks = 0

local function check(cond, msg)
  if not cond then error(("rank %d: %s"):format(rank, msg), 2) end
  checks = checks + 1
end

local function same(a, b, what)
  check(a.shape == b.shape and a:sub(b):abs():max():item() == 0,
    what .. ": got " .. tostring(a) .. " expected " .. tostring(b))
end

-- what rank r holds: distinct values per rank, exact in every dtype
local function held(r, dt)
  return (lucid.arange(1, 7):view(2, 3) * (r + 1) + r):to(dt)
end

for _, dt in ipairs({ lucid.float32, lucid.float64, lucid.int64 }) do
  for _, op in ipairs({ "sum", "avg", "max", "min", "product" }) do
    if not (op == "avg" and dt == lucid.int64) then
      local expect = held(0, dt)
      for r = 1, world - 1 do
        local v = held(r, dt)
        if op == "sum" or op == "avg" then expect = expect + v
        elseif op == "product" then expect = expect * v
        elseif op == "max" then expect = v:gt(expect):to(dt) * v + v:le(expect):to(dt) * expect
        else expect = v:lt(expect):to(dt) * v + v:ge(expect):to(dt) * expect end
      end
      if op == "avg" then expect = expect / world end
      local t = held(rank, dt)
      dist.all_reduce(t, { op = op })
      same(t, expect, ("all_reduce %s %s"):format(op, dt.name))
      -- a non-contiguous tensor (a transposed view) reduces the same way
      local nc = held(rank, dt):t():contiguous():t()
      check(not nc:is_contiguous(), "the view is not contiguous")
      dist.all_reduce(nc, { op = op })
      same(nc, expect, ("all_reduce %s %s, non-contiguous"):format(op, dt.name))
    end
  end
  for root = 0, world - 1 do
    local t = held(rank, dt)
    dist.broadcast(t, root)
    same(t, held(root, dt), "broadcast from " .. root)
  end
  local list = dist.all_gather({}, held(rank, dt))
  check(#list == world, "all_gather returns one tensor per rank")
  for r = 0, world - 1 do same(list[r + 1], held(r, dt), "all_gather part " .. r) end
  local inputs = {}
  for r = 0, world - 1 do inputs[r + 1] = held(rank, dt) * (r + 1) end
  local out = lucid.zeros({ 2, 3 }, { dtype = dt })
  dist.reduce_scatter(out, inputs)
  local expect = held(0, dt)
  for r = 1, world - 1 do expect = expect + held(r, dt) end
  same(out, expect * (rank + 1), "reduce_scatter")
end

-- async: a work handle, waited for
local t = lucid.ones(1000) * (rank + 1)
local w = dist.all_reduce(t, { op = "sum", async_op = true })
check(w:wait() == true, "wait returns true")
check(w:is_completed(), "completed after wait")
check(t:sum():item() == 1000 * world * (world + 1) / 2, "async all_reduce sums")
dist.barrier()

-- misuse is a Lua error naming the function and the argument
local ok, err = pcall(dist.all_reduce, lucid.ones(2, { dtype = lucid.int64 }), { op = "avg" })
check(not ok and err:find("all_reduce: op 'avg' needs float tensors, got int64", 1, true), tostring(err))
ok, err = pcall(dist.broadcast, lucid.ones(2), world)
check(not ok and err:find("broadcast: src must be a rank from 0 to", 1, true), tostring(err))
ok, err = pcall(dist.all_reduce, lucid.ones(2), { op = "mean" })
check(not ok and err:find("all_reduce: op must be one of", 1, true), tostring(err))
ok, err = pcall(dist.all_reduce, 5)
check(not ok and err:find("all_reduce: tensor must be a tensor, got number", 1, true), tostring(err))

dist.barrier()
print(("rank %d of %d: %d collective checks passed"):format(rank, world, checks))
