-- Writes LuaLS (lua-language-server) annotation files for lucid's public API,
-- generated from the live API, so they cannot go stale: it walks lucid, the
-- Tensor methods, nn (every module class), nn.functional, nn.init, nn.utils,
-- nn.utils.rnn, lucid.optim and lucid.autograd, and takes each signature from
-- the entry docs/ gives the name (lucid.repl's help lookup).
--
--   build/bin/lucid tools/gen_annotations.lua <out dir>
--
-- writes <out dir>/lucid.lua (---@meta lucid) and <out dir>/nn.lua
-- (---@meta nn). CMake runs it at build time (target `annotations`) and
-- installs the files; docs/packaging.md says how to point an editor at them.
local lucid = require("lucid")
local nn = require("nn")
local repl = require("lucid.repl")

local out_dir = assert(arg[1], "usage: lucid tools/gen_annotations.lua <out dir>")

local KEYWORDS = {}
for _, k in ipairs({ "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }) do
  KEYWORDS[k] = true
end

local function public(k) return type(k) == "string" and k:match("^[%a][%w_]*$") and not KEYWORDS[k] end

local function sorted_keys(t, want)
  local keys = {}
  for k, v in pairs(t) do
    if public(k) and (not want or want(v)) then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

local function is_function(v) return type(v) == "function" end

-- ---------------------------------------------------------- signatures

-- Parameters of a documented signature such as
-- "nn.GRU(input_size, hidden_size [, num_layers [, bias]])" or
-- "lucid.zeros(sizes…)": a list of {name, optional}; "..." for varargs, "opts"
-- for an options table. nil when the docs give no argument list.
local function params_of(sig)
  local args = sig and sig:match("^[%w_.:]+%((.*)%)")
  if not args then return nil end
  local list, depth, braces, i, expect = {}, 0, 0, 1, true
  while i <= #args do
    local c = args:sub(i, i)
    if c == "[" then depth = depth + 1; expect = true
    elseif c == "]" then depth = depth - 1
    elseif c == "," and braces == 0 then expect = true
    elseif c == "{" then
      if braces == 0 and expect then list[#list + 1] = { "opts", depth > 0 }; expect = false end
      braces = braces + 1
    elseif c == "}" then braces = braces - 1
    elseif braces == 0 and expect and c:match("[%a_]") then
      local name = args:match("^[%w_]+", i)
      i = i + #name - 1
      local rest = args:sub(i + 1)
      if rest:match("^%s*…") or rest:match("^%s*%.%.%.") then name = "..." end
      if KEYWORDS[name] then name = name .. "_" end
      list[#list + 1] = { name, depth > 0 }
      expect = false
    elseif braces == 0 and expect and (args:sub(i, i + 2) == "..." or args:sub(i, i + 2) == "…") then
      list[#list + 1] = { "...", true }
      expect = false
    end
    i = i + 1
  end
  -- a name given twice ("[, a] [, a]") is kept once
  local seen, unique = {}, {}
  for _, p in ipairs(list) do
    if not seen[p[1]] then seen[p[1]] = true; unique[#unique + 1] = p end
  end
  return unique
end

-- Lua's type for a parameter, from its name.
local TENSOR_ARGS = { input = true, x = true, y = true, target = true, weight = true, other = true,
  tensor = true, t = true, self = true, grad = true, gradient = true, mask = true, src = true }
local function param_type(name)
  if name == "opts" then return "table" end
  if TENSOR_ARGS[name] then return "lucid.Tensor" end
  if name == "dim" or name == "dim0" or name == "dim1" or name:match("_size$") or name == "n" then
    return "integer"
  end
  return "any"
end

-- Return types that are not a tensor, by name; otherwise Tensor methods and
-- the lucid functions that are also methods return a tensor.
local RETURNS = {
  item = "number", tolist = "table", dim = "integer", numel = "integer", size = "integer|integer[]",
  stride = "integer|integer[]", is_contiguous = "boolean", is_same_storage = "boolean",
  is_tensor = "boolean", is_grad_enabled = "boolean", clock = "number", get_num_threads = "integer",
  initial_seed = "integer", live_bytes = "integer", load = "any", save = "nil", manual_seed = "nil",
  set_num_threads = "nil", no_grad = "any", enable_grad = "any", backward = "nil", close = "nil",
  split = "lucid.Tensor[]", chunk = "lucid.Tensor[]", grad = "lucid.Tensor[]", gradcheck = "boolean",
}
-- lucid's functions that make a tensor without being a Tensor method
local CREATES = { tensor = true, zeros = true, ones = true, empty = true, full = true, rand = true,
  randn = true, randint = true, arange = true, eye = true, zeros_like = true, ones_like = true,
  cat = true, stack = true, matmul = true }

local lines = {}
local function emit(s) lines[#lines + 1] = s end

-- Writes the annotation comment block and the stub of one function.
local function emit_function(decl, doc_name, returns)
  local where, _, sig = repl.doc(doc_name)
  local params = params_of(sig) or { { "...", true } }
  emit("")
  if where then emit("--- " .. sig .. " (" .. where .. ")") end
  local names = {}
  for _, p in ipairs(params) do
    local name, optional = p[1], p[2]
    if name == "..." then
      emit("---@param ... any")
    else
      emit(string.format("---@param %s%s %s", name, optional and "?" or "", param_type(name)))
    end
    names[#names + 1] = name
  end
  if returns then emit("---@return " .. returns) end
  emit(string.format("function %s(%s) end", decl, table.concat(names, ", ")))
end

local function write(path)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  lines = {}
end

local HEADER = "-- Generated by tools/gen_annotations.lua from the live API and docs/: do not edit."

-- ---------------------------------------------------------------- lucid

local Tensor = lucid.Tensor
emit("---@meta lucid")
emit(HEADER)
emit("")
emit("---@class lucid.dtype")
emit("---@field name string")
emit("")
emit("---@class lucid.Tensor")
local FIELD_TYPES = { shape = "integer[]", dtype = "lucid.dtype", device = "string",
  requires_grad = "boolean", grad = "lucid.Tensor?", grad_fn = "table?", is_leaf = "boolean" }
for _, k in ipairs(repl.TENSOR_FIELDS) do emit(string.format("---@field %s %s", k, FIELD_TYPES[k] or "any")) end
emit("local Tensor = {}")
for _, k in ipairs(sorted_keys(Tensor, is_function)) do
  emit_function("Tensor:" .. k, "x:" .. k, RETURNS[k] or "lucid.Tensor")
end

emit("")
emit("---@class lucid")
for _, k in ipairs(sorted_keys(lucid, function(v) return type(v) == "table" and getmetatable(v) and v.name end)) do
  emit(string.format("---@field %s lucid.dtype", k))
end
emit("---@field Tensor lucid.Tensor")
emit("---@field autograd lucid.autograd")
emit("---@field optim lucid.optim")
emit("---@field nn nn")
emit("local lucid = {}")
for _, k in ipairs(sorted_keys(lucid, is_function)) do
  local returns = RETURNS[k] or ((Tensor[k] or CREATES[k]) and "lucid.Tensor") or "any"
  emit_function("lucid." .. k, "lucid." .. k, returns)
end

emit("")
emit("---@class lucid.autograd")
emit("lucid.autograd = {}")
for _, k in ipairs(sorted_keys(lucid.autograd, is_function)) do
  emit_function("lucid.autograd." .. k, "lucid.autograd." .. k, RETURNS[k] or "any")
end

-- classes: a callable table whose instances get its methods
local function emit_class(name, parent, cls, doc_name)
  local where, _, sig = repl.doc(doc_name or name)
  local params = params_of(sig) or { { "...", true } }
  local typed = {}
  for _, p in ipairs(params) do
    typed[#typed + 1] = p[1] == "..." and "...: any"
      or string.format("%s%s: %s", p[1], p[2] and "?" or "", param_type(p[1]))
  end
  emit("")
  if where then emit("--- " .. sig .. " (" .. where .. ")") end
  emit(string.format("---@class %s%s", name, parent and (" : " .. parent) or ""))
  emit(string.format("---@overload fun(%s): %s", table.concat(typed, ", "), name))
  emit(name .. " = {}")
  local parent_cls = getmetatable(cls) and rawget(getmetatable(cls), "__index")
  for _, k in ipairs(sorted_keys(cls, is_function)) do
    if type(parent_cls) ~= "table" or parent_cls[k] ~= cls[k] then
      emit_function(name .. ":" .. k, "x:" .. k, nil)
    end
  end
end

emit("")
emit("---@class lucid.optim")
emit("lucid.optim = {}")
emit_class("lucid.optim.Optimizer", nil, lucid.optim.Optimizer)
-- lucid.optim loads each optimizer on first use; its __lazy names them all
-- (lr_scheduler is the schedulers' package, not an optimizer)
for _, k in ipairs(getmetatable(lucid.optim).__lazy()) do
  if k ~= "Optimizer" and k ~= "lr_scheduler" then
    emit_class("lucid.optim." .. k, "lucid.optim.Optimizer", lucid.optim[k])
  end
end
emit("")
emit("return lucid")
write(out_dir .. "/lucid.lua")

-- ------------------------------------------------------------------- nn

emit("---@meta nn")
emit(HEADER)
emit("")
emit("---@class nn")
emit("local nn = {}")
-- every lazily loaded name (lua/nn/init.lua's __lazy), loaded
local lazy = getmetatable(nn).__lazy()
table.sort(lazy)
local classes, tables = {}, {}
for _, k in ipairs(lazy) do
  local v = nn[k]
  if type(v) == "table" and getmetatable(v) and getmetatable(v).__call then classes[#classes + 1] = k
  elseif type(v) == "table" then tables[#tables + 1] = k end
end
emit_class("nn.Module", nil, nn.Module)
for _, k in ipairs(classes) do
  if k ~= "Module" then
    local parent = getmetatable(nn[k]).__index
    local parent_name = "nn.Module"
    for _, other in ipairs(classes) do
      if nn[other] == parent then parent_name = "nn." .. other end
    end
    emit_class("nn." .. k, parent_name, nn[k])
  end
end
-- function tables: nn.functional, nn.init, nn.utils, nn.utils.rnn
local function emit_functions(name, t, returns)
  emit("")
  emit("---@class " .. name)
  emit(name .. " = {}")
  local names = sorted_keys(t, is_function)
  local lazy_names = getmetatable(t) and getmetatable(t).__lazy
  for _, k in ipairs(type(lazy_names) == "table" and lazy_names or {}) do
    if is_function(t[k]) and not rawget(t, k) then names[#names + 1] = k end
  end
  table.sort(names)
  local seen = {}
  for _, k in ipairs(names) do
    if not seen[k] then
      seen[k] = true
      emit_function(name .. "." .. k, name .. "." .. k, returns)
    end
  end
end
for _, k in ipairs(tables) do
  emit_functions("nn." .. k, nn[k], k == "functional" and "lucid.Tensor" or "any")
end
emit_functions("nn.utils.rnn", nn.utils.rnn, "any")
emit("")
emit("return nn")
write(out_dir .. "/nn.lua")
