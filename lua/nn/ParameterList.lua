-- nn.ParameterList({p1, p2, ...}): holds parameters as a 1-based Lua list
-- (pl[1], #pl, ipairs(pl), pl:append(t), pl:extend({...})), registered
-- under the names "0", "1", ... as in PyTorch's state_dict. Tensors that
-- are not parameters yet become nn.Parameter(t).
local lucid = require("lucid")
local Module = require("nn.Module")
local Parameter = require("nn.Parameter")
local raise = require("lucid.args").raise

local ParameterList = Module:extend("ParameterList", { { "values", "table", optional = true } })

function ParameterList:init(a)
  if a.values then self:extend(a.values) end
end

-- A tensor as a parameter (kept if already one), or an error naming fname.
function ParameterList._as_parameter(fname, t)
  if not lucid.is_tensor(t) then raise(string.format("%s: expected a tensor, got %s", fname, type(t))) end
  if Parameter.is_parameter(t) or (t.requires_grad and t.grad_fn == nil) then return t end
  return Parameter(t)
end

function ParameterList:append(t)
  t = ParameterList._as_parameter("ParameterList: append", t)
  local n = rawlen(self)
  self:register_parameter(tostring(n), t)
  rawset(self, n + 1, t)
  return self
end

function ParameterList:extend(list)
  if type(list) ~= "table" or getmetatable(list) ~= nil then
    raise("ParameterList: extend: expected a table (list) of tensors, got " .. type(list))
  end
  for _, t in ipairs(list) do self:append(t) end
  return self
end

-- "Parameter containing: [lucid.float32 of size 3x4]", PyTorch's line.
function ParameterList._describe(t)
  local dims = {}
  for i = 1, t:dim() do dims[i] = tostring(t:size(i)) end
  return string.format("Parameter containing: [%s of size %s]", tostring(t.dtype), table.concat(dims, "x"))
end

-- PyTorch prints the members four spaces in.
function ParameterList:__repr(indent)
  local lines = { self.__name .. "(" }
  for _, name in ipairs(self._order.parameters) do
    local t = self._parameters[name]
    if t ~= nil then
      lines[#lines + 1] = string.format("%s    (%s): %s", indent, name, ParameterList._describe(t))
    end
  end
  lines[#lines + 1] = indent .. ")"
  return table.concat(lines, "\n")
end

function ParameterList:forward()
  raise("ParameterList: has no forward; use its parameters")
end

return ParameterList
