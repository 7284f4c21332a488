-- nn.ModuleDict({name = module, ...}): holds modules by name so that their
-- parameters are registered; it has no forward. A Lua table has no order, so
-- a dict argument is added in sorted key order; a list of {name, module}
-- pairs keeps its own order. md.name or md["name"] reads a module,
-- md.name = m adds or replaces one; md:keys(), md:values(), md:items(),
-- md:update(t), md:pop(name), md:contains(name), #md.
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local ModuleDict = Module:extend("ModuleDict", {})

-- The constructor of ModuleDict and ParameterDict: one optional table, whose
-- string keys are names (not options), handed to update.
function ModuleDict._dict_constructor(cls)
  local mt = getmetatable(cls)
  local construct = mt.__call
  mt.__call = function(c, ...)
    local n, t = select("#", ...), ...
    if n > 1 then raise(string.format("%s: expected one table, got %d arguments", c.__name, n)) end
    local self = construct(c)
    if t ~= nil then self:update(t) end
    return self
  end
end
ModuleDict._dict_constructor(ModuleDict)

-- {name = value} or {{name, value}, ...} -> ordered list of {name, value},
-- each value checked by ok(v) and described by what.
function ModuleDict._pairs(fname, t, ok, what)
  if type(t) ~= "table" or getmetatable(t) ~= nil then
    raise(string.format("%s: expected a table of %s by name, got %s", fname, what, type(t)))
  end
  local list = {}
  if #t > 0 then
    for i, kv in ipairs(t) do
      if type(kv) ~= "table" or type(kv[1]) ~= "string" or not ok(kv[2]) then
        raise(string.format("%s: element %d must be a {name, %s} pair", fname, i, what))
      end
      list[i] = { kv[1], kv[2] }
    end
    return list
  end
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then raise(string.format("%s: keys must be strings, got %s", fname, type(k))) end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for i, k in ipairs(keys) do
    if not ok(t[k]) then raise(string.format("%s: '%s' must be %s, got %s", fname, k, what, type(t[k]))) end
    list[i] = { k, t[k] }
  end
  return list
end

function ModuleDict:update(t)
  for _, kv in ipairs(ModuleDict._pairs("ModuleDict", t, Module.is_module, "a module")) do
    self:add_module(kv[1], kv[2])
  end
  return self
end

function ModuleDict:keys()
  local list = {}
  for name in self:named_children() do list[#list + 1] = name end
  return list
end

function ModuleDict:values() return self:children() end

-- for name, m in md:items() do ... end
function ModuleDict:items() return self:named_children() end

function ModuleDict:contains(name) return self._modules[name] ~= nil end

function ModuleDict:pop(name)
  local m = self._modules[name]
  if m == nil then raise(string.format("ModuleDict: pop: no module named '%s'", tostring(name))) end
  self[name] = nil
  self._kind[name] = nil
  local order = self._order.modules
  for i, n in ipairs(order) do
    if n == name then table.remove(order, i) break end
  end
  return m
end

function ModuleDict:__len() return #self:keys() end

function ModuleDict:forward()
  raise("ModuleDict: has no forward; call its modules")
end

return ModuleDict
