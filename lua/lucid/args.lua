-- lucid.args: the three call forms of API.md's "Keyword arguments", in one
-- place for every Lua function and module that takes options:
--
--   f(x, 0.5)            positional, in PyTorch's order
--   f(x, 0.5, {k = v})   positional and a trailing options table
--   f{input = x, p = 0.5, k = v}
--
--   local a = args.parse("dropout", { "input", "p", "training" }, 1, ...)
--   -- a.input, a.p, a.training (nil where not given)
--
-- and args.raise(msg), how lucid's Lua code raises every argument error.
local M = {}

-- lucid's own Lua files: everything under the folder holding lucid/args.lua.
local LIBRARY = debug.getinfo(1, "S").source:match("^@(.*/)lucid/args%.lua$")

-- Raises msg at the user's line: the first frame that is neither lucid's
-- own Lua code nor C, however deep in the library the check ran (so no
-- function needs to count its callers for error()'s level).
function M.raise(msg)
  local level = 2
  while true do
    local info = debug.getinfo(level, "S")
    if not info then error(msg, 0) end
    local own = info.what == "C" or (LIBRARY ~= nil and info.source:sub(2, #LIBRARY + 1) == LIBRARY)
    if not own then error(msg, level) end
    level = level + 1
  end
end
local raise = M.raise

-- fn(...) (a C function of lucid.core), its error raised again at the
-- user's line: C errors carry no position of their own.
function M.call(fn, ...)
  local r = table.pack(pcall(fn, ...))
  if not r[1] then raise(r[2]) end
  return table.unpack(r, 2, r.n)
end

-- A function, or a table or userdata with a __call metamethod (a module).
function M.is_callable(v)
  if type(v) == "function" then return true end
  local mt = (type(v) == "table" or type(v) == "userdata") and getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__call") ~= nil
end

-- What counts as an options table, the one rule of docs/conventions.md
-- (lcb_is_options in bindings/ltensor.c is the same rule for C): v, the last
-- argument, standing at position pos, is the options table when it is a
-- table without a metatable and either has a string key, or is empty and pos
-- is `plain` or later: the first position after every parameter that can
-- take a table (so `f(x, {})` is f(x), while zeros({}) is a 0-dim size).
-- A tensor, a shape, a module, an array such as {2, 3}: never.
function M.is_options(v, pos, plain)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return false end
  if next(v) == nil then return pos >= plain end
  for k in pairs(v) do
    if type(k) == "string" then return true end
  end
  return false
end

-- Reduces `...` to a table keyed by `names` (names[i] is position i; names
-- after an entry "*" are keyword-only, as after Python's bare *). The last
-- argument is the options table by the rule of is_options, `plain` being
-- the function's first position after every parameter that can take a Lua
-- table (1 when none can: nn.ReLU{} has no options). Unknown names, too many
-- positional values and a name given twice are errors naming `fname`.
function M.parse(fname, names, plain, ...)
  local n = select("#", ...)
  local pos = table.pack(...)
  local named = {}
  if n > 0 and M.is_options(pos[n], n, plain) then
    named = pos[n]
    n = n - 1
  end
  -- names after a "*" are keyword-only, as after Python's bare *
  local npos, index = #names, {}
  for i, name in ipairs(names) do
    if name == "*" then
      npos = math.min(npos, i - 1)
    else
      index[name] = i
    end
  end
  if n > npos then
    raise(string.format("%s: expected at most %d positional arguments, got %d", fname, npos, n))
  end
  for k in pairs(named) do
    if not index[k] then raise(string.format("%s: unknown option '%s'", fname, tostring(k))) end
    if index[k] <= n and pos[index[k]] ~= nil then
      raise(string.format("%s: argument '%s' given both by position and by name", fname, k))
    end
  end
  local args = {}
  for i, name in ipairs(names) do
    if name ~= "*" then
      local v = pos[i]
      if i > n or v == nil then v = named[name] end
      args[name] = v
    end
  end
  return args
end

-- ---- methods that check their self -----------------------------------------
-- A method called with '.' instead of ':' (opt.step()) or on something else
-- than an object of its class gets nil or a stranger as self, and would fail
-- deep inside with "attempt to index a nil value". check_methods gives every
-- method of a class that one check, in one place.

-- Whether v is cls, an object of cls, or of (or is) a subclass of it: the
-- classes of lucid's class systems chain through their metatables' __index.
function M.is_instance(v, cls)
  local c = v
  for _ = 1, 32 do
    if c == cls then return true end
    local mt = getmetatable(c)
    if type(mt) ~= "table" then return false end
    if mt == cls then return true end
    local up = rawget(mt, "__index")
    if type(up) == "table" and up ~= c then c = up elseif mt ~= c then c = mt else return false end
  end
  return false
end

local LUA_METAMETHODS = {}
for name in ("index newindex call tostring len pairs close gc mode name eq lt le concat unm add sub mul div mod pow idiv band bor bxor shl shr bnot metatable"):gmatch("%a+") do
  LUA_METAMETHODS["__" .. name] = true
end
local wrapped = setmetatable({}, { __mode = "k" })

-- Whether v is a class of the family under root: the root itself, or a
-- table that its objects take as metatable (it holds their __index).
local function is_class(v, root)
  return v == root or (type(v) == "table" and rawget(v, "__index") ~= nil)
end

local function describe(v, root)
  if root and is_class(v, root) then return "the class " .. tostring(rawget(v, "__name")) end
  if type(v) == "table" and type(rawget(getmetatable(v) or {}, "__name")) == "string" then
    return "a " .. getmetatable(v).__name
  end
  return math.type(v) or type(v)
end

-- The methods a class itself is called with (Module:extend("Linear", ...)):
-- every other method takes an object of the class.
local CLASS_METHODS = { extend = true }

-- The metatables of values found to be objects of each root's family: the
-- check runs once per class (its objects share one metatable), and every
-- later call costs one table lookup. Weak, so a dropped class goes.
local family_of = setmetatable({}, { __mode = "k" })

local function family(root)
  local f = family_of[root]
  if not f then
    f = setmetatable({}, { __mode = "k" })
    family_of[root] = f
  end
  return f
end

-- Raises the error of a method called on a stranger, or on a class (as
-- nn.Module.parameters(nn.Module)) unless it is a class method; remembers
-- the class of an object that passes. The walk of is_instance depends only
-- on self's metatable; a class is never remembered, so its objects' check
-- stays apart from its own.
local function check_self(cls, root, name, self, members)
  local class = is_class(self, root)
  if not M.is_instance(self, root) or (class and not CLASS_METHODS[name]) then
    raise(string.format("%s:%s: self must be an object of class %s (call it as obj:%s(...)), got %s",
      cls.__name, name, root.__name, name, describe(self, root)))
  end
  local mt = getmetatable(self)
  if not class and type(mt) == "table" then members[mt] = true end
end

-- fn as a method named name of the classes under root, checking its self
-- first. Any object under root passes, as subclasses borrow each other's
-- methods (MultiplicativeLR uses LambdaLR.lambdas). With init_args, init
-- also checks that it gets the constructor's parsed arguments (a table); a
-- function init_args(cls, a) may check them further and return them checked.
local function checked(cls, root, name, fn, init_args)
  if wrapped[fn] or type(name) ~= "string" or LUA_METAMETHODS[name] or debug.getlocal(fn, 1) ~= "self" then
    return fn
  end
  local members = family(root)
  local w
  if name ~= "init" or not init_args then
    w = function(self, ...)
      if not members[getmetatable(self)] then check_self(cls, root, name, self, members) end
      return fn(self, ...)
    end
  else
    w = function(self, ...)
      if not members[getmetatable(self)] then check_self(cls, root, name, self, members) end
      local a = ...
      if type(a) ~= "table" then
        raise(string.format("%s:init: argument 1 must be the table of the constructor's parsed arguments "
          .. "(construct with %s(...)), got %s", cls.__name, cls.__name, describe(a)))
      end
      if type(init_args) == "function" then return fn(self, init_args(self, a), select(2, ...)) end
      return fn(self, ...)
    end
  end
  wrapped[w] = true
  return w
end

-- The topmost ancestor of cls.
local function root_of(cls)
  local c = cls
  for _ = 1, 32 do
    local mt = getmetatable(c)
    local up = type(mt) == "table" and rawget(mt, "__index")
    if type(up) ~= "table" or up == c then return c end
    c = up
  end
  return c
end

-- Makes every method of the class table cls (a function whose first
-- parameter is self, other than Lua's metamethods) check that its self is an
-- object of cls's class family: those defined so far, and, through cls's
-- metatable, those defined later. init_args: cls's init takes the table of
-- its constructor's parsed arguments (true), or a function init_args(obj, a)
-- returns them checked.
function M.check_methods(cls, init_args)
  local root = root_of(cls)
  local names = {}
  for k, v in pairs(cls) do
    if type(v) == "function" then names[#names + 1] = k end
  end
  for _, k in ipairs(names) do rawset(cls, k, checked(cls, root, k, rawget(cls, k), init_args)) end
  local mt = getmetatable(cls)
  if mt == nil then
    mt = {}
    setmetatable(cls, mt)
  end
  mt.__newindex = function(t, k, v)
    if type(v) == "function" then v = checked(t, root, k, v, init_args) end
    rawset(t, k, v)
  end
  return cls
end

return M
