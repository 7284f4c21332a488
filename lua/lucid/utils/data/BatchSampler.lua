-- data.BatchSampler(sampler, batch_size, drop_last): the sampler's indices
-- in batches of batch_size (the last one shorter unless drop_last)
-- (torch.utils.data.BatchSampler). `for batch in bs:iter()` yields Lua
-- arrays of indices; batches() yields them as int64 tensors, slices of one
-- pass's index tensor, which is how the DataLoader reads them.
local args = require("lucid.args")
local raise = args.raise
local Sampler = require("lucid.utils.data.Sampler")

local BatchSampler = Sampler:extend("BatchSampler")

-- The checked batch_size and drop_last shared with the other batch samplers.
function BatchSampler.check(fname, batch_size, drop_last)
  if math.type(batch_size) ~= "integer" or batch_size <= 0 then
    raise(string.format("%s: batch_size should be a positive integer value, but got batch_size=%s",
      fname, tostring(batch_size)))
  end
  if drop_last == nil then drop_last = false end
  if type(drop_last) ~= "boolean" then
    raise(string.format("%s: drop_last should be a boolean value, but got drop_last=%s", fname,
      tostring(drop_last)))
  end
  return batch_size, drop_last
end

function BatchSampler:init(...)
  local a = args.parse("BatchSampler", { "sampler", "batch_size", "drop_last" }, 4, ...)
  if a.sampler == nil then raise("BatchSampler: missing argument 'sampler'") end
  self.sampler = a.sampler
  self.batch_size, self.drop_last = BatchSampler.check("BatchSampler", a.batch_size, a.drop_last)
end

function BatchSampler:__len__()
  local n = #self.sampler
  if self.drop_last then return n // self.batch_size end
  return (n + self.batch_size - 1) // self.batch_size
end

-- An iterator over this pass's batches as int64 tensors.
function BatchSampler:batches()
  local all = Sampler.indices_of("BatchSampler", self.sampler)
  local n, bs = all:numel(), self.batch_size
  local count = self.drop_last and n // bs or (n + bs - 1) // bs
  local k = 0
  return function()
    if k >= count then return nil end
    local start = k * bs
    k = k + 1
    return all:narrow(1, start + 1, math.min(bs, n - start))
  end
end

function BatchSampler:__iter__()
  local it = self:batches()
  return function()
    local b = it()
    return b and b:tolist()
  end
end

return BatchSampler
