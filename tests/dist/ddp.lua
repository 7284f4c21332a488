-- DistributedDataParallel under mpirun -np N, against one process training
-- on the N-times batch (every rank computes that reference locally).
local dist = require("lucid.distributed")
dist.init_process_group{timeout = 120}
local rank, world = dist.get_rank(), dist.get_world_size()
local DDP = nn.parallel.DistributedDataParallel
local f64 = lucid.float64
local B, L, I, H, STEPS = 3, 5, 4, 6, 10
local checks = 0

local function check(cond, msg)
  if not cond then error(("rank %d: %s"):format(rank, msg), 2) end
  checks = checks + 1
end

local function flat(model)
  local parts = {}
  for _, p in ipairs(model:parameters()) do parts[#parts + 1] = p:detach():reshape(-1) end
  return lucid.cat(parts, 1)
end

-- the same on every rank, bit for bit?
local function identical_across_ranks(v)
  local lo, hi = v:clone(), v:clone()
  dist.all_reduce(lo, { op = "min" })
  dist.all_reduce(hi, { op = "max" })
  return hi:sub(lo):abs():max():item() == 0 and lo:sub(v):abs():max():item() == 0
end

local function max_diff(a, b) return a:sub(b):abs():max():item() end

local function make_model(seed)
  lucid.manual_seed(seed)
  return nn.LSTM(I, H, { num_layers = 2, dtype = f64 })
end

lucid.manual_seed(7)
local data = {}
for s = 1, STEPS do data[s] = lucid.randn(L, B * world, I, { dtype = f64 }) end

local function step_loss(model, x)
  local out = model(x)
  return out:pow(2):mean()
end

-- reference: one process, the whole batch
local ref = make_model(1)
local ref_opt = lucid.optim.Adam(ref:parameters(), { lr = 0.01 })
local ref_losses = {}
for s = 1, STEPS do
  ref_opt:zero_grad()
  local loss = step_loss(ref, data[s])
  loss:backward()
  ref_opt:step()
  ref_losses[s] = loss:item()
end

-- DDP: each rank starts from different weights (rank 0's are broadcast)
local function train()
  local model = DDP(make_model(1 + 100 * rank))
  local opt = lucid.optim.Adam(model:parameters(), { lr = 0.01 })
  local losses = {}
  for s = 1, STEPS do
    opt:zero_grad()
    local loss = step_loss(model, data[s]:narrow(2, rank * B + 1, B))
    loss:backward()
    opt:step()
    local avg = lucid.tensor({ loss:item() }, { dtype = f64 })
    dist.all_reduce(avg, { op = "avg" })
    losses[s] = avg:item()
    check(identical_across_ranks(flat(model.module)), "parameters bitwise equal after step " .. s)
  end
  model:remove_hooks()
  return model.module, losses
end

local model, losses = train()
for s = 1, STEPS do
  check(math.abs(losses[s] - ref_losses[s]) <= 1e-10 * math.abs(ref_losses[s]),
    ("step %d loss %.17g, one process %.17g"):format(s, losses[s], ref_losses[s]))
end
check(max_diff(flat(model), flat(ref)) <= 1e-10, "final parameters as one process")
local again = train()
check(max_diff(flat(again), flat(model)) == 0, "two runs bitwise equal")

-- state_dict: the wrapped module's keys, no "module." prefix
local wrapped = DDP(make_model(1))
for k in pairs(wrapped:state_dict()) do check(not k:find("^module%."), "key " .. k) end
wrapped:remove_hooks()

-- no_sync: micro-batch 1 accumulated locally, micro-batch 2 synchronised,
-- equals the gradient of the mean over ranks of both losses
local Lin = DDP(nn.Linear(I, 2, { dtype = f64 }))
local x1 = lucid.randn(B * world, I, { dtype = f64 })
local x2 = lucid.randn(B * world, I, { dtype = f64 })
local mine = function(x) return x:narrow(1, rank * B + 1, B) end
Lin:zero_grad()
Lin:no_sync(function() Lin(mine(x1)):sum():backward() end)
check(identical_across_ranks(Lin.module.weight.grad) == (world == 1), "no_sync does not reduce")
Lin(mine(x2)):sum():backward()
local plain = nn.Linear(I, 2, { dtype = f64 })
plain:load_state_dict(Lin:state_dict())
local both = (plain(x1):sum() + plain(x2):sum()) / world
both:backward()
check(max_diff(Lin.module.weight.grad, plain.weight.grad) <= 1e-12, "no_sync then sync = one big batch")
Lin:remove_hooks()

-- a parameter that a step does not use: no hang, and the average of what was used
local Two = nn.Module:extend("Two", {})
function Two:init()
  self.a = nn.Linear(I, 2, { dtype = f64 })
  self.b = nn.Linear(I, 2, { dtype = f64 })
end
function Two:forward(x, use_b)
  local y = self.a(x):sum()
  if use_b then y = y + self.b(x):sum() end
  return y
end
local two = DDP(Two())
two:zero_grad()
two(mine(x1), rank == 1):backward() -- only rank 1 uses b
local ref_two = Two()
ref_two:load_state_dict(two:state_dict())
if world > 1 then
  local used = ref_two.b(x1:narrow(1, B + 1, B)):sum() / world
  used:backward()
end
check(two.module.b.weight.grad ~= nil, "an unused parameter gets the average")
if world > 1 then
  check(max_diff(two.module.b.weight.grad, ref_two.b.weight.grad) <= 1e-12, "unused parameter's average")
end
two:zero_grad()
two(mine(x1), false):backward() -- no rank uses b
check(two.module.b.weight.grad:abs():max():item() == 0, "unused everywhere: zero")
two:remove_hooks()

print(("rank %d of %d: %d DDP checks passed"):format(rank, world, checks))
