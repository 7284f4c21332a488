-- data.DistributedSampler(dataset, {num_replicas, rank, shuffle = true,
-- seed = 0, drop_last = false}): the share of a dataset's indices (1-based)
-- that one rank reads, as PyTorch's. The shares of all ranks are disjoint and
-- cover the dataset (padded by repeating indices from the start so that every
-- rank gets the same count, or trimmed with drop_last). With shuffle, the
-- order is a permutation drawn from a data.Generator seeded with seed + epoch,
-- the same on every rank: call set_epoch(e) at the start of each epoch.
-- num_replicas and rank default to the process group's (lucid.distributed).
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Sampler = require("lucid.utils.data.Sampler")
local Generator = require("lucid.utils.data.Generator")

local DistributedSampler = Sampler:extend("DistributedSampler")

local function default_group(what)
  local ok, dist = pcall(require, "lucid.distributed")
  if not (ok and dist.is_initialized()) then
    raise(("DistributedSampler: %s not given and no process group is initialized"):format(what))
  end
  return dist
end

function DistributedSampler:init(...)
  local fname = "DistributedSampler"
  local a = args.parse(fname, { "dataset", "num_replicas", "rank", "shuffle", "seed", "drop_last" }, 2, ...)
  local ok, n = pcall(function() return #a.dataset end) -- only its length is needed
  if not ok or math.type(n) ~= "integer" or n < 0 then
    raise(fname .. ": dataset must have a length (#dataset), got " .. type(a.dataset))
  end
  local replicas = a.num_replicas or default_group("num_replicas").get_world_size()
  local rank = a.rank or default_group("rank").get_rank()
  if math.type(replicas) ~= "integer" or replicas < 1 then
    raise(fname .. ": num_replicas must be a positive integer, got " .. tostring(replicas))
  end
  if math.type(rank) ~= "integer" or rank < 0 or rank >= replicas then
    raise(("%s: rank must be an integer from 0 to %d, got %s"):format(fname, replicas - 1, tostring(rank)))
  end
  local seed = a.seed or 0
  if math.type(seed) ~= "integer" then raise(fname .. ": seed must be an integer, got " .. tostring(seed)) end
  self.dataset, self.n, self.num_replicas, self.rank = a.dataset, n, replicas, rank
  self.shuffle, self.seed, self.drop_last, self.epoch = a.shuffle ~= false, seed, a.drop_last or false, 0
  local count = (self.drop_last and n % replicas ~= 0) and (n - n % replicas) // replicas
    or (n + replicas - 1) // replicas
  self.num_samples, self.total_size = count, count * replicas
end

function DistributedSampler:set_epoch(epoch)
  if math.type(epoch) ~= "integer" then
    raise("DistributedSampler.set_epoch: epoch must be an integer, got " .. tostring(epoch))
  end
  self.epoch = epoch
end

function DistributedSampler:__len__() return self.num_samples end

-- This rank's indices for the current epoch: every num_replicas-th of the
-- (padded) order, from position rank + 1.
function DistributedSampler:indices()
  local all = self.shuffle and Generator(self.seed + self.epoch):randperm(self.n)
    or lucid.arange(1, self.n + 1, { dtype = lucid.int64 })
  if self.n == 0 or self.num_samples == 0 then return lucid.zeros(0, { dtype = lucid.int64 }) end
  local parts = {}
  for k = 1, (self.total_size + self.n - 1) // self.n do parts[k] = all end
  local padded = #parts == 1 and all or lucid.cat(parts, 1)
  local picks = lucid.arange(self.rank + 1, self.total_size + 1, self.num_replicas, { dtype = lucid.int64 })
  return padded:index_select(1, picks)
end

function DistributedSampler:__tostring()
  return ("DistributedSampler(num_replicas=%d, rank=%d, shuffle=%s, seed=%d, drop_last=%s)"):format(
    self.num_replicas, self.rank, tostring(self.shuffle), self.seed, tostring(self.drop_last))
end

return DistributedSampler
