-- DistributedSampler(dataset, {num_replicas =, rank =, shuffle = true, seed = 0,
-- drop_last = false}): the share of a dataset's indices (1-based) that one
-- rank reads, as PyTorch's. The shares of all ranks are disjoint and cover the
-- dataset (padded by repeating indices from the start so that every rank gets
-- the same count, or trimmed with drop_last). With shuffle, the order is a
-- permutation drawn from seed + epoch, the same on every rank: call
-- set_epoch(e) at the start of each epoch for a new order.
local args = require("lucid.args")
local raise = args.raise

local DistributedSampler = {}
DistributedSampler.__index = DistributedSampler
DistributedSampler.__name = "DistributedSampler"

local function default_group(fname, what)
  local ok, dist = pcall(require, "lucid.distributed")
  if not (ok and dist.is_initialized()) then
    raise(("%s: %s not given and no process group is initialized"):format(fname, what))
  end
  return dist
end

local function new(_, ...)
  local a = args.parse("DistributedSampler", { "dataset", "num_replicas", "rank", "shuffle",
    "seed", "drop_last" }, 2, ...)
  local fname = "DistributedSampler"
  local ok, n = pcall(function() return #a.dataset end)
  if not ok or math.type(n) ~= "integer" then
    raise(fname .. ": dataset must have a length (#dataset), got " .. type(a.dataset))
  end
  local replicas = a.num_replicas or default_group(fname, "num_replicas").get_world_size()
  local rank = a.rank or default_group(fname, "rank").get_rank()
  if math.type(replicas) ~= "integer" or replicas < 1 then
    raise(fname .. ": num_replicas must be a positive integer, got " .. tostring(replicas))
  end
  if math.type(rank) ~= "integer" or rank < 0 or rank >= replicas then
    raise(("%s: rank must be an integer from 0 to %d, got %s"):format(fname, replicas - 1,
      tostring(rank)))
  end
  local seed = a.seed or 0
  if math.type(seed) ~= "integer" then
    raise(fname .. ": seed must be an integer, got " .. tostring(seed))
  end
  local drop_last = a.drop_last or false
  local count = (drop_last and n % replicas ~= 0) and (n - n % replicas) // replicas
    or (n + replicas - 1) // replicas
  return setmetatable({ dataset = a.dataset, num_replicas = replicas, rank = rank,
    shuffle = a.shuffle ~= false, seed = seed, drop_last = drop_last, epoch = 0,
    num_samples = count, total_size = count * replicas, n = n }, DistributedSampler)
end

setmetatable(DistributedSampler, { __call = new })

function DistributedSampler:set_epoch(epoch)
  if math.type(epoch) ~= "integer" then
    raise("DistributedSampler.set_epoch: epoch must be an integer, got " .. tostring(epoch))
  end
  self.epoch = epoch
end

-- A permutation of 1..n from a seed, identical on every rank and machine:
-- Fisher-Yates over splitmix64 (Lua integers wrap as 64-bit).
local function permutation(n, seed)
  local state = seed
  local function next64()
    state = state + 0x9E3779B97F4A7C15
    local z = state
    z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ~ (z >> 27)) * 0x94D049BB133111EB
    return z ~ (z >> 31)
  end
  local p = {}
  for i = 1, n do p[i] = i end
  for i = n, 2, -1 do
    local j = (next64() >> 1) % i + 1
    p[i], p[j] = p[j], p[i]
  end
  return p
end

-- The indices of this rank for the current epoch, as an array.
function DistributedSampler:indices()
  local all = self.shuffle and permutation(self.n, self.seed + self.epoch) or nil
  if not all then
    all = {}
    for i = 1, self.n do all[i] = i end
  end
  local mine = {}
  for k = self.rank + 1, self.total_size, self.num_replicas do
    mine[#mine + 1] = all[(k - 1) % self.n + 1] -- past the end: wrap to the start
  end
  return mine
end

function DistributedSampler:__len() return self.num_samples end

-- for i, index in pairs(sampler) / for index in sampler:iter()
function DistributedSampler:__pairs() return ipairs(self:indices()) end

function DistributedSampler:iter()
  local list, i = self:indices(), 0
  return function()
    i = i + 1
    return list[i]
  end
end

function DistributedSampler:__tostring()
  return ("DistributedSampler(num_replicas=%d, rank=%d, shuffle=%s, seed=%d, drop_last=%s)"):format(
    self.num_replicas, self.rank, tostring(self.shuffle), self.seed, tostring(self.drop_last))
end

return DistributedSampler
