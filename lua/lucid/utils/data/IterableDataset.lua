-- data.IterableDataset: a dataset read as a stream
-- (torch.utils.data.IterableDataset). A subclass defines __iter__() returning
-- an iterator function that yields one item per call and nil at the end;
-- `for item in ds:iter()` reads it. A DataLoader over it batches the items
-- in stream order (samplers and shuffle do not apply).
local class = require("lucid.utils.data._class")
local raise = require("lucid.args").raise

local IterableDataset = class.extend(nil, "IterableDataset")

function IterableDataset:init() end

function IterableDataset:__iter__()
  raise(self.__name .. ": __iter__ is not implemented")
end

function IterableDataset:iter()
  local it = self:__iter__()
  if type(it) ~= "function" then
    raise(string.format("%s: __iter__ must return an iterator function, got %s", self.__name, type(it)))
  end
  return it
end

IterableDataset.__tostring = function(self) return self.__name .. "()" end

return IterableDataset
