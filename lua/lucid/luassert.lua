-- lucid.luassert: tensor assertions for busted (luassert).
--
--   require("lucid.luassert")
--   assert.tensor.near(y, { { 1, 2 }, { 3, 4 } })      -- dtype-based tolerance
--   assert.tensor.near(a, b, 1e-3)
--   assert.tensor.equal(idx, lucid.tensor({ 1, 3 }, { dtype = lucid.int64 }))
--   assert.tensor.shape(y, { 2, 3 })
--   assert.tensor.dtype(y, lucid.float64)
--   assert.is_not.tensor.near(a, b)                   -- negations: is_not, no, not_
--
-- a and b are tensors, nested tables of numbers or numbers. Values compare
-- as Lua numbers (doubles), with 1-based indices in messages:
--   tensors differ at [2, 3]: 0.5 vs 0.5001 (tol 1e-05)
-- Requiring it also makes luassert print tensors in its other messages.
local lucid = require("lucid")
local luassert = require("luassert")
local say = require("say")

local M = {}

-- Default tolerance of assert.tensor.near by dtype (the looser of the two
-- operands'); |a - b| <= tol * max(1, |b|): absolute near zero, relative
-- for large values.
M.tolerance = { float32 = 1e-5, float64 = 1e-10, int64 = 0, bool = 0 }

local function dtype_name(t)
  return lucid.is_tensor(t) and t.dtype.name or nil
end

local function shape_str(shape)
  return "(" .. table.concat(shape, ", ") .. ")"
end

-- Shortest form that reads back as the same double.
local function num_str(v)
  if math.type(v) == "integer" or type(v) == "boolean" then return tostring(v) end
  for _, digits in ipairs({ 6, 10, 15, 17 }) do
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v then return s end
  end
  return tostring(v)
end

-- A nested table's shape and flat values, checking that it is rectangular.
local function flatten_table(v, who, shape, flat, depth, path)
  if type(v) == "number" or type(v) == "boolean" then
    if shape[depth] ~= nil then
      error(string.format("%s: ragged table at %s: a number where a table of %d was expected",
        who, path, shape[depth]), 0)
    end
    shape.depth = shape.depth or depth - 1
    if depth - 1 ~= shape.depth then
      error(string.format("%s: ragged table at %s", who, path), 0)
    end
    flat[#flat + 1] = v
    return
  end
  if type(v) ~= "table" then
    error(string.format("%s: expected a tensor, a number or a nested table of numbers or booleans, got %s at %s",
      who, type(v), path), 0)
  end
  if shape.depth and depth > shape.depth then
    error(string.format("%s: ragged table at %s", who, path), 0)
  end
  if shape[depth] == nil then
    shape[depth] = #v
  elseif shape[depth] ~= #v then
    error(string.format("%s: ragged table at %s: %d entries, expected %d", who, path, #v, shape[depth]), 0)
  end
  for i = 1, #v do
    flatten_table(v[i], who, shape, flat, depth + 1, path .. "[" .. i .. "]")
  end
  if #v == 0 then shape.depth = shape.depth or depth end
end

-- {shape = {...}, values = {flat, row-major}, dtype = name or nil}
local function view(v, who, argn)
  if lucid.is_tensor(v) then
    local flat = {}
    local list = v:tolist()
    if type(list) ~= "table" then
      flat[1] = list
    else
      local shape = {}
      flatten_table(list, who, shape, flat, 1, "")
    end
    local shape = {}
    for i = 1, v:dim() do shape[i] = v:size(i) end
    return { shape = shape, values = flat, dtype = dtype_name(v) }
  end
  if type(v) ~= "table" and type(v) ~= "number" and type(v) ~= "boolean" then
    error(string.format("%s: argument %d must be a tensor, a number or a nested table, got %s",
      who, argn, type(v)), 0)
  end
  local shape, flat = {}, {}
  flatten_table(v, who, shape, flat, 1, "argument " .. argn)
  local dims = {}
  for i = 1, shape.depth or 0 do dims[i] = shape[i] end
  return { shape = dims, values = flat }
end

-- The 1-based index "[i, j, ...]" of flat position k (1-based).
local function index_str(shape, k)
  local idx, rest = {}, k - 1
  for d = #shape, 1, -1 do
    idx[d] = rest % shape[d] + 1
    rest = rest // shape[d]
  end
  return "[" .. table.concat(idx, ", ") .. "]"
end

local function same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- Compares two views; returns ok and a sentence saying why (used by both
-- the positive and the negated message).
local function compare(a, b, tol)
  if not same_shape(a.shape, b.shape) then
    return false, string.format("shapes differ: %s vs %s", shape_str(a.shape), shape_str(b.shape))
  end
  local first, count, worst = nil, 0, 0
  for k = 1, #a.values do
    local x, y = a.values[k], b.values[k]
    -- booleans (bool tensors) equal only booleans
    local numbers = type(x) == "number" and type(y) == "number"
    local diff = numbers and math.abs(x - y) or (x == y and 0 or math.huge)
    local close = x == y or (numbers and diff <= tol * math.max(1, math.abs(y))) -- NaN is never close
    if not close then
      count = count + 1
      first = first or k
      if diff > worst or diff ~= diff then worst = diff end
    end
  end
  local tol_str = "tol " .. num_str(tol)
  if first then
    return false, string.format("tensors differ at %s: %s vs %s (%s); %d of %d elements differ, max abs diff %s; shape %s",
      index_str(a.shape, first), num_str(a.values[first]), num_str(b.values[first]), tol_str,
      count, #a.values, string.format("%.3g", worst), shape_str(a.shape))
  end
  return true, string.format("all %d elements agree (%s); shape %s", #a.values, tol_str, shape_str(a.shape))
end

-- Puts the explanation in the message's only argument, unformatted.
local function explain(arguments, ok, why)
  arguments[1] = why
  arguments.n = 1
  arguments.nofmt = { true }
  return ok
end

local function tensor_near(_, arguments)
  local who = "assert.tensor.near"
  local a, b = view(arguments[1], who, 1), view(arguments[2], who, 2)
  local tol = arguments[3]
  if tol == nil then
    local ta, tb = M.tolerance[a.dtype or b.dtype or "float64"], M.tolerance[b.dtype or a.dtype or "float64"]
    tol = math.max(ta or 0, tb or 0)
  elseif type(tol) ~= "number" or tol < 0 or tol ~= tol then
    error(string.format("%s: argument 3 (tol) must be a number >= 0, got %s", who, tostring(tol)), 0)
  end
  return explain(arguments, compare(a, b, tol))
end

local function tensor_equal(_, arguments)
  local who = "assert.tensor.equal"
  local a, b = view(arguments[1], who, 1), view(arguments[2], who, 2)
  local ok, why = compare(a, b, 0)
  if ok and a.dtype and b.dtype and a.dtype ~= b.dtype then
    ok, why = false, string.format("dtypes differ: %s vs %s", a.dtype, b.dtype)
  end
  return explain(arguments, ok, (why:gsub(" %(tol 0%)", "")))
end

local function tensor_shape(_, arguments)
  local who = "assert.tensor.shape"
  local t, want = arguments[1], arguments[2]
  if not lucid.is_tensor(t) then
    error(string.format("%s: argument 1 must be a tensor, got %s", who, type(t)), 0)
  end
  if type(want) ~= "table" then
    error(string.format("%s: argument 2 must be a table of sizes such as {2, 3}, got %s", who, type(want)), 0)
  end
  local got, expected = {}, {}
  for i = 1, t:dim() do got[i] = t:size(i) end
  for i = 1, #want do expected[i] = want[i] end
  if same_shape(got, expected) then
    return explain(arguments, true, "Expected a tensor whose shape is not " .. shape_str(expected))
  end
  return explain(arguments, false, string.format("Expected a tensor of shape %s, got %s",
    shape_str(expected), shape_str(got)))
end

local function tensor_dtype(_, arguments)
  local who = "assert.tensor.dtype"
  local t, want = arguments[1], arguments[2]
  if not lucid.is_tensor(t) then
    error(string.format("%s: argument 1 must be a tensor, got %s", who, type(t)), 0)
  end
  local name = type(want) == "table" and want.name or want
  if type(name) ~= "string" or not M.tolerance[name] then
    error(string.format("%s: argument 2 must be lucid.float32, lucid.float64 or lucid.int64, got %s",
      who, tostring(want)), 0)
  end
  local got = t.dtype.name
  if got == name then return explain(arguments, true, "Expected a tensor whose dtype is not " .. name) end
  return explain(arguments, false, string.format("Expected a tensor of dtype %s, got %s", name, got))
end

local assertions = {
  { "tensor_near", tensor_near, "Expected tensors to be near.\n%s", "Expected tensors not to be near.\n%s" },
  { "tensor_equal", tensor_equal, "Expected tensors to be equal.\n%s", "Expected tensors not to be equal.\n%s" },
  -- the callback writes the whole sentence, which depends on the outcome
  { "tensor_shape", tensor_shape, "%s", "%s" },
  { "tensor_dtype", tensor_dtype, "%s", "%s" },
}

for _, a in ipairs(assertions) do
  local name, fn, pos, neg = a[1], a[2], a[3], a[4]
  say:set("assertion." .. name .. ".positive", pos)
  say:set("assertion." .. name .. ".negative", neg)
  -- luassert joins assert.tensor.near's tokens into the key "tensor_near"
  luassert:register("assertion", name, fn, "assertion." .. name .. ".positive",
    "assertion." .. name .. ".negative")
end

-- Tensors in other assertions' messages print as tensors.
luassert:add_formatter(function(v)
  if lucid.is_tensor(v) then return tostring(v) end
end)

M.compare = function(a, b, tol)
  return compare(view(a, "lucid.luassert.compare", 1), view(b, "lucid.luassert.compare", 2), tol or 0)
end

return M
