-- Shared helpers for the busted specs: build lucid tensors from PyTorch fixtures and
-- compare tensors element by element. Uses only the public API of API.md.
--
-- A fixture tensor is {dtype = "float64"|"float32"|"int64", shape = {...}, data = {flat row-major}}.
local lucid = require("lucid")

local M = {}

-- Tolerances of the API contract: float32 within 1e-5 relative of PyTorch (plus a small
-- absolute term for values near 0), float64 within 1e-10 relative; integers exactly.
local TOL = {
  float32 = { rtol = 1e-5, atol = 1e-6 },
  float64 = { rtol = 1e-10, atol = 1e-12 },
  int64 = { rtol = 0, atol = 0 },
  bool = { rtol = 0, atol = 0 },
}

local function dtype_name(dtype)
  if type(dtype) == "string" then return dtype end
  if dtype == lucid.float32 then return "float32" end
  if dtype == lucid.float64 then return "float64" end
  if dtype == lucid.int64 then return "int64" end
  if dtype == lucid.bool then return "bool" end
  return tostring(dtype)
end
M.dtype_name = dtype_name

-- M.tol(dtype) -> rtol, atol  (dtype: "float32", lucid.float64, ...)
function M.tol(dtype)
  local t = TOL[dtype_name(dtype)]
  if not t then error("helpers.tol: unknown dtype " .. tostring(dtype), 2) end
  return t.rtol, t.atol
end

local function is_fixture(v)
  return type(v) == "table" and v.data ~= nil and v.shape ~= nil and v.dtype ~= nil
    and type(v.dtype) == "string"
end
M.is_fixture = is_fixture

-- M.tensor_from_fixture(spec [, opts]) -> lucid tensor with spec's dtype, shape and values.
-- opts.requires_grad makes it a leaf that requires grad.
function M.tensor_from_fixture(spec, opts)
  opts = opts or {}
  local dtype = lucid[spec.dtype]
  if not dtype then error("helpers.tensor_from_fixture: unknown dtype " .. tostring(spec.dtype), 2) end
  local x
  if #spec.shape == 0 then
    x = lucid.tensor(spec.data[1], { dtype = dtype })
  else
    x = lucid.tensor(spec.data, { dtype = dtype }):view(table.unpack(spec.shape))
  end
  if opts.requires_grad then x:requires_grad_() end
  return x
end

-- M.fixture_cases(cases, run, it): one test (busted's `it`, which specs see but
-- modules do not) per case whose op has a runner, calling
-- run[case.op](case, inputs) with the case's inputs as lucid tensors. A case with
-- `transpose = true` (or k) has inputs[1] (or inputs[k]) transposed in its last two dims
-- first: a non-contiguous input, as the generator computed on that transpose.
function M.fixture_cases(cases, run, it)
  for _, c in ipairs(cases) do
    if run[c.op] then
      it(c.name, function()
        local xs = {}
        for i, spec in ipairs(c.inputs) do xs[i] = M.tensor_from_fixture(spec) end
        if c.transpose then
          local k = c.transpose == true and 1 or c.transpose
          xs[k] = xs[k]:transpose(-2, -1)
          assert(not xs[k]:is_contiguous(), c.name .. ": the transposed input should not be contiguous")
        end
        run[c.op](c, xs)
      end)
    end
  end
end

-- A copy of a fixture with `delta` added to every element (e.g. 0-based -> 1-based indices).
function M.shifted(spec, delta)
  local data = {}
  for i, v in ipairs(spec.data) do data[i] = v + delta end
  return { dtype = spec.dtype, shape = spec.shape, data = data }
end

-- PyTorch's 0-based dim -> lucid's 1-based dim (negative dims are the same).
function M.lua_dim(d)
  if d == nil then return nil end
  return d >= 0 and d + 1 or d
end

local function flatten(v, out)
  if type(v) == "table" then
    for _, e in ipairs(v) do flatten(e, out) end
  else
    out[#out + 1] = v
  end
  return out
end

local function shape_str(shape)
  local parts = {}
  for i = 1, #shape do parts[i] = tostring(shape[i]) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

local function shape_list(shape)
  local t = {}
  for i = 1, #shape do t[i] = shape[i] end
  return t
end

-- Unflattened index (1-based, as lucid indexes) of flat position k (1-based) in shape.
local function index_of(k, shape)
  local idx, rem = {}, k - 1
  for d = #shape, 1, -1 do
    idx[d] = rem % shape[d] + 1
    rem = rem // shape[d]
  end
  return "[" .. table.concat(idx, ", ") .. "]"
end

local function fmtnum(v)
  if type(v) ~= "number" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge or v == -math.huge then return v > 0 and "inf" or "-inf" end
  if math.type(v) == "integer" then return string.format("%d", v) end
  return string.format("%.17g", v)
end

local function describe_value(v)
  -- shape, dtype name and flat values of a fixture or a lucid tensor
  if is_fixture(v) then return shape_list(v.shape), v.dtype, v.data end
  if type(v) ~= "userdata" and type(v) ~= "table" then
    error("helpers: expected a lucid tensor or a fixture tensor, got " .. tostring(v), 3)
  end
  local shape = shape_list(v.shape)
  local list = v:tolist()
  local flat = type(list) == "table" and flatten(list, {}) or { list }
  return shape, dtype_name(v.dtype), flat
end

-- luassert (busted's assert) reports a mismatch as a test failure rather than an error;
-- outside busted, the plain assert raises it. Either way the message points at the spec
-- line that called the helper which calls fail.
local has_luassert, luassert = pcall(require, "luassert")
local function fail(msg)
  if has_luassert then luassert(false, msg, luassert:level(3)) end
  error(msg, 3)
end

-- M.assert_close(actual, expected [, rtol [, atol [, label]]])
-- actual: lucid tensor; expected: fixture tensor or lucid tensor. Checks dtype (when the
-- expected is a fixture), shape, and |a - e| <= atol + rtol * |e| for every element
-- (nan matches nan, infinities must match exactly). Default tolerances: M.tol(expected dtype).
function M.assert_close(actual, expected, rtol, atol, label)
  label = label and (label .. ": ") or ""
  if actual == nil then fail(label .. "got nil instead of a tensor") end
  local ashape, adtype, adata = describe_value(actual)
  local eshape, edtype, edata = describe_value(expected)
  local drtol, datol = M.tol(edtype)
  rtol, atol = rtol or drtol, atol or datol
  if is_fixture(expected) and adtype ~= edtype then
    fail(string.format("%sdtype differs: expected %s, got %s", label, edtype, adtype))
  end
  local same_shape = #ashape == #eshape
  for i = 1, #eshape do same_shape = same_shape and ashape[i] == eshape[i] end
  if not same_shape then
    fail(string.format("%sshape differs: expected %s, got %s", label, shape_str(eshape), shape_str(ashape)))
  end
  if #adata ~= #edata then
    fail(string.format("%snumber of elements differs: expected %d, got %d", label, #edata, #adata))
  end
  local nbad, first = 0, nil
  for k = 1, #edata do
    local a, e = adata[k], edata[k]
    local ok
    if type(e) == "boolean" or type(a) == "boolean" then
      ok = a == e
    elseif e ~= e then
      ok = a ~= a
    elseif e == math.huge or e == -math.huge then
      ok = a == e
    elseif a ~= a or a == math.huge or a == -math.huge then
      ok = false
    else
      ok = math.abs(a - e) <= atol + rtol * math.abs(e)
    end
    if not ok then
      nbad = nbad + 1
      first = first or k
    end
  end
  if nbad > 0 then
    local a, e = adata[first], edata[first]
    local numbers = type(a) == "number" and type(e) == "number"
    local diff = not numbers and "-" or (a == a and e == e) and string.format("%.3g", math.abs(a - e)) or "nan"
    fail(string.format(
      "%s%d of %d elements differ (shape %s, %s, rtol %g, atol %g); first at %s (flat %d): "
        .. "expected %s, got %s, |diff| %s, allowed %.3g",
      label, nbad, #edata, shape_str(eshape), edtype, rtol, atol, index_of(first, eshape), first,
      fmtnum(e), fmtnum(a), diff, atol + rtol * math.abs(e)))
  end
  return true
end

-- Helpers for specs whose expected values are written out by hand --------------------

-- Options table for float64 tensors: lucid.tensor(data, H.F64).
M.F64 = { dtype = lucid.float64 }

-- M.shape_of(t) -> t's sizes as a plain table {d1, d2, ...} ({} for a 0-dim tensor).
function M.shape_of(t)
  local s = {}
  for i = 1, t:dim() do s[i] = t:size(i) end
  return s
end

-- M.flat(t) -> t's values as a flat row-major list (one value for a 0-dim tensor).
function M.flat(t)
  local l = t:tolist()
  if type(l) ~= "table" then return { l } end
  return flatten(l, {})
end

-- "(2, 3)" for {2, 3}.
M.shape_str = shape_str

-- The module of a tests/fixtures/nn_utils.lua case (nn.Linear(4, 3) or nn.GRU(3, 2) of
-- the case's dtype) holding the case's PyTorch weights.
function M.module_from_case(case)
  local nn = require("nn")
  local dtype = lucid[case.dtype]
  local m = case.module == "Linear" and nn.Linear(4, 3, { dtype = dtype }) or nn.GRU(3, 2, { dtype = dtype })
  local sd = {}
  for k, v in pairs(case.weights) do sd[k] = M.tensor_from_fixture(v) end
  m:load_state_dict(sd)
  return m
end

-- M.err_of(f, ...) -> the error value f(...) raised; a test failure when it returns.
function M.err_of(f, ...)
  local ok, err = pcall(f, ...)
  if ok then fail("expected an error") end
  return err
end

-- M.err_str(f, ...) -> tostring of the error f(...) raised.
function M.err_str(f, ...)
  local ok, err = pcall(f, ...)
  if ok then fail("expected an error") end
  return tostring(err)
end

-- M.raises(f, text...) -> the message of the error f() raised, which must contain every
-- text (plain substrings, not patterns).
function M.raises(f, ...)
  local wants = { ... }
  local ok, err = pcall(f)
  if ok then fail("expected an error containing: " .. table.concat(wants, " / ")) end
  err = tostring(err)
  for _, want in ipairs(wants) do
    if not err:find(want, 1, true) then fail(string.format("error %q does not contain %q", err, want)) end
  end
  return err
end

-- The module of a tests/fixtures/rnn.lua case (nn.RNN/GRU/LSTM with input
-- size 5 and hidden size 4, the case's options and dtype) holding PyTorch's
-- parameters.
function M.rnn_module(case)
  local nn = require("nn")
  local opts = {}
  for k, v in pairs(case.options) do opts[k] = v end
  opts.dtype = lucid[case.dtype]
  local m = nn[case.module](5, 4, opts)
  local sd = {}
  for _, p in ipairs(case.params) do sd[p.name] = M.tensor_from_fixture(p.value) end
  m:load_state_dict(sd)
  return m
end

-- Runs a tests/fixtures/rnn.lua forward case on m (default M.rnn_module(case)) from
-- leaves x, h0, c0 that require grad; `wrap`, if given, turns x into the module's input
-- (e.g. packs it). Returns {m, x, input, h0, c0, out, h_n, c_n}.
function M.rnn_forward(case, m, wrap)
  m = m or M.rnn_module(case)
  local x = M.tensor_from_fixture(case.x, { requires_grad = true })
  local h0 = case.h0 and M.tensor_from_fixture(case.h0, { requires_grad = true })
  local c0 = case.c0 and M.tensor_from_fixture(case.c0, { requires_grad = true })
  local input = wrap and wrap(x) or x
  local out, h_n, c_n
  if case.module == "LSTM" then
    local s
    out, s = m(input, h0 and { h0, c0 } or nil)
    h_n, c_n = s[1], s[2]
  else
    out, h_n = m(input, h0)
  end
  return { m = m, x = x, input = input, h0 = h0, c0 = c0, out = out, h_n = h_n, c_n = c_n }
end

-- Loads a fixture file relative to the project root (busted runs from there); with
-- `kind`, only its cases whose field kind equals it.
function M.load_fixture(name, kind)
  local cases = dofile("tests/fixtures/" .. name .. ".lua")
  if kind == nil then return cases end
  local picked = {}
  for _, c in ipairs(cases) do
    if c.kind == kind then picked[#picked + 1] = c end
  end
  return picked
end

-- For a tests/fixtures/nn.lua case: checks the result y against case.out, backpropagates
-- case.gout from y and checks tensors[i].grad against case.grads[i]. `what` names y in
-- messages ("output", "value").
function M.assert_output_and_grads(y, case, tensors, what)
  M.assert_close(y, case.out, nil, nil, case.label .. " " .. what)
  y:backward(M.tensor_from_fixture(case.gout))
  for i, e in ipairs(case.grads) do
    M.assert_close(tensors[i].grad, e, nil, nil, case.label .. " grad " .. i)
  end
end

return M
