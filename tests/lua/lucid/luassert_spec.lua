-- lucid.luassert: the tensor assertions a user's spec gets from
-- require("lucid.luassert"), passing and failing, with their messages.
local lucid = require("lucid")
local L = require("lucid.luassert")

-- The message of a failing assertion (nil when it passed).
local function failure(fn)
  local ok, err = pcall(fn)
  if ok then return nil end
  return tostring(err)
end

local function contains(s, sub)
  assert(s, "the assertion passed, expected it to fail with: " .. sub)
  assert(s:find(sub, 1, true), string.format("message %q does not contain %q", s, sub))
end

describe("lucid.luassert", function()
  local a = lucid.tensor({ { 1, 2, 3 }, { 4, 0.5, 6 } }, { dtype = lucid.float32 })

  describe("assert.tensor.near", function()
    it("passes for equal tensors, tensors within tol and nested tables", function()
      assert.tensor.near(a, a:clone())
      assert.tensor.near(a, { { 1, 2, 3 }, { 4, 0.5, 6 } })
      assert.tensor.near(a, a + 4e-6)                      -- float32 default 1e-5
      assert.tensor.near(a, { { 1, 2, 3 }, { 4, 0.51, 6 } }, 0.02)
      assert.tensor.near(lucid.tensor(2.5), 2.5)           -- 0-dim and a number
      assert.tensor.near(lucid.zeros(0, 3), lucid.zeros(0, 3))
      assert.is.tensor.near(a, a)
    end)

    it("scales the tolerance with large values", function()
      assert.tensor.near(lucid.tensor({ 1e6 }, { dtype = lucid.float64 }), { 1e6 + 1e-5 })
      assert.has_error(function()
        assert.tensor.near(lucid.tensor({ 1e6 }, { dtype = lucid.float64 }), { 1e6 + 1e-3 })
      end)
    end)

    it("uses the dtype's tolerance: float64 is stricter than float32", function()
      local x = lucid.tensor({ 1.0 }, { dtype = lucid.float64 })
      assert.tensor.near(x, { 1 + 1e-11 })
      local msg = failure(function() assert.tensor.near(x, { 1 + 1e-8 }) end)
      contains(msg, "(tol 1e-10)")
      assert.tensor.near(x, { 1 + 1e-8 }, 1e-7)
      -- against a float32 tensor the looser float32 tolerance applies
      assert.tensor.near(x, lucid.tensor({ 1 + 1e-8 }, { dtype = lucid.float32 }))
      L.tolerance.float64 = 1e-6
      assert.tensor.near(x, { 1 + 1e-8 })
      L.tolerance.float64 = 1e-10
    end)

    it("names the first differing element with its 1-based index", function()
      local msg = failure(function() assert.tensor.near(a, { { 1, 2, 3 }, { 4, 0.5001, 6 } }) end)
      contains(msg, "Expected tensors to be near.")
      contains(msg, "tensors differ at [2, 2]: 0.5 vs 0.5001 (tol 1e-05)")
      contains(msg, "1 of 6 elements differ")
      contains(msg, "shape (2, 3)")
      msg = failure(function() assert.tensor.near(a, { { 1, 2, 3 }, { 4, 0.5, 7 } }, 1e-3) end)
      contains(msg, "tensors differ at [2, 3]: 6 vs 7 (tol 0.001)")
    end)

    it("reports different shapes", function()
      local msg = failure(function() assert.tensor.near(a, lucid.zeros(3, 2)) end)
      contains(msg, "shapes differ: (2, 3) vs (3, 2)")
      msg = failure(function() assert.tensor.near(a, { 1, 2, 3 }) end)
      contains(msg, "shapes differ: (2, 3) vs (3)")
    end)

    it("never treats NaN as near", function()
      local n = lucid.tensor({ 0 / 0, 1 })
      assert.has_error(function() assert.tensor.near(n, n) end)
    end)

    it("is negated by is_not and no", function()
      assert.is_not.tensor.near(a, a + 1)
      assert.no.tensor.near(a, lucid.zeros(3, 2))
      local msg = failure(function() assert.is_not.tensor.near(a, a) end)
      contains(msg, "Expected tensors not to be near.")
      contains(msg, "all 6 elements agree (tol 1e-05); shape (2, 3)")
    end)

    it("rejects bad arguments with a message naming the assertion", function()
      contains(failure(function() assert.tensor.near(a, "x") end),
        "assert.tensor.near: argument 2 must be a tensor, a number or a nested table, got string")
      contains(failure(function() assert.tensor.near(a, { { 1, 2 }, { 3 } }) end),
        "assert.tensor.near: ragged table")
      contains(failure(function() assert.tensor.near(a, a, -1) end),
        "assert.tensor.near: argument 3 (tol) must be a number >= 0, got -1")
    end)
  end)

  describe("assert.tensor.equal", function()
    it("passes only for exactly equal values of one dtype", function()
      local i = lucid.tensor({ 1, 3, 2 }, { dtype = lucid.int64 })
      assert.tensor.equal(i, { 1, 3, 2 })
      assert.tensor.equal(i, lucid.tensor({ 1, 3, 2 }, { dtype = lucid.int64 }))
      assert.tensor.equal(a, a:clone())
      local msg = failure(function() assert.tensor.equal(i, { 1, 2, 2 }) end)
      contains(msg, "Expected tensors to be equal.")
      contains(msg, "tensors differ at [2]: 3 vs 2;")
      msg = failure(function() assert.tensor.equal(a, a + 1e-6) end)
      contains(msg, "tensors differ at [1, 1]")
    end)

    it("tells dtypes apart", function()
      local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float32 })
      local msg = failure(function() assert.tensor.equal(x, x:double()) end)
      contains(msg, "dtypes differ: float32 vs float64")
    end)

    it("is negated by is_not", function()
      assert.is_not.tensor.equal(a, a + 1)
      contains(failure(function() assert.is_not.tensor.equal(a, a) end), "Expected tensors not to be equal.")
    end)
  end)

  describe("assert.tensor.shape", function()
    it("compares sizes with a table", function()
      assert.tensor.shape(a, { 2, 3 })
      assert.tensor.shape(a, a.shape)
      assert.tensor.shape(lucid.tensor(1), {})
      contains(failure(function() assert.tensor.shape(a, { 3, 2 }) end),
        "Expected a tensor of shape (3, 2), got (2, 3)")
      assert.is_not.tensor.shape(a, { 3, 2 })
      contains(failure(function() assert.is_not.tensor.shape(a, { 2, 3 }) end),
        "Expected a tensor whose shape is not (2, 3)")
      contains(failure(function() assert.tensor.shape({}, { 2 }) end),
        "assert.tensor.shape: argument 1 must be a tensor, got table")
    end)
  end)

  describe("assert.tensor.dtype", function()
    it("compares with a dtype object or name", function()
      assert.tensor.dtype(a, lucid.float32)
      assert.tensor.dtype(a:double(), "float64")
      contains(failure(function() assert.tensor.dtype(a, lucid.float64) end),
        "Expected a tensor of dtype float64, got float32")
      assert.no.tensor.dtype(a, lucid.int64)
      contains(failure(function() assert.no.tensor.dtype(a, lucid.float32) end),
        "Expected a tensor whose dtype is not float32")
      contains(failure(function() assert.tensor.dtype(a, "complex") end),
        "assert.tensor.dtype: argument 2 must be lucid.float32, lucid.float64 or lucid.int64, got complex")
    end)
  end)

  it("prints tensors in other assertions' messages", function()
    local msg = failure(function() assert.are.same(lucid.tensor({ 1.5 }), 2) end)
    contains(msg, "1.5")
  end)
end)
