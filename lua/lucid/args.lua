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

return M
