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
