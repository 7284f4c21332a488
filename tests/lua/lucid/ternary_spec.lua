-- Ternary elementwise ops (core/ops_ternary.c): lerp with a tensor weight and
-- clamp/clip with tensor bounds, against PyTorch (values and gradients), in
-- float64 gradcheck, in place, and their errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local F64 = { dtype = lucid.float64 }

local function leaf(t) return t:double():requires_grad_() end

describe("lerp and clamp with tensor operands against PyTorch", function()
  cases.each("ternary", it)
  cases.each_grad("ternary_grad", it)
end)

describe("lerp and clamp with tensor operands: gradcheck", function()
  lucid.manual_seed(13)
  it("lerp in input, end and weight, all three broadcast", function()
    local x, y, w = leaf(lucid.randn(3, 4)), leaf(lucid.randn(4)), leaf(lucid.rand(3, 1) * 3 - 1)
    assert.is_true(lucid.autograd.gradcheck(function(a, b, c) return a:lerp(b, c) end, { x, y, w }))
  end)

  it("clamp in x and both bounds (away from ties), and with one bound", function()
    local x = leaf(lucid.randn(4, 3))
    local lo = leaf(lucid.tensor({ -0.6, 0.1, -1.3 }))
    local hi = leaf(lucid.tensor({ { 0.7 }, { 1.1 }, { -0.9 }, { 0.4 } }))   -- row 3: below lo
    local f = function(a, b, c) return a:clamp(b, c) end
    assert.is_true(lucid.autograd.gradcheck(f, { x, lo, hi }))
    assert.is_true(lucid.autograd.gradcheck(function(a, b) return a:clamp(b) end, { x, lo }))
    assert.is_true(lucid.autograd.gradcheck(function(a, c) return a:clip{ max = c } end, { x, hi }))
  end)

  it("a number bound beside a tensor one gets no gradient and needs none", function()
    local x, lo = leaf(lucid.randn(5)), leaf(lucid.zeros(5) - 0.2)
    assert.is_true(lucid.autograd.gradcheck(function(a, b) return a:clamp(b, 0.3) end, { x, lo }))
  end)
end)

describe("lerp and clamp with tensor operands: behaviour", function()
  it("promote as PyTorch: an int64 tensor with float bounds gives float32", function()
    local r = lucid.tensor({ 1, 2, 3 }):clamp(lucid.tensor({ 1.5, 0, 0 }), lucid.tensor(2.5))
    assert.are.equal(lucid.float32, r.dtype)
    assert.are.same({ 1.5, 2, 2.5 }, r:tolist())
    local k = lucid.tensor({ 1, 5, 3 }):clamp(lucid.tensor({ 2, 2, 2 }), 4)
    assert.are.equal(lucid.int64, k.dtype)
    assert.are.same({ 2, 4, 3 }, k:tolist())
  end)

  it("lerp of int64 operands computes in float32, as lerp with a number weight", function()
    local r = lucid.tensor({ 0, 10 }):lerp(lucid.tensor({ 10, 20 }), lucid.tensor({ 0.5, 0.25 }))
    assert.are.equal(lucid.float32, r.dtype)
    assert.are.same({ 5, 12.5 }, r:tolist())
  end)

  it("in place, into the first operand, returning it", function()
    local x = lucid.tensor({ 1.0, 2.0, 3.0 }, F64)
    assert.are.equal(x, x:clamp_(lucid.tensor({ 2.0, 0, 0 }, F64), lucid.tensor({ 9.0, 9, 2.5 }, F64)))
    assert.are.same({ 2, 2, 2.5 }, x:tolist())
    local y = lucid.zeros(2, 3)
    y:lerp_(lucid.ones(3), lucid.tensor({ { 0.5 }, { 1 } }))
    assert.are.same({ { 0.5, 0.5, 0.5 }, { 1, 1, 1 } }, y:tolist())
    local z = lucid.tensor({ 1.0, 5.0 })
    z:clip_(nil, lucid.tensor({ 2.0, 2.0 }))
    assert.are.same({ 1, 2 }, z:tolist())
  end)

  it("in place keeps autograd: the gradient reaches the bound", function()
    local lo = lucid.tensor({ 0.5, -1 }, { dtype = lucid.float64, requires_grad = true })
    local x = lucid.tensor({ 0.0, 0.0 }, F64):clone()
    x:clamp_(lo)
    x:sum():backward()
    assert.are.same({ 1, 0 }, lo.grad:tolist())
  end)

  it("errors name the function, the argument, what was expected and what was got", function()
    local x = lucid.zeros(3)
    assert.matches("clamp_: output with shape %(3%) doesn't match the broadcast shape %(2, 3%)",
      H.err_of(function() return x:clamp_(lucid.zeros(2, 1)) end))
    assert.matches("clamp_: result type float32 can't be cast to the desired output type int64",
      H.err_of(function() return lucid.tensor({ 1, 2 }):clamp_(lucid.zeros(2)) end))
    assert.matches("clamp: max must be a tensor or a number, got string",
      H.err_of(function() return x:clamp(lucid.zeros(3), "a") end))
    assert.matches("clip: min must be a number or a tensor, got boolean",
      H.err_of(function() return x:clip(true) end))
    assert.matches("clamp: bool tensors are not supported",
      H.err_of(function() return lucid.tensor({ true }):clamp(lucid.tensor({ false })) end))
    assert.matches("lerp: end must be a tensor or a number, got nil",
      H.err_of(function() return x:lerp(nil, lucid.zeros(3)) end))
    assert.matches("lerp: weight must be a number or a tensor, got string",
      H.err_of(function() return x:lerp(x, "w") end))
    assert.matches("lerp: shapes %(3%) and %(2%) cannot be broadcast",
      H.err_of(function() return x:lerp(x, lucid.zeros(2)) end))
    assert.matches("lerp_: output with shape %(3%) doesn't match the broadcast shape %(2, 3%)",
      H.err_of(function() return x:lerp_(x, lucid.zeros(2, 1)) end))
  end)
end)

describe("lerp's vectorised kernel (both ends computed, the nearer picked)", function()
  -- PyTorch's formula from the nearer end, in Lua's doubles; round (a
  -- function) rounds the differences to the operands' dtype, as the kernel
  local function reference(a, b, w, round)
    round = round or function(v) return v end
    local out = {}
    for i = 1, #a do
      local d = round(b[i] - a[i])
      if w[i] < 0.5 then out[i] = w[i] * d + a[i]
      else out[i] = round(w[i] - 1) * d + b[i] end
    end
    return out
  end
  local function to_float32(v) return (string.unpack("f", string.pack("f", v))) end

  it("takes each element from its nearer end, weights on both sides of 0.5 and outside [0, 1]", function()
    lucid.manual_seed(41)
    local a, b = lucid.randn(5000, F64) * 100, lucid.randn(5000, F64)
    local w = lucid.rand(5000, F64) * 2 - 0.5
    w[1], w[2], w[3] = 0.5, 0.0, 1.0
    local got = a:lerp(b, w)
    H.assert_close(got, lucid.tensor(reference(a:tolist(), b:tolist(), w:tolist()), F64), 1e-15, 0)
    assert.are.equal(b[3]:item(), got[3]:item()) -- weight 1 gives the end exactly
    assert.are.equal(a[2]:item(), got[2]:item()) -- weight 0 the start
    -- float32: the float32 rounding of the same double computation
    local a32, b32, w32 = a:float(), b:float(), w:float()
    local want32 = lucid.tensor(reference(a32:tolist(), b32:tolist(), w32:tolist(), to_float32), F64):float()
    H.assert_close(a32:lerp(b32, w32), want32, 1e-6, 0)
  end)

  it("is NaN where the weight is NaN, and the same through transposed operands", function()
    lucid.manual_seed(42)
    local a, b, w = lucid.randn(40, 50), lucid.randn(40, 50), lucid.rand(40, 50)
    w[{ 3, 7 }] = 0 / 0
    local got = a:lerp(b, w)
    local nan = got[{ 3, 7 }]:item()
    assert.is_true(nan ~= nan)
    local t = function(x) return x:t():contiguous():t() end
    local tt = t(a):lerp(t(b), t(w))
    tt[{ 3, 7 }], got[{ 3, 7 }] = 0, 0
    assert.are.same(got:tolist(), tt:tolist())
  end)
end)
