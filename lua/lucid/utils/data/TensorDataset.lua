-- data.TensorDataset(t1, t2, ...): item i is the array {t1[i], t2[i], ...}
-- of rows along dim 1 (torch.utils.data.TensorDataset); every tensor has
-- the same size in dim 1. A batch of indices is gathered with one
-- index_select per tensor (__getitems__), which the DataLoader uses.
local lucid = require("lucid")
local raise = require("lucid.args").raise
local Dataset = require("lucid.utils.data.Dataset")

local TensorDataset = Dataset:extend("TensorDataset")

function TensorDataset:init(...)
  local n = select("#", ...)
  if n == 0 then raise("TensorDataset: expected at least one tensor") end
  local tensors = { ... }
  for i = 1, n do
    local t = tensors[i]
    if not lucid.is_tensor(t) then
      raise(string.format("TensorDataset: argument %d must be a tensor, got %s", i, type(t)))
    end
    if t:dim() == 0 then raise(string.format("TensorDataset: tensor %d must have at least one dim, got a 0-dim tensor", i)) end
    if t:size(1) ~= tensors[1]:size(1) then
      raise(string.format("TensorDataset: size mismatch between tensors: tensor 1 has %d rows, tensor %d has %d",
        tensors[1]:size(1), i, t:size(1)))
    end
  end
  self.tensors = tensors
end

function TensorDataset:__len__() return self.tensors[1]:size(1) end

function TensorDataset:__getitem__(i)
  local n = self:__len__()
  if i < -n or i > n or i == 0 then
    raise(string.format("TensorDataset: index %d is out of range for %d items", i, n))
  end
  local item = {}
  for k, t in ipairs(self.tensors) do item[k] = t[i] end
  return item
end

-- A batch: {t1:index_select(1, indices), ...}, what default_collate makes
-- of the items, without reading them one by one.
function TensorDataset:__getitems__(indices)
  local batch = {}
  for k, t in ipairs(self.tensors) do batch[k] = t:index_select(1, indices) end
  return batch
end

return TensorDataset
