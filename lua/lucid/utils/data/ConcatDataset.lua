-- data.ConcatDataset({ds1, ds2, ...}): the items of each dataset in turn
-- (torch.utils.data.ConcatDataset); also ds1 + ds2. cumulative_sizes[k] is
-- the number of items in datasets 1..k.
local raise = require("lucid.args").raise
local Dataset = require("lucid.utils.data.Dataset")

local ConcatDataset = Dataset:extend("ConcatDataset")

function ConcatDataset:init(datasets)
  if type(datasets) ~= "table" or getmetatable(datasets) ~= nil or #datasets == 0 then
    raise("ConcatDataset: datasets must be a non-empty Lua array of datasets")
  end
  local sizes, total = {}, 0
  for k, ds in ipairs(datasets) do
    total = total + Dataset.length_of(string.format("ConcatDataset (dataset %d)", k), ds)
    sizes[k] = total
  end
  self.datasets = datasets
  self.cumulative_sizes = sizes
end

function ConcatDataset:__len__() return self.cumulative_sizes[#self.cumulative_sizes] end

function ConcatDataset:__getitem__(i)
  local n = self:__len__()
  if i < 0 then i = n + 1 + i end
  if i < 1 or i > n then
    raise(string.format("ConcatDataset: index %d is out of range for %d items", i, n))
  end
  -- binary search for the first dataset whose cumulative size reaches i
  local sizes, lo, hi = self.cumulative_sizes, 1, #self.cumulative_sizes
  while lo < hi do
    local mid = (lo + hi) // 2
    if sizes[mid] >= i then hi = mid else lo = mid + 1 end
  end
  return self.datasets[lo][i - (sizes[lo - 1] or 0)]
end

return ConcatDataset
