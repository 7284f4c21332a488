-- data.Dataset: the base of map-style datasets (torch.utils.data.Dataset).
-- A subclass defines __getitem__(i) (1-based) and __len__(); then ds[i]
-- and #ds work, and ds1 + ds2 is their ConcatDataset. A subclass may also
-- define __getitems__(indices) (an int64 tensor of indices) returning a
-- whole collated batch at once, which the DataLoader then uses instead of
-- reading items one by one (TensorDataset does: one index_select per tensor).
local class = require("lucid.utils.data._class")
local raise = require("lucid.args").raise

local Dataset = class.extend(nil, "Dataset")

function Dataset:init() end

function Dataset:__getitem__()
  raise(self.__name .. ": __getitem__ is not implemented")
end

function Dataset:__len__()
  raise(self.__name .. ": __len__ is not implemented")
end

Dataset.__len = function(self) return self:__len__() end
Dataset.__add = function(a, b) return require("lucid.utils.data.ConcatDataset")({ a, b }) end
Dataset.__tostring = function(self) return string.format("%s(%d items)", self.__name, #self) end

-- The item count of a dataset, checked: one owner of the "has a length" check.
function Dataset.length_of(fname, ds)
  local mt = getmetatable(ds)
  if type(ds) ~= "table" or not (mt and mt.__len) then
    raise(string.format("%s: dataset must be a map-style dataset (with __getitem__ and __len__), got %s",
      fname, type(ds)))
  end
  local n = #ds
  if math.type(n) ~= "integer" or n < 0 then
    raise(string.format("%s: dataset length must be a non-negative integer, got %s", fname, tostring(n)))
  end
  return n
end

return Dataset
