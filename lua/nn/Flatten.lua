-- nn.Flatten(start_dim = 2, end_dim = -1): merges dims start_dim..end_dim
-- (1-based, negative from the end) into one; the default keeps the batch dim.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local Flatten = Module:extend("Flatten", {
  { "start_dim", "integer", default = 2 },
  { "end_dim", "integer", default = -1 },
})

function Flatten:init(a) self.start_dim, self.end_dim = a.start_dim, a.end_dim end

-- A 1-based dim (negative from the end) of an n-D tensor, checked.
local function norm_dim(fname, name, d, n)
  local m = math.max(n, 1)
  if d == 0 or d > m or d < -m then
    raise(string.format("%s: %s %d is out of range for a %d-D input", fname, name, d, n))
  end
  return d < 0 and d + m + 1 or d
end
Flatten._norm_dim = norm_dim

function Flatten:forward(x)
  if not lucid.is_tensor(x) then raise("Flatten: input must be a tensor, got " .. type(x)) end
  local n = x:dim()
  local s = norm_dim("Flatten", "start_dim", self.start_dim, n)
  local e = norm_dim("Flatten", "end_dim", self.end_dim, n)
  if s > e then
    raise(string.format("Flatten: start_dim %d comes after end_dim %d", self.start_dim, self.end_dim))
  end
  if n == 0 then return x:reshape(1) end
  local sizes, merged = {}, 1
  for d = 1, n do
    if d < s or d > e then sizes[#sizes + 1] = x:size(d) else merged = merged * x:size(d) end
    if d == e then sizes[#sizes + 1] = merged end
  end
  return x:reshape(sizes)
end

function Flatten:extra_repr()
  return string.format("start_dim=%d, end_dim=%d", self.start_dim, self.end_dim)
end

return Flatten
