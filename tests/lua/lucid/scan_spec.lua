-- Scans (core/scan.c): cumsum, cumprod, logcumsumexp, cummax, cummin against
-- PyTorch, their hand-written gradients, and their errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck

describe("scans against PyTorch", function()
  cases.each("scan", it)
end)

describe("scans: gradients (float64 gradcheck)", function()
  local function leaf(t)
    return lucid.tensor(t, { dtype = lucid.float64 }):requires_grad_()
  end
  local x = { { 0.3, -1.2, 0.8, 1.5 }, { -0.7, 0.4, 2.0, -0.1 }, { 1.1, 0.9, -0.5, 0.6 } }
  local fns = {
    cumsum = function(y) return y:cumsum(2) end,
    cumprod = function(y) return y:cumprod(1) end,
    logcumsumexp = function(y) return y:logcumsumexp(2) end,
    cummax = function(y) return (y:cummax(2)) end,
    cummin = function(y) return (y:cummin(1)) end,
  }
  for name, f in pairs(fns) do
    it(name .. ", also on a transposed view", function()
      assert.is_true(gradcheck(f, { leaf(x) }))
      assert.is_true(gradcheck(function(y) return f(y:t()) end, { leaf(x):t():contiguous():detach():requires_grad_() }))
    end)
  end
  it("cumprod through zeros: one zero, and two in a row", function()
    local z = leaf({ { 0.5, 0, 1.5, -2 }, { 0, 3, 0, 0.7 }, { 1.2, 0.4, 0, 2 } })
    assert.is_true(gradcheck(function(y) return y:cumprod(2) end, { z }))
  end)
  it("logcumsumexp with large values stays finite", function()
    local big = leaf({ 500, 800, -300, 700 })
    assert.is_true(gradcheck(function(y) return y:logcumsumexp(1) end, { big }))
  end)
end)

describe("scans: errors", function()
  it("name the function and the argument", function()
    local x = lucid.rand(3, 4)
    H.raises(function() x:cumsum() end, "cumsum: dim must be an integer, got no value")
    H.raises(function() x:cumsum(3) end, "cumsum: dim 3 out of range")
    H.raises(function() lucid.tensor({ 1, 2 }):logcumsumexp(1) end,
      "logcumsumexp: expected a floating point tensor, got int64")
    H.raises(function() x:cummax({ dim = 1, keepdim = true }) end, "cummax: unknown option 'keepdim'")
  end)
end)
