-- Sorting (core/sort.c): sort, argsort, topk, kthvalue, median, nanmedian, mode,
-- unique, unique_consecutive against PyTorch, their gradients, and their errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck

describe("sorting ops against PyTorch", function()
  cases.each("sort", it)
end)

describe("sorting ops: behaviour", function()
  it("refuses bool tensors where PyTorch does, saying so (sort, mode and unique take them)", function()
    local b = lucid.tensor({ true, false, true })
    for _, call in ipairs({ { "topk", 1 }, { "kthvalue", 1 }, { "median" }, { "nanmedian" }, { "cumsum", 1 } }) do
      local ok, err = pcall(b[call[1]], b, call[2])
      assert.is_false(ok, call[1])
      assert.truthy(err:find(call[1] .. ": bool tensors are not supported", 1, true), err)
    end
    assert.truthy(select(2, pcall(b.topk, b, 1)):find("PyTorch has no topk for bool either", 1, true))
    assert.are.same({ false, true, true }, b:sort():tolist())
  end)

  it("sort is stable: equal values keep their order, ascending and descending", function()
    local x = lucid.tensor({ 2, 1, 2, 1, 2 })
    local _, i = x:sort()
    assert.are.same({ 2, 4, 1, 3, 5 }, i:tolist())
    _, i = x:sort({ descending = true })
    assert.are.same({ 1, 3, 5, 2, 4 }, i:tolist())
  end)

  it("sorts a row longer than the radix threshold like a short one", function()
    lucid.manual_seed(3)
    local x = lucid.randint(0, 50, { 3, 1000 })
    local v, i = x:sort(2)
    assert.are.equal(0, (x:gather(2, i) - v):abs():sum():item())
    assert.are.equal(0, (v:narrow(2, 2, 999) - v:narrow(2, 1, 999)):clamp(nil, 0):sum():item())
  end)

  it("mode picks the smallest of equally frequent values, at its last position", function()
    local v, i = lucid.tensor({ 3, 1, 3, 1, 2 }):mode()
    assert.are.equal(1, v:item())
    assert.are.equal(4, i:item())
  end)
end)

describe("sorting ops: gradients (float64 gradcheck)", function()
  local function leaf(...)
    lucid.manual_seed(7)
    return lucid.rand({ ... }, { dtype = lucid.float64 }):requires_grad_()
  end
  local fns = {
    sort = function(x) return (x:sort(1, true)) end,
    topk = function(x) return (x:topk(2, { dim = 2, largest = false })) end,
    kthvalue = function(x) return (x:kthvalue(2, 1)) end,
    median_dim = function(x) return (x:median(2, true)) end,
    median_all = function(x) return x:median() end,
    nanmedian = function(x) return (x:nanmedian(1)) end,
    mode = function(x) return (x:mode(2)) end,
  }
  for name, f in pairs(fns) do
    it(name .. " (also on a transposed view)", function()
      assert.is_true(gradcheck(f, { leaf(4, 5) }))
      local x = leaf(5, 4)
      assert.is_true(gradcheck(function(y) return f(y:t()) end, { x }))
    end)
  end
  it("indices are not differentiable", function()
    local _, i = leaf(3):sort()
    assert.is_false(i.requires_grad)
  end)
end)

describe("sorting ops: errors name the function, the argument and what was wrong", function()
  local x = lucid.rand(3, 4)
  it("dims out of range", function()
    H.raises(function() x:sort(3) end, "sort: dim 3 out of range")
    H.raises(function() x:median(0) end, "median: dim 0 out of range")
  end)
  it("k out of range and not an integer", function()
    H.raises(function() x:topk(5) end, "topk: k must be in 0..4", "got 5")
    H.raises(function() x:kthvalue(0) end, "kthvalue: k must be in 1..4", "got 0")
    H.raises(function() x:topk(1.5) end, "topk: k must be an integer, got 1.5")
    H.raises(function() x:topk() end, "topk: k must be an integer, got no value")
  end)
  it("options", function()
    H.raises(function() x:sort({ descending = 1 }) end, "sort: descending must be a boolean, got number")
    H.raises(function() x:sort({ bogus = 1 }) end, "sort: unknown option 'bogus'")
    H.raises(function() lucid.unique(x, { dim = 3 }) end, "unique: dim 3 out of range")
    H.raises(function() lucid.unique_consecutive(lucid.tensor(1), { dim = 1 }) end,
      "unique_consecutive: dim must be nil for a 0-dim tensor, got dim 1")
    H.raises(function() lucid.unique(lucid.zeros(3, 0), { dim = 1 }) end,
      "unique: there are 0-sized dims other than dim 1, so unique cannot be applied")
  end)
  it("empty reductions and non-tensors", function()
    H.raises(function() lucid.zeros(0, 3):mode(1) end, "mode: dim 1 is empty")
    H.raises(function() lucid.sort(5) end, "sort: argument 1 must be a tensor, got number")
  end)
end)

describe("topk's selection (keys made only for possible entrants)", function()
  -- The k first (value, index) pairs of each row in the stable order, by
  -- Lua's own sort: NaN above everything, ties by position.
  local function reference(rows, k, largest)
    local vals, idxs = {}, {}
    for r, row in ipairs(rows) do
      local pairs_ = {}
      for i, v in ipairs(row) do pairs_[i] = { v = v, i = i } end
      local function key(v) return v ~= v and math.huge * 2 or v end
      table.sort(pairs_, function(a, b)
        local ka, kb = key(a.v), key(b.v)
        local nan_a, nan_b = a.v ~= a.v, b.v ~= b.v
        if nan_a ~= nan_b then return (largest and nan_a) or (not largest and nan_b) end
        if not nan_a and ka ~= kb then
          if largest then return ka > kb end
          return ka < kb
        end
        return a.i < b.i
      end)
      vals[r], idxs[r] = {}, {}
      for j = 1, k do vals[r][j], idxs[r][j] = pairs_[j].v, pairs_[j].i end
    end
    return vals, idxs
  end
  local function same_values(want, got)
    for r = 1, #want do
      for j = 1, #want[r] do
        local a, b = want[r][j], got[r][j]
        assert(a == b or (a ~= a and b ~= b), string.format("row %d item %d: want %s got %s", r, j, a, b))
      end
    end
  end
  local function check(x, k, largest)
    local v, i = x:topk(k, { dim = 2, largest = largest })
    local wv, wi = reference(x:tolist(), k, largest)
    same_values(wv, v:tolist())
    assert.are.same(wi, i:tolist())
  end

  it("equals the stable order's first k in rows with many ties, NaN, -0 and +0", function()
    lucid.manual_seed(5)
    for _, dtype in ipairs({ lucid.float32, lucid.float64, lucid.int64 }) do
      -- values from a small set, so ties cross the blocks of the scan
      local x = lucid.randint(-3, 4, { 6, 1000 }):to(dtype)
      if dtype ~= lucid.int64 then
        x[{ 2, 500 }] = 0 / 0
        x[{ 2, 17 }] = 0 / 0
        x[{ 3, 40 }] = -0.0
        x[{ 4 }] = lucid.zeros(1000, { dtype = dtype }) * -1 -- a row of -0
        x[{ 4, 999 }] = 0.0
      end
      for _, k in ipairs({ 1, 10, 50 }) do
        check(x, k, true)
        check(x, k, false)
      end
    end
  end)

  it("k = 1, k = n and k = 0 at the selection's edges, and a row of NaN", function()
    lucid.manual_seed(6)
    local x = lucid.randn(3, 40)
    check(x, 1, true)
    check(x, 1, false)
    check(x, 40, true)
    local v, i = x:topk(0, 2)
    assert.are.same({ 3, 0 }, v.shape)
    assert.are.same({ 3, 0 }, i.shape)
    local nan = lucid.full({ 2, 100 }, 0 / 0)
    check(nan, 3, true)
    check(nan, 3, false)
  end)

  it("gives the same rows on 1 and 2 threads and on a transposed input", function()
    lucid.manual_seed(8)
    local x = lucid.randn(200, 1000) -- above the grain: rows split between threads
    local threads = lucid.get_num_threads()
    lucid.set_num_threads(1)
    local v1, i1 = x:topk(10, 2)
    lucid.set_num_threads(2)
    local v2, i2 = x:topk(10, 2)
    lucid.set_num_threads(threads)
    assert.are.same(v1:tolist(), v2:tolist())
    assert.are.same(i1:tolist(), i2:tolist())
    local vt, it_ = x:t():contiguous():topk(10, 1)
    assert.are.same(v1:tolist(), vt:t():tolist())
    assert.are.same(i1:tolist(), it_:t():tolist())
    local wv, wi = reference(x:narrow(1, 1, 5):tolist(), 10, true)
    same_values(wv, v1:narrow(1, 1, 5):tolist())
    assert.are.same(wi, i1:narrow(1, 1, 5):tolist())
  end)
end)
