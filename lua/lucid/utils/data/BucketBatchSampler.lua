-- data.BucketBatchSampler(lengths, batch_size, {drop_last = false,
-- shuffle = true, bucket_size_multiplier = 100, generator =, seed =}):
-- batches of indices whose items have similar lengths, so padded batches
-- waste little (there is no such class in PyTorch; it is torchnlp's
-- BucketBatchSampler). lengths[i] is the length of item i (a Lua array or an
-- int64 tensor). Each pass: the indices (shuffled with shuffle) are cut into
-- buckets of batch_size * bucket_size_multiplier, each bucket is sorted by
-- length and cut into batches, and (with shuffle) the batches are put in a
-- random order. Without shuffle the batches are contiguous runs of the
-- length-sorted order.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Sampler = require("lucid.utils.data.Sampler")
local BatchSampler = require("lucid.utils.data.BatchSampler")
local Subset = require("lucid.utils.data.Subset")
local Generator = require("lucid.utils.data.Generator")

local BucketBatchSampler = Sampler:extend("BucketBatchSampler")

local fname = "BucketBatchSampler"

function BucketBatchSampler:init(...)
  local a = args.parse(fname, { "lengths", "batch_size", "drop_last", "shuffle",
    "bucket_size_multiplier", "generator", "seed" }, 3, ...)
  self.lengths = Subset.index_tensor(fname, "lengths", a.lengths):tolist()
  self.batch_size, self.drop_last = BatchSampler.check(fname, a.batch_size, a.drop_last)
  self.shuffle = a.shuffle
  if self.shuffle == nil then self.shuffle = true end
  if type(self.shuffle) ~= "boolean" then
    raise(string.format("%s: shuffle must be a boolean, got %s", fname, type(a.shuffle)))
  end
  local m = a.bucket_size_multiplier or 100
  if math.type(m) ~= "integer" or m < 1 then
    raise(string.format("%s: bucket_size_multiplier must be a positive integer, got %s", fname, tostring(m)))
  end
  self.bucket_size_multiplier = m
  self.generator = Generator.from_options(fname, a)
end

function BucketBatchSampler:__len__()
  local n = #self.lengths
  if self.drop_last then return n // self.batch_size end
  return (n + self.batch_size - 1) // self.batch_size
end

-- This pass's batches, as Lua arrays of indices.
function BucketBatchSampler:_batch_lists()
  local n, bs, lengths = #self.lengths, self.batch_size, self.lengths
  local order = self.shuffle and self.generator:randperm(n):tolist() or {}
  if not self.shuffle then
    for i = 1, n do order[i] = i end
  end
  local bucket = self.shuffle and bs * self.bucket_size_multiplier or n
  local batches = {}
  for start = 1, n, bucket do
    local chunk = table.move(order, start, math.min(start + bucket - 1, n), 1, {})
    -- by length, ties in the chunk's order (a stable sort of a permutation)
    local rank = {}
    for k, i in ipairs(chunk) do rank[i] = k end
    table.sort(chunk, function(x, y)
      if lengths[x] ~= lengths[y] then return lengths[x] < lengths[y] end
      return rank[x] < rank[y]
    end)
    for b = 1, #chunk, bs do
      local batch = table.move(chunk, b, math.min(b + bs - 1, #chunk), 1, {})
      batches[#batches + 1] = batch
    end
  end
  if self.drop_last then
    local kept = {}
    for _, b in ipairs(batches) do
      if #b == bs then kept[#kept + 1] = b end
    end
    batches = kept
  end
  if self.shuffle and #batches > 1 then
    local perm = self.generator:randperm(#batches):tolist()
    local shuffled = {}
    for k, p in ipairs(perm) do shuffled[k] = batches[p] end
    batches = shuffled
  end
  return batches
end

function BucketBatchSampler:batches()
  local lists, k = self:_batch_lists(), 0
  return function()
    k = k + 1
    local b = lists[k]
    return b and lucid.tensor(b, { dtype = lucid.int64 }):view(#b)
  end
end

function BucketBatchSampler:__iter__()
  local lists, k = self:_batch_lists(), 0
  return function()
    k = k + 1
    return lists[k]
  end
end

return BucketBatchSampler
