-- nn.ModuleList({m1, m2, ...}): holds modules so that their parameters are
-- registered; it has no forward. Children are named "0", "1", ... (PyTorch's
-- state_dict keys); in Lua it is a 1-based list: ml[1], #ml, ipairs(ml),
-- ml:append(m), ml:extend({...}).
local Module = require("nn.Module")
local Sequential = require("nn.Sequential")
local raise = require("lucid.args").raise

local ModuleList = Module:extend("ModuleList", {})
Sequential._list_constructor(ModuleList, true)

ModuleList.add_module = Sequential.add_module
ModuleList.append = Sequential.append

function ModuleList:extend(list)
  if type(list) ~= "table" or Module.is_module(list) then
    raise("ModuleList: extend: expected a table (list) of modules, got " .. type(list))
  end
  for i, m in ipairs(list) do
    if not Module.is_module(m) then
      raise(string.format("ModuleList: extend: element %d must be a module, got %s", i, type(m)))
    end
    self:append(m)
  end
  return self
end

function ModuleList:forward()
  raise("ModuleList: has no forward; call its modules")
end

return ModuleList
