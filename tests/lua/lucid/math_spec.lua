-- Math (API.md "Tensors": math, in place, out): arithmetic operators with
-- broadcasting and numbers, matmul in every case, elementwise functions,
-- reductions, softmax, comparisons, identity ==, in-place ops, item/tolist,
-- int64 arithmetic. Expected values come from plain Lua arithmetic.
local lucid = require("lucid")
local H = require("helpers")

-- Asserts t has shape `shape` and values `want` (flat, row-major) within tol.
local function check(t, shape, want, tol)
  tol = tol or 1e-12
  assert.are.same(shape, H.shape_of(t))
  local got = H.flat(t)
  assert.are.equal(#want, #got, "number of elements")
  for i = 1, #want do
    local ok = got[i] == want[i] or math.abs(got[i] - want[i]) <= tol * (1 + math.abs(want[i]))
    if want[i] ~= want[i] then ok = got[i] ~= got[i] end
    assert.is_true(ok, string.format("element %d: got %.17g, want %.17g", i, got[i], want[i]))
  end
end

-- a (2, 3) float64 tensor and its values
local A = { { 1, -2, 3 }, { 0.5, 4, -6 } }
local function a() return lucid.tensor(A, H.F64) end

describe("arithmetic operators", function()
  it("+ - * / ^ between tensors of the same shape", function()
    local x, y = a(), lucid.tensor({ { 2, 2, 2 }, { 4, -1, 3 } }, H.F64)
    check(x + y, { 2, 3 }, { 3, 0, 5, 4.5, 3, -3 })
    check(x - y, { 2, 3 }, { -1, -4, 1, -3.5, 5, -9 })
    check(x * y, { 2, 3 }, { 2, -4, 6, 2, -4, -18 })
    check(x / y, { 2, 3 }, { 0.5, -1, 1.5, 0.125, -4, -2 })
    check(x ^ lucid.tensor({ { 2, 3, 1 }, { 2, 0, 2 } }, H.F64), { 2, 3 }, { 1, -8, 3, 0.25, 1, 36 })
    check(-x, { 2, 3 }, { -1, 2, -3, -0.5, -4, 6 })
  end)

  it("numbers on either side", function()
    local x = a()
    check(x + 1, { 2, 3 }, { 2, -1, 4, 1.5, 5, -5 })
    check(1 + x, { 2, 3 }, { 2, -1, 4, 1.5, 5, -5 })
    check(x - 1, { 2, 3 }, { 0, -3, 2, -0.5, 3, -7 })
    check(10 - x, { 2, 3 }, { 9, 12, 7, 9.5, 6, 16 })
    check(x * 3, { 2, 3 }, { 3, -6, 9, 1.5, 12, -18 })
    check(3 * x, { 2, 3 }, { 3, -6, 9, 1.5, 12, -18 })
    check(x / 2, { 2, 3 }, { 0.5, -1, 1.5, 0.25, 2, -3 })
    check(12 / x, { 2, 3 }, { 12, -6, 4, 24, 3, -2 })
    check(x ^ 2, { 2, 3 }, { 1, 4, 9, 0.25, 16, 36 })
    check(2 ^ x, { 2, 3 }, { 2, 0.25, 8, 2 ^ 0.5, 16, 2 ^ -6 })
    check(x:add(1), { 2, 3 }, { 2, -1, 4, 1.5, 5, -5 })
    check(x:sub(x), { 2, 3 }, { 0, 0, 0, 0, 0, 0 })
    check(x:mul(2), { 2, 3 }, { 2, -4, 6, 1, 8, -12 })
    check(x:div(4), { 2, 3 }, { 0.25, -0.5, 0.75, 0.125, 1, -1.5 })
    check(lucid.add(x, 1), { 2, 3 }, { 2, -1, 4, 1.5, 5, -5 })
  end)

  it("broadcasts like NumPy", function()
    local x = a()
    local row = lucid.tensor({ 10, 20, 30 }, H.F64)
    local col = lucid.tensor({ { 100 }, { 200 } }, H.F64)
    check(x + row, { 2, 3 }, { 11, 18, 33, 10.5, 24, 24 })
    check(row + x, { 2, 3 }, { 11, 18, 33, 10.5, 24, 24 })
    check(x * col, { 2, 3 }, { 100, -200, 300, 100, 800, -1200 })
    check(col + row, { 2, 3 }, { 110, 120, 130, 210, 220, 230 })
    -- (2, 1, 3) with (4, 1) -> (2, 4, 3)
    local b = lucid.tensor({ { { 1, 2, 3 } }, { { 4, 5, 6 } } }, H.F64)
    local c = lucid.tensor({ { 0 }, { 10 }, { 20 }, { 30 } }, H.F64)
    local r = b + c
    assert.are.same({ 2, 4, 3 }, H.shape_of(r))
    for i = 1, 2 do
      for j = 1, 4 do
        for k = 1, 3 do assert.are.equal(3 * (i - 1) + k + 10 * (j - 1), r[i][j][k]:item()) end
      end
    end
    -- 0-dim with anything
    check(x * lucid.tensor(2.0, H.F64), { 2, 3 }, { 2, -4, 6, 1, 8, -12 })
  end)

  it("incompatible shapes are errors naming the op and both shapes", function()
    local x = a()
    assert.matches("add: shapes %(2, 3%) and %(4, 3%) cannot be broadcast", H.err_of(function() return x + lucid.zeros(4, 3, H.F64) end))
    assert.matches("mul: shapes %(2, 3%) and %(2,?%) cannot be broadcast",
      H.err_of(function() return x * lucid.zeros(2, H.F64) end))
    assert.matches("sub:", H.err_of(function() return x - lucid.zeros(3, 2, H.F64) end))
    assert.matches("div:", H.err_of(function() return x / lucid.zeros(1, 2, H.F64) end))
    assert.matches("add: argument 2 must be a tensor or a number, got string", H.err_of(function() return x + "a" end))
    assert.matches("mul: argument 1 must be a tensor or a number, got table", H.err_of(function() return {} * x end))
  end)

  it("promotes dtypes: int64 with float gives float, float32 with float64 gives float64", function()
    local i = lucid.tensor({ 1, 2, 3 })
    assert.are.equal(lucid.int64, i.dtype)
    assert.are.equal(lucid.int64, (i + 1).dtype)
    assert.are.equal(lucid.float32, (i + 0.5).dtype)
    assert.are.equal(lucid.float32, (i + lucid.ones(3)).dtype)
    assert.are.equal(lucid.float64, (lucid.ones(3) + lucid.ones(3, H.F64)).dtype)
    check(i + 0.5, { 3 }, { 1.5, 2.5, 3.5 })
  end)
end)

describe("int64 arithmetic", function()
  it("is exact, including beyond 2^53", function()
    local big = 1 << 60
    local x = lucid.tensor({ big, -7, 5 })
    assert.are.same({ big + 1, -6, 6 }, (x + 1):tolist())
    assert.are.same({ 2 * big, -14, 10 }, (x * 2):tolist())
    assert.are.same({ big - 3, -10, 2 }, (x - 3):tolist())
    local y = lucid.tensor({ 3, 4, 5 })
    assert.are.same({ big * 3, -28, 25 }, (x * y):tolist())
    assert.are.same({ 8, 16, 32 }, (lucid.tensor({ 2, 2, 2 }) ^ y):tolist())
  end)

  it("division of int64 tensors is true division, as in PyTorch", function()
    local r = lucid.tensor({ 7, -7, 6 }) / 2
    assert.is_true(r.dtype == lucid.float32 or r.dtype == lucid.float64)
    assert.are.same({ 3.5, -3.5, 3 }, r:tolist())
    local q = lucid.tensor({ 7, -7 }) / lucid.tensor({ 2, 2 })
    assert.are.same({ 3.5, -3.5 }, q:tolist())
  end)

  it("sum of int64 stays int64 and exact", function()
    local s = lucid.tensor({ (1 << 55) + 1, 1, 1 }):sum()
    assert.are.equal(lucid.int64, s.dtype)
    assert.are.equal((1 << 55) + 3, s:item())
  end)

  it("int64 ^ negative integer is an error", function()
    local ok = pcall(function() return lucid.tensor({ 2 }) ^ -1 end)
    assert.is_false(ok)
    local pat = "pow: integers to negative integer powers are not allowed"
    assert.matches(pat, H.err_of(function() return lucid.tensor({ 2, 3 }):pow(lucid.tensor({ 1, -2 })) end))
    assert.matches(pat, H.err_of(function() return 2 ^ lucid.tensor({ 0, -1 }) end))
    -- non-negative integer powers and float exponents still work
    assert.are.same({ 1, 4, 27 }, lucid.tensor({ 1, 2, 3 }):pow(lucid.tensor({ 0, 2, 3 })):tolist())
    local q = lucid.tensor({ 4 }) ^ -0.5
    assert.are.equal(lucid.float32, q.dtype)
    assert.are.same({ 0.5 }, q:tolist())
    assert.are.same({ 0.5 }, (lucid.tensor({ 2.0 }) ^ -1):tolist())
  end)
end)

describe("matmul", function()
  local function mm(p, q) -- plain Lua matrix product of nested tables
    local r = {}
    for i = 1, #p do
      r[i] = {}
      for j = 1, #q[1] do
        local s = 0
        for k = 1, #q do s = s + p[i][k] * q[k][j] end
        r[i][j] = s
      end
    end
    return r
  end
  local function flatten(t)
    local o = {}
    for _, row in ipairs(t) do for _, v in ipairs(row) do o[#o + 1] = v end end
    return o
  end
  local P = { { 1, 2, 3 }, { 4, 5, 6 } }
  local Q = { { 1, -1 }, { 2, 0.5 }, { -3, 2 } }

  it("1-D x 1-D is a dot product (0-dim)", function()
    local r = lucid.matmul(lucid.tensor({ 1, 2, 3 }, H.F64), lucid.tensor({ 4, -5, 6 }, H.F64))
    check(r, {}, { 4 - 10 + 18 })
  end)

  it("2-D x 2-D", function()
    local r = lucid.tensor(P, H.F64):matmul(lucid.tensor(Q, H.F64))
    check(r, { 2, 2 }, flatten(mm(P, Q)))
    local r32 = lucid.tensor(P):matmul(lucid.tensor(Q))
    assert.are.equal(lucid.float32, r32.dtype)
    check(r32, { 2, 2 }, flatten(mm(P, Q)), 1e-6)
  end)

  it("2-D x 1-D and 1-D x 2-D", function()
    local v = { 1, 0, -2 }
    check(lucid.tensor(P, H.F64):matmul(lucid.tensor(v, H.F64)), { 2 }, { 1 - 6, 4 - 12 })
    check(lucid.tensor({ 1, 2 }, H.F64):matmul(lucid.tensor(P, H.F64)), { 3 }, { 9, 12, 15 })
  end)

  it("transposed operands (views) give the same products", function()
    local Pt = lucid.tensor({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, H.F64):t()   -- P
    local Qt = lucid.tensor({ { 1, 2, -3 }, { -1, 0.5, 2 } }, H.F64):t()  -- Q
    assert.is_false(Pt:is_contiguous())
    check(Pt:matmul(Qt), { 2, 2 }, flatten(mm(P, Q)))
    check(Pt:matmul(lucid.tensor(Q, H.F64)), { 2, 2 }, flatten(mm(P, Q)))
    check(lucid.tensor(P, H.F64):matmul(Qt), { 2, 2 }, flatten(mm(P, Q)))
    local pq = mm(P, Q)
    check(Qt:t():matmul(Pt:t()), { 2, 2 }, { pq[1][1], pq[2][1], pq[1][2], pq[2][2] }) -- (PQ)^T
  end)

  it("batched with broadcasting of batch dims", function()
    lucid.manual_seed(3)
    local x = lucid.randn(2, 1, 3, 4, H.F64)
    local y = lucid.randn(5, 4, 2, H.F64)
    local r = lucid.matmul(x, y)
    assert.are.same({ 2, 5, 3, 2 }, H.shape_of(r))
    for b1 = 1, 2 do
      for b2 = 1, 5 do
        local want = mm(x[b1][1]:tolist(), y[b2]:tolist())
        check(r[b1][b2], { 3, 2 }, flatten(want))
      end
    end
    -- batched x 1-D and 1-D x batched
    local v = lucid.tensor({ 1, 2, 3, 4 }, H.F64)
    local xv = x:matmul(v)
    assert.are.same({ 2, 1, 3 }, H.shape_of(xv))
    local row = x[2][1][3]:tolist()
    assert.is_true(math.abs(xv[2][1][3]:item() - (row[1] + 2 * row[2] + 3 * row[3] + 4 * row[4])) < 1e-12)
    local vy = lucid.tensor({ 1, -1, 0, 2 }, H.F64):matmul(y)
    assert.are.same({ 5, 2 }, H.shape_of(vy))
    local yy = y[4]:tolist()
    assert.is_true(math.abs(vy[4][2]:item() - (yy[1][2] - yy[2][2] + 2 * yy[4][2])) < 1e-12)
    -- batched with a transposed batch
    local yt = lucid.randn(5, 2, 4, H.F64):transpose(2, 3)
    local r2 = lucid.matmul(x, yt)
    for b2 = 1, 5 do check(r2[1][b2], { 3, 2 }, flatten(mm(x[1][1]:tolist(), yt[b2]:tolist()))) end
  end)

  it("shape mismatches are errors naming matmul and the shapes", function()
    assert.matches("matmul: shapes %(2, 3%) and %(2, 3%) cannot be multiplied",
      H.err_of(lucid.matmul, lucid.zeros(2, 3), lucid.zeros(2, 3)))
    assert.matches("matmul: shapes %(3,?%) and %(4,?%)", H.err_of(lucid.matmul, lucid.zeros(3), lucid.zeros(4)))
    assert.matches("matmul:", H.err_of(lucid.matmul, lucid.zeros(2, 2, 3), lucid.zeros(3, 3, 2)))
    assert.matches("matmul:", H.err_of(lucid.matmul, lucid.tensor(1.0), lucid.zeros(3)))
    assert.matches("matmul: argument 2 must be a tensor, got number", H.err_of(lucid.matmul, lucid.zeros(3), 3))
  end)
end)

describe("elementwise functions", function()
  local vals = { -2, -0.5, 0, 0.25, 1, 3 }
  local function t() return lucid.tensor(vals, H.F64) end
  local function map(f)
    local o = {}
    for i, v in ipairs(vals) do o[i] = f(v) end
    return o
  end
  it("exp log tanh sigmoid relu sqrt abs", function()
    check(t():exp(), { 6 }, map(math.exp))
    check(t():abs():log(), { 6 }, map(function(v) return math.log(math.abs(v)) end))
    check(t():tanh(), { 6 }, map(function(v) return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1) end))
    check(t():sigmoid(), { 6 }, map(function(v) return 1 / (1 + math.exp(-v)) end))
    check(t():relu(), { 6 }, map(function(v) return math.max(v, 0) end))
    check(t():abs():sqrt(), { 6 }, map(function(v) return math.sqrt(math.abs(v)) end))
    check(t():abs(), { 6 }, map(math.abs))
    check(lucid.exp(t()), { 6 }, map(math.exp))
    check(t():sin(), { 6 }, map(math.sin))
    check(t():cos(), { 6 }, map(math.cos))
  end)

  it("log of 0 is -inf and sqrt of a negative number is nan", function()
    local r = lucid.tensor({ 0, -1 }, H.F64)
    assert.are.equal(-math.huge, r:log()[1]:item())
    local s = r:sqrt()[2]:item()
    assert.is_true(s ~= s)
  end)

  it("pow with a number and a tensor exponent", function()
    check(t():pow(2), { 6 }, map(function(v) return v * v end))
    check(t():abs():pow(0.5), { 6 }, map(function(v) return math.sqrt(math.abs(v)) end))
    check(t():pow(lucid.tensor({ 1, 2, 3, 2, 1, 0 }, H.F64)), { 6 }, { -2, 0.25, 0, 0.0625, 1, 1 })
  end)

  it("clamp with min, max or both", function()
    check(t():clamp(-1, 1), { 6 }, { -1, -0.5, 0, 0.25, 1, 1 })
    check(t():clamp(0), { 6 }, { 0, 0, 0, 0.25, 1, 3 })
    check(t():clamp(nil, 0.5), { 6 }, { -2, -0.5, 0, 0.25, 0.5, 0.5 })
    check(t():clamp({ max = 0.5 }), { 6 }, { -2, -0.5, 0, 0.25, 0.5, 0.5 })
    assert.matches("clamp:", H.err_of(function() return t():clamp() end))
  end)

  it("works in float32 within float32 precision", function()
    local x = lucid.tensor(vals)
    assert.are.equal(lucid.float32, x:exp().dtype)
    check(x:exp(), { 6 }, map(math.exp), 1e-6)
    check(x:tanh(), { 6 }, map(function(v) return (math.exp(2 * v) - 1) / (math.exp(2 * v) + 1) end), 1e-6)
  end)
end)

describe("reductions", function()
  it("sum and mean over everything, a dim, a negative dim, keepdim", function()
    local x = a()
    check(x:sum(), {}, { 0.5 })
    check(x:sum(1), { 3 }, { 1.5, 2, -3 })
    check(x:sum(2), { 2 }, { 2, -1.5 })
    check(x:sum(-1), { 2 }, { 2, -1.5 })
    check(x:sum(2, true), { 2, 1 }, { 2, -1.5 })
    check(x:sum(1, true), { 1, 3 }, { 1.5, 2, -3 })
    check(x:mean(), {}, { 0.5 / 6 })
    check(x:mean(1), { 3 }, { 0.75, 1, -1.5 })
    check(x:mean(-1, true), { 2, 1 }, { 2 / 3, -0.5 })
    check(lucid.sum(x, 2), { 2 }, { 2, -1.5 })
  end)

  it("max and min: value over everything; values and 1-based indices over a dim", function()
    local x = a()
    check(x:max(), {}, { 4 })
    check(x:min(), {}, { -6 })
    local v, i = x:max(2)
    check(v, { 2 }, { 3, 4 })
    assert.are.equal(lucid.int64, i.dtype)
    assert.are.same({ 3, 2 }, i:tolist())
    v, i = x:min(1)
    check(v, { 3 }, { 0.5, -2, -6 })
    assert.are.same({ 2, 1, 2 }, i:tolist())
    v, i = x:max(1, true)
    assert.are.same({ 1, 3 }, H.shape_of(v))
    assert.are.same({ { 1, 2, 1 } }, i:tolist())
    v, i = x:min(-1, true)
    assert.are.same({ { 2 }, { 3 } }, i:tolist())
  end)

  it("argmax: flat 1-based index over everything, 1-based indices over a dim", function()
    local x = a()
    assert.are.equal(5, x:argmax():item())
    assert.are.same({ 3, 2 }, x:argmax(2):tolist())
    assert.are.same({ 1, 2, 1 }, x:argmax(1):tolist())
    assert.are.same({ { 3 }, { 2 } }, x:argmax(2, true):tolist())
    assert.are.equal(3, lucid.tensor({ 1, 5, 7, 2 }):argmax():item())
  end)

  it("softmax and log_softmax along a dim", function()
    local x = a()
    local rows = { { 1, -2, 3 }, { 0.5, 4, -6 } }
    local sm, lsm = {}, {}
    for r = 1, 2 do
      local z = 0
      for _, v in ipairs(rows[r]) do z = z + math.exp(v) end
      for _, v in ipairs(rows[r]) do
        sm[#sm + 1] = math.exp(v) / z
        lsm[#lsm + 1] = v - math.log(z)
      end
    end
    check(x:softmax(2), { 2, 3 }, sm)
    check(x:softmax(-1), { 2, 3 }, sm)
    check(x:log_softmax(2), { 2, 3 }, lsm)
    local cs = {}
    for c = 1, 3 do
      local z = math.exp(rows[1][c]) + math.exp(rows[2][c])
      cs[c], cs[3 + c] = math.exp(rows[1][c]) / z, math.exp(rows[2][c]) / z
    end
    check(x:softmax(1), { 2, 3 }, cs)
    -- stable for large inputs
    local big = lucid.tensor({ 1000, 1000 }, H.F64):softmax(1)
    check(big, { 2 }, { 0.5, 0.5 })
  end)
end)

describe("comparisons", function()
  it("eq ne lt le gt ge return bool tensors and broadcast", function()
    local x = lucid.tensor({ 1, 2, 3 }, H.F64)
    local y = lucid.tensor({ 3, 2, 1 }, H.F64)
    local function cmp(t, shape, want)
      assert.are.equal(lucid.bool, t.dtype)
      check(t:long(), shape, want)
    end
    cmp(x:eq(y), { 3 }, { 0, 1, 0 })
    cmp(x:ne(y), { 3 }, { 1, 0, 1 })
    cmp(x:lt(y), { 3 }, { 1, 0, 0 })
    cmp(x:le(y), { 3 }, { 1, 1, 0 })
    cmp(x:gt(y), { 3 }, { 0, 0, 1 })
    cmp(x:ge(y), { 3 }, { 0, 1, 1 })
    cmp(x:gt(2), { 3 }, { 0, 0, 1 })
    cmp(x:le(2), { 3 }, { 1, 1, 0 })
    cmp(lucid.lt(x, 3), { 3 }, { 1, 1, 0 })
    cmp(x:eq(lucid.tensor({ { 1 }, { 3 } }, H.F64)), { 2, 3 }, { 1, 0, 0, 0, 0, 1 })
  end)

  it("== on two tensors is identity, not elementwise", function()
    local x = lucid.ones(3)
    local y = lucid.ones(3)
    assert.is_true(x == x)
    assert.is_false(x == y)
    local t = {}
    t[x] = 1
    t[y] = 2
    assert.are.equal(1, t[x])
  end)
end)

describe("in-place ops", function()
  it("add_ mul_ with tensors and numbers return the tensor itself", function()
    local x = lucid.tensor({ 1, 2, 3 }, H.F64)
    local r = x:add_(1)
    assert.is_true(r == x)
    check(x, { 3 }, { 2, 3, 4 })
    x:mul_(lucid.tensor({ 2, 0.5, -1 }, H.F64))
    check(x, { 3 }, { 4, 1.5, -4 })
    x:add_(lucid.tensor(10.0, H.F64))
    check(x, { 3 }, { 14, 11.5, 6 })
    local m = lucid.zeros(2, 3, H.F64)
    m:add_(lucid.tensor({ 1, 2, 3 }, H.F64))
    check(m, { 2, 3 }, { 1, 2, 3, 1, 2, 3 })
    assert.matches("add_?: in%-place operand of shape %(2, 3%) cannot be broadcast",
      H.err_of(function() lucid.zeros(3):add_(lucid.zeros(2, 3)) end))
    assert.matches("mul_: argument 2 must be a tensor or a number", H.err_of(function() lucid.zeros(3):mul_("x") end))
  end)

  it("zero_ fill_ copy_", function()
    local x = lucid.tensor({ { 1, 2 }, { 3, 4 } }, H.F64)
    assert.is_true(x:fill_(7) == x)
    check(x, { 2, 2 }, { 7, 7, 7, 7 })
    assert.is_true(x:zero_() == x)
    check(x, { 2, 2 }, { 0, 0, 0, 0 })
    assert.is_true(x:copy_(lucid.tensor({ { 1, 2 }, { 3, 4 } })) == x)
    check(x, { 2, 2 }, { 1, 2, 3, 4 })
    assert.are.equal(lucid.float64, x.dtype)
    x:copy_(lucid.tensor({ 5, 6 }))
    check(x, { 2, 2 }, { 5, 6, 5, 6 })
    assert.matches("copy_:", H.err_of(function() x:copy_(lucid.zeros(3)) end))
  end)

  it("uniform_ and normal_ fill with the requested distribution", function()
    lucid.manual_seed(99)
    local u = lucid.zeros(20000, H.F64)
    assert.is_true(u:uniform_(-1, 3) == u)
    local s = 0
    for _, v in ipairs(u:tolist()) do
      assert.is_true(v >= -1 and v < 3)
      s = s + v
    end
    assert.is_true(math.abs(s / 20000 - 1) < 0.05)
    local n = lucid.zeros(20000, H.F64)
    assert.is_true(n:normal_(5, 2) == n)
    local m, m2 = 0, 0
    for _, v in ipairs(n:tolist()) do m, m2 = m + v, m2 + v * v end
    m, m2 = m / 20000, m2 / 20000
    assert.is_true(math.abs(m - 5) < 0.1)
    assert.is_true(math.abs(math.sqrt(m2 - m * m) - 2) < 0.1)
    local d = lucid.zeros(1000):uniform_()
    for _, v in ipairs(d:tolist()) do assert.is_true(v >= 0 and v < 1) end
  end)

  it("in-place on a leaf that requires grad is an error", function()
    local w = lucid.ones(3, { requires_grad = true })
    assert.matches("add_?: a leaf tensor that requires grad", H.err_of(function() w:add_(1) end))
    lucid.no_grad(function() w:add_(1) end)
    check(w, { 3 }, { 2, 2, 2 }, 1e-7)
  end)

  it("in-place errors name the in-place function", function()
    local w = lucid.ones(3, { requires_grad = true })
    assert.matches("^.-add_: ", H.err_of(function() w:add_(1) end))
    assert.matches("^.-mul_: ", H.err_of(function() lucid.zeros(3):mul_(lucid.zeros(2, 3)) end))
    assert.matches("^.-sub_: ", H.err_of(function() w:sub_(1) end))
    assert.matches("^.-div_: ", H.err_of(function() lucid.zeros(3):div_(lucid.zeros(4)) end))
  end)
end)

describe("item and tolist", function()
  it("item returns a Lua number (integer for int64) from a one-element tensor", function()
    assert.are.equal(2.5, lucid.tensor({ { 2.5 } }, H.F64):item())
    assert.are.equal("integer", math.type(lucid.tensor({ 4 }):item()))
    assert.are.equal("float", math.type(lucid.tensor({ 4 }, H.F64):item()))
    assert.matches("item: only a tensor with one element", H.err_of(function() return lucid.zeros(2):item() end))
  end)

  it("tolist returns nested tables (a number for 0-dim)", function()
    assert.are.same({ { 1, 2, 3 }, { 4, 5, 6 } }, lucid.arange(1, 7):view(2, 3):tolist())
    assert.are.same({ { { 0 }, { 1 } } }, lucid.arange(2):view(1, 2, 1):tolist())
    assert.are.equal(3, lucid.tensor(3):tolist())
    assert.are.same({}, lucid.zeros(0):tolist())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, lucid.tensor({ { 1, 2 }, { 3, 4 } }):t():tolist())
  end)
end)

describe("add and sub with alpha", function()
  it("compute a + alpha * b, positionally or as an option, in place too", function()
    local x, y = lucid.tensor({ 1, 2 }, H.F64), lucid.tensor({ 10, 20 }, H.F64)
    assert.are.same({ 21, 42 }, x:add(y, 2):tolist())
    assert.are.same({ 21, 42 }, lucid.add(x, y, { alpha = 2 }):tolist())
    assert.are.same({ -9, -18 }, x:sub(y, { alpha = 1 }):tolist())
    assert.are.same({ 4, 5 }, x:add(1, 3):tolist())
    x:add_(y, { alpha = -1 })
    assert.are.same({ -9, -18 }, x:tolist())
  end)

  it("differentiate through alpha", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    x:sub(x * x, 0.5):sum():backward()
    assert.are.same({ 0, -1 }, x.grad:tolist()) -- 1 - x
  end)

  it("refuse a bad alpha, unknown options, and extra arguments to other ops", function()
    local x = lucid.ones(2)
    assert.matches("add: alpha must be a number, got string", H.err_of(function() return x:add(x, "2") end))
    assert.matches("add: unknown option 'alhpa'", H.err_of(function() return x:add(x, { alhpa = 2 }) end))
    assert.matches("mul: expected 2 arguments, got 3", H.err_of(function() return x:mul(x, 5) end))
    assert.matches("mul_: expected 2 arguments, got 3", H.err_of(function() return x:mul_(x, 5) end))
  end)
end)

describe("in-place ops on int64 tensors", function()
  -- As PyTorch: a result an int64 tensor cannot hold is an error, never a
  -- silent truncation (and int64 division by zero is no crash).
  it("refuse division and fractional operands", function()
    local a = lucid.tensor({ 5, 7 })
    assert.matches("div_: result type float32 can't be cast to the desired output type int64",
      H.err_of(function() return a:div_(0) end))
    assert.matches("div_: result type", H.err_of(function() return a:div_(lucid.tensor({ 0, 1 })) end))
    assert.matches("mul_: result type float32", H.err_of(function() return a:mul_(0.5) end))
    -- a Lua float is a float operand even when integral, as a Python float in PyTorch
    assert.matches("add_: result type float32", H.err_of(function() return a:add_(1.0) end))
    assert.matches("add_: result type float32", H.err_of(function() return a:add_(lucid.tensor({ 0.5, 0.5 })) end))
    assert.are.same({ 5, 7 }, a:tolist())
  end)

  it("accept integral operands", function()
    local a = lucid.tensor({ 5, 7 })
    a:mul_(2):add_(1):sub_(lucid.tensor({ 1, 1 }))
    assert.are.same({ 10, 14 }, a:tolist())
    assert.are.equal(lucid.int64, a.dtype)
  end)
end)

describe("sizes and counts at the extremes", function()
  it("narrow refuses lengths past the end without overflowing", function()
    local x = lucid.zeros(4)
    assert.matches("narrow: start 2 and length 9223372036854775807 exceed the size 4 of dim 1",
      H.err_of(function() return x:narrow(1, 2, math.maxinteger) end))
  end)

  it("a nil among sizes is an error, trailing nils are none", function()
    assert.matches("zeros: size 1 must be an integer, got nil", H.err_of(lucid.zeros, nil, 2))
    assert.matches("randn: size 2 must be an integer, got nil", H.err_of(lucid.randn, 2, nil, 3))
    assert.are.same({ 2, 3 }, H.shape_of(lucid.zeros(2, 3, nil)))
  end)

  it("chunk into more pieces than elements gives one element each", function()
    assert.are.equal(3, #lucid.chunk(lucid.zeros(3), math.maxinteger))
  end)
end)

-- The op table (lucid._C.optable): every row is bound as a method, a lucid.
-- function and (when flagged) an in-place form, matches PyTorch on the cases
-- tests/fixtures/gen/gen_tensor.py made for it (tests/fixtures/optable.lua),
-- and is listed in docs/tensors.md. A new row is tested here without new code.
describe("the op table", function()
  local rows, by_name = lucid._C.optable, {}
  for _, op in ipairs(rows) do by_name[op.name] = op end

  it("binds every row as a method, a function and its in-place form", function()
    local x = lucid.zeros(2)
    for _, op in ipairs(rows) do
      assert.are.equal("function", type(lucid[op.name]), op.name)
      assert.are.equal("function", type(x[op.name]), op.name)
      if op.inplace then assert.are.equal("function", type(x[op.name .. "_"]), op.name .. "_") end
    end
  end)

  it("every row has PyTorch cases in float32 and float64 (re-run gen_tensor.py after adding one)", function()
    local seen = {}
    for _, c in ipairs(H.load_fixture("optable")) do seen[c.op .. H.dtype_name(c.inputs[1].dtype)] = true end
    for _, op in ipairs(rows) do
      if not op.own_binding then
        assert.is_true(seen[op.name .. "float32"] and seen[op.name .. "float64"], op.name .. " has no fixture")
      end
    end
  end)

  it("every row is listed in docs/tensors.md's Math section", function()
    local f = assert(io.open("docs/tensors.md"))
    local text = f:read("a")
    f:close()
    local math_section = text:match("\n## Math\n(.-)\n## ") or ""
    local listed = {}
    for span in math_section:gmatch("`([^`]+)`") do
      for word in span:gmatch("[%a_][%w_]*") do listed[word] = true end
    end
    for _, op in ipairs(rows) do
      assert.is_true(listed[op.name], op.name .. " is not in docs/tensors.md's Math section")
    end
  end)

  local function call(c, form, xs)
    local n = by_name[c.op]
    local args = { table.unpack(xs, 1, n.arity) }
    for k = 1, #c.params do args[#args + 1] = c.params[k] end
    if form == "method" then return xs[1][c.op](table.unpack(args, 1, n.arity + #c.params)) end
    return lucid[c.op](table.unpack(args, 1, n.arity + #c.params))
  end

  for _, c in ipairs(H.load_fixture("optable")) do
    it(c.name .. " equals PyTorch's " .. c.op, function()
      local xs = {}
      for i, spec in ipairs(c.inputs) do xs[i] = H.tensor_from_fixture(spec) end
      for _, form in ipairs({ "method", "function" }) do
        local r = call(c, form, xs)
        if c.compare then -- 1/0 in lucid's comparison dtype
          local want = lucid.bool or xs[1]:add(xs[#xs]:sum() * 0).dtype
          assert.are.equal(want, r.dtype, c.op .. " result dtype")
          H.assert_close(r:double(), { dtype = "float64", shape = c.expected[1].shape, data = c.expected[1].data })
        else
          H.assert_close(r, c.expected[1], nil, nil, form)
        end
      end
      -- the in-place form, where the result fits the first input
      local spec = c.expected[1]
      if by_name[c.op].inplace and not c.compare and spec.dtype == c.inputs[1].dtype
        and #spec.shape == #c.inputs[1].shape and spec.data[1] ~= nil and #spec.data == #c.inputs[1].data then
        local y = xs[1]:clone()
        local args = { y, table.unpack(xs, 2) }
        for k = 1, #c.params do args[#args + 1] = c.params[k] end
        assert.is_true(y[c.op .. "_"](table.unpack(args, 1, #xs + #c.params)) == y)
        H.assert_close(y, spec, nil, nil, c.op .. "_")
      end
    end)
  end
end)

describe("floor division, remainder and type promotion", function()
  it("x // y and x % y are floor_divide and remainder, as Lua's own // and %", function()
    local as, bs = { 7, -7, 7, -7, 5.5, -5.5 }, { 2, 2, -2, -2, 2, 2 }
    local a, b = lucid.tensor(as, H.F64), lucid.tensor(bs, H.F64)
    local q, r = (a // b):tolist(), (a % b):tolist()
    for i = 1, #as do
      assert.are.equal(as[i] // bs[i], q[i])
      assert.are.equal(as[i] % bs[i], r[i])
    end
    local ai, bi = lucid.tensor({ 7, -7, 7, -7 }), lucid.tensor({ 2, 2, -2, -2 })
    assert.are.same({ 3, -4, -4, 3 }, (ai // bi):tolist())
    assert.are.same({ 1, 1, -1, -1 }, (ai % bi):tolist())
    assert.are.same({ 2, -3 }, (lucid.tensor({ 5, -5 }) // 2):tolist())
    assert.are.same({ 1, 2 }, (7 % lucid.tensor({ 3, 5 })):tolist())
    assert.are.equal(lucid.int64, (ai // bi).dtype)
  end)

  it("an integer division by zero is an error naming the op", function()
    local z = lucid.tensor({ 1, 0 })
    assert.matches("floor_divide: integer division by zero", H.err_of(function() return lucid.tensor({ 1, 2 }) // z end))
    assert.matches("remainder_: integer division by zero", H.err_of(function() lucid.tensor({ 1, 2 }):remainder_(z) end))
    assert.matches("fmod: integer division by zero", H.err_of(function() return lucid.tensor({ 1, 2 }):fmod(0) end))
    -- floats divide by zero as IEEE says
    assert.are.equal(math.huge, (lucid.tensor({ 1.0 }) // 0)[1]:item())
  end)

  it("a 0-dim tensor promotes only when of a higher kind, as PyTorch", function()
    local d0 = lucid.tensor(1.5, H.F64)
    assert.are.equal(lucid.float32, (lucid.ones(2) + d0).dtype)
    assert.are.equal(lucid.float32, (d0 * lucid.ones(2)).dtype)
    assert.are.equal(lucid.float64, (lucid.tensor({ 1, 2 }) + d0).dtype)
    assert.are.equal(lucid.float64, (d0 + lucid.tensor(1.0)).dtype) -- both 0-dim: promoted
    assert.are.same({ 3.5, 3.5 }, (lucid.ones(2) + 1 + d0):tolist())
  end)

  it("int64 clamp with fractional bounds computes in float32", function()
    local r = lucid.tensor({ 1, 2, 3 }):clamp(1.5, 2.5)
    assert.are.equal(lucid.float32, r.dtype)
    assert.are.same({ 1.5, 2, 2.5 }, r:tolist())
    local k = lucid.tensor({ 1, 2, 3 }):clamp(2, 2)
    assert.are.equal(lucid.int64, k.dtype)
    assert.are.same({ 2, 2, 2 }, k:tolist())
  end)

  it("parameters are checked by name and type", function()
    local x = lucid.randn(3)
    assert.matches("leaky_relu: negative_slope must be a number, got string", H.err_of(function() return x:leaky_relu("a") end))
    assert.matches("gelu: approximate must be one of 'none|tanh', got 'fast'", H.err_of(function() return x:gelu{ approximate = "fast" } end))
    assert.matches("elu: unknown option 'beta'", H.err_of(function() return x:elu{ beta = 1 } end))
    assert.matches("exp: expected at most 1 arguments, got 2", H.err_of(function() return x:exp(2) end))
    assert.matches("lerp: weight must be a number or a tensor, got table", H.err_of(function() return x:lerp(x, { weight = {} }) end))
    assert.matches("exp_: result type float32 can't be cast to the desired output type int64",
      H.err_of(function() lucid.tensor({ 1 }):exp_() end))
    assert.matches("sigmoid: argument 1 must be a tensor, got number", H.err_of(lucid.sigmoid, 3))
  end)
end)

-- The reduction table (lucid._C.reducetable): every row against PyTorch over all
-- elements, a dim, a list of dims and with its own arguments
-- (tests/fixtures/reductions.lua, generated from the same table).
describe("the reduction table", function()
  local rows = lucid._C.reducetable

  it("every row has PyTorch cases and is listed in docs/tensors.md", function()
    local seen = {}
    for _, c in ipairs(H.load_fixture("reductions")) do seen[c.op] = (seen[c.op] or 0) + 1 end
    local f = assert(io.open("docs/tensors.md"))
    local text = f:read("a")
    f:close()
    local listed = {}
    for span in (text:match("\n## Math\n(.-)\n## ") or ""):gmatch("`([^`]+)`") do
      for word in span:gmatch("[%a_][%w_]*") do listed[word] = true end
    end
    for _, r in ipairs(rows) do
      assert.is_true((seen[r.name] or 0) >= 3, r.name .. " has too few fixture cases")
      assert.is_true(listed[r.name], r.name .. " is not in docs/tensors.md's Math section")
    end
  end)

  for _, c in ipairs(H.load_fixture("reductions")) do
    local opts = {}
    for k, v in pairs(c.opts) do opts[k] = v end
    it(string.format("%s %s equals PyTorch's (%s)", c.op, c.name, c.inputs[1].dtype), function()
      local x = H.tensor_from_fixture(c.inputs[1])
      local outs = { lucid[c.op](x, opts) }
      local m = { x[c.op](x, opts) }
      assert.are.equal(#c.expected, #outs)
      for i, want in ipairs(c.expected) do
        if c.index then want = H.shifted(want, 1) end
        H.assert_close(outs[i], want, nil, nil, c.op .. " result " .. i)
        H.assert_close(m[i], want, nil, nil, c.op .. " method result " .. i)
      end
    end)
  end

  it("checks its arguments", function()
    local x = lucid.randn(2, 3)
    assert.matches("sum: dim 2 appears more than once", H.err_of(function() return x:sum({ 2, -1 }) end))
    assert.matches("argmin: dim must be a single dim, got 2 dims", H.err_of(function() return x:argmin({ 1, 2 }) end))
    assert.matches("var: expected a floating point tensor, got int64", H.err_of(function() return lucid.tensor({ 1, 2 }):var() end))
    assert.matches("std: keepdim must be a boolean", H.err_of(function() return x:std(1, true, 3) end))
    assert.matches("norm: p must be a number, got string", H.err_of(function() return x:norm("x") end))
    assert.matches("amax: dim 3 out of range", H.err_of(function() return x:amax(3) end))
  end)
end)

describe("addcmul and addcdiv", function()
  it("compute x + value * t1 * t2 (or / t2), broadcasting, in place too", function()
    local x = lucid.tensor({ { 1, 2 }, { 3, 4 } }, H.F64)
    local t1, t2 = lucid.tensor({ 2, -1 }, H.F64), lucid.tensor({ { 4 }, { 0.5 } }, H.F64)
    check(x:addcmul(t1, t2), { 2, 2 }, { 9, -2, 4, 3.5 })
    check(lucid.addcmul(x, t1, t2, 0.5), { 2, 2 }, { 5, 0, 3.5, 3.75 })
    check(x:addcdiv{ tensor1 = t1, tensor2 = t2, value = 2 }, { 2, 2 }, { 2, 1.5, 11, 0 })
    local y = x:clone()
    assert.is_true(y:addcmul_(t1, t2, -1) == y)
    check(y, { 2, 2 }, { -7, 6, 2, 4.5 })
    y:addcdiv_(t1, t2)
    check(y, { 2, 2 }, { -6.5, 5.75, 6, 2.5 })
  end)

  it("refuse integer division and bad arguments", function()
    local i = lucid.tensor({ 1, 2 })
    assert.matches("addcdiv: integer division of tensors is not supported", H.err_of(function() return i:addcdiv(i, i) end))
    assert.matches("addcmul: argument 3 must be a tensor, got number", H.err_of(function() return i:addcmul(i, 2) end))
    assert.matches("addcmul: value must be a number, got string", H.err_of(function() return i:addcmul(i, i, "x") end))
  end)
end)
