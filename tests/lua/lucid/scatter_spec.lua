-- Gather and scatter (core/scatter.c): gather, scatter, scatter_add,
-- scatter_reduce, index_add, index_copy, index_fill, index_put, take,
-- take_along_dim against PyTorch, in-place forms, gradients and errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck

describe("gather and scatter against PyTorch", function()
  cases.each("scatter", it)
end)

describe("gather and scatter: in-place forms write into the tensor and return it", function()
  it("scatter_, scatter_add_, scatter_reduce_, index_add_, index_copy_, index_fill_, index_put_", function()
    local idx = lucid.tensor({ { 2, 1 } })
    local src = lucid.tensor({ { 5., 7 } })
    local function fresh() return lucid.zeros(2, 2) end
    local pairs_ = {
      { "scatter_", { 1, idx, src }, "scatter" },
      { "scatter_add_", { 1, idx, src }, "scatter_add" },
      { "scatter_reduce_", { 1, idx, src, "amax", { include_self = false } }, "scatter_reduce" },
      { "index_add_", { 2, lucid.tensor({ 2 }), lucid.ones(2, 1) }, "index_add" },
      { "index_copy_", { 1, lucid.tensor({ 2 }), lucid.ones(1, 2) }, "index_copy" },
      { "index_fill_", { 2, lucid.tensor({ 1 }), 4 }, "index_fill" },
      { "index_put_", { { lucid.tensor({ 1 }), lucid.tensor({ 2 }) }, lucid.tensor(9.) }, "index_put" },
    }
    for _, p in ipairs(pairs_) do
      local x = fresh()
      local r = x[p[1]](x, table.unpack(p[2]))
      assert.are.equal(x, r, p[1] .. " returns its tensor")
      assert.are.same(lucid[p[3]](fresh(), table.unpack(p[2])):tolist(), x:tolist(), p[1])
    end
  end)

  it("positions count from 1 and negative ones from the end in index_put", function()
    local x = lucid.zeros(2, 3):index_put({ lucid.tensor({ -1 }), lucid.tensor({ 1 }) }, 1)
    assert.are.same({ { 0, 0, 0 }, { 1, 0, 0 } }, x:tolist())
  end)
end)

describe("gather and scatter: gradients (float64 gradcheck)", function()
  local function leaf(...)
    return (lucid.rand({ ... }, { dtype = lucid.float64 }) + 0.5):requires_grad_()
  end
  local idx = lucid.tensor({ { 1, 3, 1, 2 }, { 2, 2, 3, 3 } })   -- duplicates on purpose
  local fns = {
    gather = function(x) return x:gather(1, idx) end,
    take = function(x) return x:take(lucid.tensor({ 1, 12, 5, 5 })) end,
    take_along_dim = function(x) return x:take_along_dim(lucid.tensor({ { 2 }, { 4 }, { 2 } }), 2) end,
    index_fill = function(x) return x:index_fill(2, lucid.tensor({ 2, 4 }), 0.5) end,
  }
  for name, f in pairs(fns) do
    it(name, function()
      lucid.manual_seed(5)
      assert.is_true(gradcheck(f, { leaf(3, 4) }))
    end)
  end
  local two = {
    scatter = function(x, s) return x:scatter(1, lucid.tensor({ { 1, 2, 3, 1 }, { 2, 3, 1, 3 } }), s) end,
    scatter_add = function(x, s) return x:scatter_add(1, idx, s) end,
    index_add = function(x, s) return x:index_add(1, lucid.tensor({ 3, 1 }), s, { alpha = 1.5 }) end,
    index_copy = function(x, s) return x:index_copy(1, lucid.tensor({ 3, 1 }), s) end,
    index_put = function(x, s)
      return x:index_put({ lucid.tensor({ 1, 3 }), lucid.tensor({ 2, 2 }) }, s:narrow(1, 1, 1):view(4):narrow(1, 1, 2),
        { accumulate = true })
    end,
  }
  for _, red in ipairs({ "sum", "prod", "mean", "amax", "amin" }) do
    for _, incl in ipairs({ true, false }) do
      two["scatter_reduce " .. red .. " include_self=" .. tostring(incl)] = function(x, s)
        return x:scatter_reduce(1, idx, s, red, { include_self = incl })
      end
    end
  end
  for name, f in pairs(two) do
    it(name .. " (input and src)", function()
      lucid.manual_seed(6)
      assert.is_true(gradcheck(f, { leaf(3, 4), leaf(2, 4) }))
    end)
  end
  it("scatter_reduce prod through zeros", function()
    local x = lucid.tensor({ { 0.5, 0, 2 }, { 1.5, 3, 0 } }, { dtype = lucid.float64 }):requires_grad_()
    local s = lucid.tensor({ { 0, 2, 1.5 }, { 0.7, 0, 2 } }, { dtype = lucid.float64 }):requires_grad_()
    local i = lucid.tensor({ { 1, 1, 2 }, { 1, 2, 2 } })
    assert.is_true(gradcheck(function(a, b) return a:scatter_reduce(1, i, b, "prod") end, { x, s }))
  end)
end)

describe("gather and scatter: errors", function()
  local x = lucid.rand(3, 4)
  it("indices out of range, 0 included", function()
    H.raises(function() x:gather(1, lucid.tensor({ { 4 } })) end, "gather: index 4 is out of range for dim 1 of size 3")
    H.raises(function() x:gather(2, lucid.tensor({ { 0 } })) end, "gather: index 0 is out of range for dim 2 of size 4")
    H.raises(function() x:index_fill(1, lucid.tensor({ 9 }), 0) end, "index_fill: index 9 is out of range")
    H.raises(function() x:index_put({ lucid.tensor({ 4 }) }, 1) end, "index_put: index 4 is out of range for dim 1")
  end)
  it("wrong dtypes and shapes", function()
    H.raises(function() x:gather(1, lucid.rand(1, 1)) end, "gather: index must be an int64 tensor, got float32")
    H.raises(function() x:gather(1, lucid.tensor({ 1 })) end, "gather: index must have as many dims as the input (2), got 1")
    H.raises(function() x:scatter_add(1, lucid.tensor({ { 1, 1 } }), lucid.rand(1, 1)) end,
      "scatter: index of shape (1, 2) is larger than src of shape (1, 1) in dim 2")
    H.raises(function() x:index_add(1, lucid.tensor({ 1 }), lucid.rand(2, 4)) end,
      "index_add: source must have shape (1, 4)")
    H.raises(function() x:scatter_add(1, lucid.tensor({ { 1 } }), lucid.tensor({ { 1 } })) end,
      "src must have the input's dtype float32, got int64")
  end)
  it("bad reduce names and arguments", function()
    H.raises(function() x:scatter_reduce(1, lucid.tensor({ { 1 } }), x, "max") end,
      "scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got max")
    H.raises(function() x:scatter(1, lucid.tensor({ { 1 } }), x, { reduce = "sum" }) end,
      "scatter: reduce must be 'add' or 'multiply', got sum")
    H.raises(function() x:scatter(1, lucid.tensor({ { 1 } }), "a") end, "scatter: src must be a tensor or a number, got string")
    H.raises(function() x:index_put(lucid.tensor({ 1 }), 1) end, "index_put: indices must be a table of int64 tensors")
  end)
end)

describe("gather along a contiguous last dim (its fast path)", function()
  -- out[r][j] = x[r][idx[r][j]], computed in Lua
  local function reference(x, idx)
    local out = {}
    for r, row in ipairs(idx) do
      out[r] = {}
      for j, i in ipairs(row) do out[r][j] = x[r][i] end
    end
    return out
  end

  it("equals the strided walk and the reference, for 1-, 4- and 8-byte values", function()
    lucid.manual_seed(21)
    local x = lucid.randn(50, 1000)
    local idx = lucid.randint(1, 1001, { 50, 300 })
    for _, t in ipairs({ x, x:double(), (x * 100):long(), x:gt(0) }) do
      local fast = t:gather(2, idx)
      -- the same values through a transposed (strided) input and index
      local strided = t:t():contiguous():t()
      local slow = strided:gather(2, idx:t():contiguous():t())
      assert.are.same(slow:tolist(), fast:tolist())
      assert.are.same(reference(t:tolist(), idx:tolist()), fast:tolist())
    end
  end)

  it("gives the same result on 1 and 2 threads (rows split above the grain)", function()
    lucid.manual_seed(22)
    local x, idx = lucid.randn(100, 1000), lucid.randint(1, 1001, { 100, 1000 })
    local threads = lucid.get_num_threads()
    lucid.set_num_threads(1)
    local one = x:gather(2, idx)
    lucid.set_num_threads(2)
    local two = x:gather(2, idx)
    lucid.set_num_threads(threads)
    assert.are.same(one:tolist(), two:tolist())
  end)

  it("still names the first index out of range, on any thread", function()
    local x, idx = lucid.randn(100, 1000), lucid.ones({ 100, 1000 }, { dtype = lucid.int64 })
    idx[{ 70, 5 }] = 1001
    idx[{ 90, 1 }] = 0
    H.raises(function() x:gather(2, idx) end, "gather: index 1001 is out of range for dim 2 of size 1000")
  end)
end)
