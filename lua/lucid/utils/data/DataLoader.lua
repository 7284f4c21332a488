-- data.DataLoader(dataset, {batch_size = 1, shuffle = false, sampler =,
-- batch_sampler =, drop_last = false, collate_fn = default_collate,
-- generator =, seed =}): batches of a dataset (torch.utils.data.DataLoader).
--
--   for i, batch in pairs(loader) do ... end     -- i = 1, 2, ...
--   for batch in loader:iter() do ... end
--   #loader                                      -- batches per pass
--
-- Loading runs in the training process itself: Lua has no worker processes
-- to hand tensors to, so there is no num_workers. It is fast where it
-- matters: the sampler gives one int64 tensor per pass, a batch is a slice
-- of it, and a dataset with __getitems__ (TensorDataset, a Subset of one)
-- gathers the whole batch with one index_select per tensor, so no Lua code
-- runs per item. Other datasets are read item by item (ds[i]) and collated.
-- shuffle = true draws a new order each pass from `generator`, a new
-- Generator(seed), or lucid's global generator (lucid.manual_seed).
local args = require("lucid.args")
local raise = args.raise
local class = require("lucid.utils.data._class")
local Dataset = require("lucid.utils.data.Dataset")
local IterableDataset = require("lucid.utils.data.IterableDataset")
local BatchSampler = require("lucid.utils.data.BatchSampler")
local SequentialSampler = require("lucid.utils.data.SequentialSampler")
local RandomSampler = require("lucid.utils.data.RandomSampler")
local Generator = require("lucid.utils.data.Generator")
local default_collate = require("lucid.utils.data.default_collate")

local DataLoader = class.extend(nil, "DataLoader")

local NAMES = { "dataset", "batch_size", "shuffle", "sampler", "batch_sampler", "num_workers",
  "collate_fn", "pin_memory", "drop_last", "timeout", "worker_init_fn", "generator", "seed" }

local function is_iterable(ds)
  local mt = getmetatable(ds)
  return type(ds) == "table" and type(ds.__iter__) == "function" and not (mt and mt.__len)
end

function DataLoader:init(...)
  local f = "DataLoader"
  local a = args.parse(f, NAMES, 2, ...)
  local ds = a.dataset
  if (a.num_workers or 0) ~= 0 then
    raise("DataLoader: num_workers must be 0: lucid loads data in the training process (there are no worker processes)")
  end
  self.dataset = ds
  self.iterable = is_iterable(ds)
  if not self.iterable then Dataset.length_of(f, ds) end
  self.collate_fn = a.collate_fn or default_collate
  if type(self.collate_fn) ~= "function" then
    raise(string.format("DataLoader: collate_fn must be a function, got %s", type(self.collate_fn)))
  end
  self._default_collate = a.collate_fn == nil or a.collate_fn == default_collate
  local shuffle = a.shuffle or false
  if type(shuffle) ~= "boolean" then raise(string.format("DataLoader: shuffle must be a boolean, got %s", type(shuffle))) end
  if a.batch_sampler ~= nil then
    if a.batch_size ~= nil and a.batch_size ~= 1 or shuffle or a.sampler ~= nil or a.drop_last then
      raise("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
    end
    if type(a.batch_sampler) ~= "table" or (type(a.batch_sampler.batches) ~= "function" and type(a.batch_sampler.iter) ~= "function") then
      raise("DataLoader: batch_sampler must be a batch sampler (with batches() or iter()), got " .. type(a.batch_sampler))
    end
    self.batch_sampler = a.batch_sampler
  else
    if a.sampler ~= nil and shuffle then raise("DataLoader: sampler option is mutually exclusive with shuffle") end
    self.batch_size, self.drop_last = BatchSampler.check(f, a.batch_size or 1, a.drop_last)
    if self.iterable then
      if a.sampler ~= nil or shuffle then
        raise("DataLoader: an IterableDataset takes no sampler and no shuffle")
      end
    else
      local sampler = a.sampler
      if sampler == nil then
        if shuffle then
          sampler = RandomSampler(ds, { generator = Generator.from_options(f, a) })
        else
          sampler = SequentialSampler(ds)
        end
      elseif a.generator ~= nil or a.seed ~= nil then
        raise("DataLoader: generator and seed apply to shuffle; give them to the sampler instead")
      end
      self.sampler = sampler
      self.batch_sampler = BatchSampler(sampler, self.batch_size, self.drop_last)
    end
  end
end

function DataLoader:__len__()
  if self.iterable then
    raise("DataLoader: an IterableDataset has no length")
  end
  return #self.batch_sampler
end

DataLoader.__len = DataLoader.__len__

-- Index tensors (or arrays) of one pass.
local function index_batches(self)
  local bs = self.batch_sampler
  if type(bs.batches) == "function" then return bs:batches() end
  return bs:iter()
end

local function fetch(self, idx)
  local ds = self.dataset
  if self._default_collate and type(idx) ~= "table" and ds.__getitems__ then
    local batch = ds:__getitems__(idx)
    if batch ~= nil then return batch end
  end
  local list = type(idx) == "table" and idx or idx:tolist()
  local items = {}
  for k, i in ipairs(list) do items[k] = ds[i] end
  return self.collate_fn(items)
end

-- Batches of an IterableDataset: batch_size items in stream order.
local function stream_batches(self)
  local it = self.dataset:iter()
  local bs, done = self.batch_size, false
  return function()
    if done then return nil end
    local items = {}
    while #items < bs do
      local item = it()
      if item == nil then
        done = true
        break
      end
      items[#items + 1] = item
    end
    if #items == 0 or (self.drop_last and #items < bs) then return nil end
    return self.collate_fn(items)
  end
end

-- An iterator over the batches of one pass (a new order each call when shuffling).
function DataLoader:iter()
  if self.iterable then return stream_batches(self) end
  local it = index_batches(self)
  return function()
    local idx = it()
    if idx == nil then return nil end
    return fetch(self, idx)
  end
end

DataLoader.__pairs = function(self)
  local it, k = self:iter(), 0
  return function()
    local batch = it()
    if batch == nil then return nil end
    k = k + 1
    return k, batch
  end, self, nil
end

DataLoader.__tostring = function(self)
  return string.format("DataLoader(%s, batch_size=%s)", tostring(self.dataset), tostring(self.batch_size))
end

return DataLoader
