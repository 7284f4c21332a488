-- The small class system of lucid.utils.data's datasets and samplers:
--
--   local MyData = data.Dataset:extend("MyData")
--   function MyData:init(n) self.n = n end               -- MyData(10) calls it
--   function MyData:__getitem__(i) return i * i end      -- ds[i]
--   function MyData:__len__() return self.n end          -- #ds
--
-- Lua looks metamethods up without inheritance, so extend() copies them to
-- every subclass; integer keys read items through __getitem__.
local args = require("lucid.args")
local raise = args.raise

local M = {}

local METAMETHODS = { "__len", "__pairs", "__add", "__tostring", "__close" }

local function index_of(cls)
  return function(self, k)
    if math.type(k) == "integer" then
      local get = cls.__getitem__
      if get == nil then raise(string.format("%s: items cannot be read by index", cls.__name)) end
      return get(self, k)
    end
    return cls[k]
  end
end

local function construct(cls, ...)
  local self = setmetatable({}, cls)
  self:init(...)
  return self
end

-- A subclass of parent (nil for a root class) named name.
function M.extend(parent, name)
  if type(name) ~= "string" then
    raise(string.format("extend: name must be a string, got %s", type(name)))
  end
  local cls = { __name = name }
  if parent then
    for _, key in ipairs(METAMETHODS) do cls[key] = rawget(parent, key) end
  end
  cls.__index = index_of(cls)
  cls.extend = M.extend
  setmetatable(cls, {
    __index = parent,
    __call = construct,
    __tostring = function() return name end,
  })
  return args.check_methods(cls)
end

return M
