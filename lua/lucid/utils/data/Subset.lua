-- data.Subset(dataset, indices): the items of dataset at indices (a Lua
-- array or an int64 tensor of 1-based indices), in that order
-- (torch.utils.data.Subset). subset.indices is an int64 tensor.
local lucid = require("lucid")
local raise = require("lucid.args").raise
local Dataset = require("lucid.utils.data.Dataset")

local Subset = Dataset:extend("Subset")

-- A 1-D int64 tensor of indices from a Lua array or a tensor.
function Subset.index_tensor(fname, name, v)
  if lucid.is_tensor(v) then
    if v:dim() ~= 1 or v.dtype ~= lucid.int64 then
      raise(string.format("%s: %s must be a 1-D int64 tensor or a Lua array of integers, got a %d-D %s tensor",
        fname, name, v:dim(), v.dtype.name))
    end
    return v
  end
  if type(v) ~= "table" then
    raise(string.format("%s: %s must be a Lua array of integers or an int64 tensor, got %s", fname, name, type(v)))
  end
  for i = 1, #v do
    if math.type(v[i]) ~= "integer" then
      raise(string.format("%s: %s[%d] must be an integer, got %s", fname, name, i, tostring(v[i])))
    end
  end
  return lucid.tensor(v, { dtype = lucid.int64 }):view(#v)
end

function Subset:init(dataset, indices)
  local n = Dataset.length_of("Subset", dataset)
  self.dataset = dataset
  self.indices = Subset.index_tensor("Subset", "indices", indices)
  if self.indices:numel() > 0 then
    local lo, hi = self.indices:min():item(), self.indices:max():item()
    if lo < 1 or hi > n then
      raise(string.format("Subset: indices must be in 1..%d, got %d", n, lo < 1 and lo or hi))
    end
  end
end

function Subset:__len__() return self.indices:numel() end

function Subset:__getitem__(i)
  local n = self:__len__()
  if i < -n or i > n or i == 0 then
    raise(string.format("Subset: index %d is out of range for %d items", i, n))
  end
  return self.dataset[self.indices[i]:item()]
end

-- Batches stay one gather when the underlying dataset gathers.
function Subset:__getitems__(indices)
  local inner = self.indices:index_select(1, indices)
  if self.dataset.__getitems__ then return self.dataset:__getitems__(inner) end
  return nil
end

return Subset
