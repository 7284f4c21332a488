-- nn.Unflatten(dim, unflattened_size): splits dim (1-based, negative from
-- the end) into the sizes given (a table or a shape; one may be -1).
local lucid = require("lucid")
local Module = require("nn.Module")
local Flatten = require("nn.Flatten")
local raise = require("lucid.args").raise

local Unflatten = Module:extend("Unflatten", {
  { "dim", "integer" },
  { "unflattened_size", "any" },
})

function Unflatten:init(a)
  local sizes = a.unflattened_size
  local ok = type(sizes) == "table" or type(sizes) == "userdata"
  local list = {}
  if ok then
    for i = 1, #sizes do
      list[i] = sizes[i]
      ok = ok and math.type(sizes[i]) == "integer" and (sizes[i] >= 1 or sizes[i] == -1)
    end
    ok = ok and #list > 0
  end
  if not ok then
    raise("Unflatten: unflattened_size must be a non-empty list of positive integers (one may be -1), got "
      .. type(sizes))
  end
  self.dim, self.unflattened_size = a.dim, list
end

function Unflatten:forward(x)
  if not lucid.is_tensor(x) then raise("Unflatten: input must be a tensor, got " .. type(x)) end
  local d = Flatten._norm_dim("Unflatten", "dim", self.dim, x:dim())
  local known, free = 1, false
  for _, s in ipairs(self.unflattened_size) do
    if s == -1 then free = true else known = known * s end
  end
  local size = x:dim() == 0 and 1 or x:size(d)
  if (free and size % known ~= 0) or (not free and size ~= known) then
    raise(string.format("Unflatten: unflattened_size (%s) does not fit dim %d of size %d",
      table.concat(self.unflattened_size, ", "), self.dim, size))
  end
  local sizes = {}
  for i = 1, x:dim() do
    if i == d then
      for _, s in ipairs(self.unflattened_size) do sizes[#sizes + 1] = s end
    else
      sizes[#sizes + 1] = x:size(i)
    end
  end
  return x:reshape(sizes)
end

function Unflatten:extra_repr()
  return string.format("dim=%d, unflattened_size=(%s%s)", self.dim,
    table.concat(self.unflattened_size, ", "), #self.unflattened_size == 1 and "," or "")
end

return Unflatten
