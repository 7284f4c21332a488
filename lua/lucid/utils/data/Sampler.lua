-- data.Sampler: the base of samplers (torch.utils.data.Sampler). A sampler
-- yields 1-based dataset indices: `for index in s:iter()`,
-- `for k, index in pairs(s)`, `#s`. A subclass defines either
-- indices() -> an int64 tensor of one pass's indices (the fast form: the
-- DataLoader slices it into batches without visiting each index in Lua), or
-- __iter__() -> an iterator function yielding integers; and __len__().
local lucid = require("lucid")
local class = require("lucid.utils.data._class")
local raise = require("lucid.args").raise

local Sampler = class.extend(nil, "Sampler")

function Sampler:init() end

function Sampler:__len__()
  raise(self.__name .. ": __len__ is not implemented")
end

function Sampler:__iter__()
  if self.indices == Sampler.indices then raise(self.__name .. ": define indices() or __iter__()") end
  local list = self:indices():tolist()
  local k = 0
  return function()
    k = k + 1
    return list[k]
  end
end

function Sampler:indices()
  local list = {}
  for index in self:__iter__() do list[#list + 1] = index end
  return lucid.tensor(list, { dtype = lucid.int64 }):view(#list)
end

function Sampler:iter() return self:__iter__() end

Sampler.__len = function(self) return self:__len__() end
Sampler.__pairs = function(self)
  local it, k = self:__iter__(), 0
  return function()
    local v = it()
    if v == nil then return nil end
    k = k + 1
    return k, v
  end, self, nil
end
Sampler.__tostring = function(self) return string.format("%s(%d indices)", self.__name, #self) end

-- One pass of any sampler-like value as an int64 tensor: a Sampler (or any
-- object with indices() giving a tensor or an array), an int64 tensor, a
-- Lua array of integers, or an object with iter().
function Sampler.indices_of(fname, s)
  if lucid.is_tensor(s) then return require("lucid.utils.data.Subset").index_tensor(fname, "sampler", s) end
  if type(s) == "table" then
    if type(s.indices) == "function" then
      -- an int64 tensor, or a Lua array (as DistributedSampler gives)
      return require("lucid.utils.data.Subset").index_tensor(fname, "sampler:indices()", s:indices())
    end
    if getmetatable(s) == nil then return require("lucid.utils.data.Subset").index_tensor(fname, "sampler", s) end
    if type(s.iter) == "function" then
      local list = {}
      for index in s:iter() do list[#list + 1] = index end
      return lucid.tensor(list, { dtype = lucid.int64 }):view(#list)
    end
  end
  raise(string.format("%s: sampler must be a sampler, an int64 tensor or a Lua array of indices, got %s",
    fname, type(s)))
end

return Sampler
