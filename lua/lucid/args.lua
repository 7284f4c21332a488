-- lucid.args: the three call forms of API.md's "Keyword arguments", in one
-- place for every Lua function and module that takes options:
--
--   f(x, 0.5)            positional, in PyTorch's order
--   f(x, 0.5, {k = v})   positional and a trailing options table
--   f{input = x, p = 0.5, k = v}
--
--   local a = args.parse("dropout", { "input", "p", "training" }, 1, 2, ...)
--   -- a.input, a.p, a.training (nil where not given)
local M = {}

-- A plain table (no metatable) with a string key.
function M.is_options(t)
  if type(t) ~= "table" or getmetatable(t) ~= nil then return false end
  for k in pairs(t) do
    if type(k) == "string" then return true end
  end
  return false
end

-- Reduces `...` to a table keyed by `names` (names[i] is position i). A
-- trailing plain table is the options table when it has a string key, or
-- when it is empty and stands at a position from `plain` on (positions that
-- never take a Lua table, so `f(x, {})` works). Unknown names, too many
-- positional values and a name given twice are errors naming `fname`,
-- raised at `level` as seen from the caller (as error()'s level).
function M.parse(fname, names, plain, level, ...)
  local n = select("#", ...)
  local pos = table.pack(...)
  local named = {}
  local last = pos[n]
  if n > 0 and (M.is_options(last) or (n >= plain and type(last) == "table"
      and getmetatable(last) == nil and next(last) == nil)) then
    named = last
    n = n - 1
  end
  if n > #names then
    error(string.format("%s: expected at most %d positional arguments, got %d", fname, #names, n), level + 1)
  end
  local index = {}
  for i, name in ipairs(names) do index[name] = i end
  for k in pairs(named) do
    if not index[k] then error(string.format("%s: unknown option '%s'", fname, tostring(k)), level + 1) end
    if index[k] <= n and pos[index[k]] ~= nil then
      error(string.format("%s: argument '%s' given both by position and by name", fname, k), level + 1)
    end
  end
  local args = {}
  for i, name in ipairs(names) do
    local v = pos[i]
    if i > n or v == nil then v = named[name] end
    args[name] = v
  end
  return args
end

return M
