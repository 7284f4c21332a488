-- nn.Sequential(m1, m2, ...): applies its modules in order.
--
-- Children are named "0", "1", ... as in PyTorch, so state_dict keys match
-- PyTorch's ("0.weight", "2.bias"); as a Lua list it is 1-based: seq[1] is
-- child "0", #seq counts the modules, ipairs(seq) walks them.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local Sequential = Module:extend("Sequential", {})

local is_module = Module.is_module

-- The list constructor of Sequential and ModuleList: the class takes any
-- number of modules instead of declared arguments.
function Sequential._list_constructor(cls, from_table)
  local mt = getmetatable(cls)
  local construct = mt.__call
  mt.__call = function(c, ...)
    local self = construct(c)
    local mods = table.pack(...)
    if from_table then
      if mods.n > 1 or (mods[1] ~= nil and (type(mods[1]) ~= "table" or is_module(mods[1]))) then
        raise(string.format("%s: expected one table (list) of modules", c.__name))
      end
      mods = mods[1] or {}
      mods.n = #mods
    end
    for i = 1, mods.n do
      if not is_module(mods[i]) then
        raise(string.format("%s: argument %d must be a module, got %s", c.__name, i, type(mods[i])))
      end
      self:append(mods[i])
    end
    return self
  end
end
Sequential._list_constructor(Sequential, false)

-- The 1-based list view (self[1], #self, ipairs) mirrors the children in
-- order, also those added by name with add_module.
function Sequential:add_module(name, m)
  Module.add_module(self, name, m)
  local kids = self:children()
  for i = #kids + 1, rawlen(self) do rawset(self, i, nil) end
  for i, child in ipairs(kids) do rawset(self, i, child) end
  return m
end

function Sequential:append(m)
  if not is_module(m) then
    raise(string.format("%s: append: expected a module, got %s", self.__name, type(m)))
  end
  self:add_module(tostring(#self), m)
  return self
end

function Sequential:forward(x, ...)
  if #self == 0 then return x, ... end
  for _, m in ipairs(self) do x = m(x) end
  return x
end

return Sequential
