-- nn.ParameterDict({name = tensor, ...}): parameters by name (pd.name,
-- pd.name = t, pd:keys(), pd:values(), pd:items(), pd:update(t),
-- pd:pop(name), pd:contains(name), #pd). As for ModuleDict, a dict argument
-- is added in sorted key order, a list of {name, tensor} pairs in its own.
-- Tensors that are not parameters yet become nn.Parameter(t).
local lucid = require("lucid")
local Module = require("nn.Module")
local ModuleDict = require("nn.ModuleDict")
local ParameterList = require("nn.ParameterList")
local raise = require("lucid.args").raise

local ParameterDict = Module:extend("ParameterDict", {})
ModuleDict._dict_constructor(ParameterDict)

function ParameterDict:update(t)
  for _, kv in ipairs(ModuleDict._pairs("ParameterDict", t, lucid.is_tensor, "a tensor")) do
    self:register_parameter(kv[1], ParameterList._as_parameter("ParameterDict", kv[2]))
  end
  return self
end

function ParameterDict:keys()
  local list = {}
  for name in self:items() do list[#list + 1] = name end
  return list
end

function ParameterDict:values()
  local list = {}
  for _, p in self:items() do list[#list + 1] = p end
  return list
end

-- for name, p in pd:items() do ... end, in insertion order.
function ParameterDict:items()
  local i, order = 0, self._order.parameters
  return function()
    repeat
      i = i + 1
      local name = order[i]
      if name == nil then return nil end
      local p = self._parameters[name]
      if p ~= nil then return name, p end
    until false
  end
end

function ParameterDict:contains(name) return self._parameters[name] ~= nil end

function ParameterDict:pop(name)
  local p = self._parameters[name]
  if p == nil then raise(string.format("ParameterDict: pop: no parameter named '%s'", tostring(name))) end
  self._parameters[name] = nil
  self._kind[name] = nil
  local order = self._order.parameters
  for i, n in ipairs(order) do
    if n == name then table.remove(order, i) break end
  end
  return p
end

function ParameterDict:__len() return #self:keys() end

ParameterDict.__repr = ParameterList.__repr

function ParameterDict:forward()
  raise("ParameterDict: has no forward; use its parameters")
end

return ParameterDict
