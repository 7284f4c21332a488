-- Indexing (x[i], x[{i, {a, b}, {}}], x[mask], x[idx] and their assignments) and the
-- mask functions (where, masked_fill, masked_select, masked_scatter, nonzero, argwhere)
-- against PyTorch (tests/fixtures/index.lua, made by tests/fixtures/gen/gen_index.py),
-- their gradients (float64 gradcheck) and their errors.
local lucid = require("lucid")
local H = require("helpers")

local gradcheck = lucid.autograd.gradcheck
local cases = H.load_fixture("index")

local function key_of(c, x)
  if c.args.kind == "table" then return c.args.entries end
  return x[2]
end

local run = {}

run.index = function(c, x)
  local got = x[1][key_of(c, x)]
  H.assert_close(got, c.expected[1])
  if c.args.kind == "table" then -- ranges and selects are views
    assert.is_true(got:is_same_storage(x[1]))
  end
end

run.index_set = function(c, x)
  local value = c.args.number
  if value == nil then value = x[#x] end
  x[1][key_of(c, x)] = value
  H.assert_close(x[1], c.expected[1])
end

run.masked_fill = function(c, x)
  H.assert_close(x[1]:masked_fill(x[2], c.args.value), c.expected[1])
  local y = x[1]:clone()
  assert.are.equal(y, y:masked_fill_(x[2], c.args.value))
  H.assert_close(y, c.expected[1])
end

run.masked_select = function(c, x) H.assert_close(lucid.masked_select(x[1], x[2]), c.expected[1]) end

run.masked_scatter = function(c, x)
  H.assert_close(x[1]:masked_scatter(x[2], x[3]), c.expected[1])
  local y = x[1]:clone()
  y:masked_scatter_(x[2], x[3])
  H.assert_close(y, c.expected[1])
end

run.where = function(c, x)
  local input, other = x[2], x[3]
  if c.args.input ~= nil then input = c.args.input end
  if c.args.other ~= nil then other = c.args.other end
  H.assert_close(lucid.where(x[1], input, other), c.expected[1])
end

run.where_cond = function(c, x)
  local cols = lucid.where(x[1])
  assert.are.equal(#c.expected, #cols)
  for i, col in ipairs(cols) do H.assert_close(col, c.expected[i]) end
end

run.nonzero = function(c, x) H.assert_close(x[1]:nonzero(), c.expected[1]) end
run.argwhere = function(c, x) H.assert_close(lucid.argwhere(x[1]), c.expected[1]) end

run.nonzero_tuple = function(c, x)
  local cols = x[1]:nonzero({ as_tuple = true })
  assert.are.equal(#c.expected, #cols)
  for i, col in ipairs(cols) do H.assert_close(col, c.expected[i]) end
end

describe("indexing and masks equal PyTorch's", function() H.fixture_cases(cases, run, it) end)

describe("indexing", function()
  local function x34() return lucid.arange(12):view(3, 4) end

  it("x[i] and x[{i, j}] select; a full index gives a 0-dim view", function()
    local x = x34()
    H.assert_close(x[2], lucid.tensor({ 4, 5, 6, 7 }))
    assert.are.equal(6, x[{ 2, 3 }]:item())
    assert.are.equal(0, x[{ 2, 3 }]:dim())
    assert.are.equal(11, x[-1][-1]:item())
  end)

  it("ranges are views: writing into them writes into x", function()
    local x = x34()
    local v = x[{ {}, { 2, 3 } }]
    assert.are.same({ 3, 2 }, H.shape_of(v))
    v:fill_(0)
    H.assert_close(x, lucid.tensor({ { 0, 0, 0, 3 }, { 4, 0, 0, 7 }, { 8, 0, 0, 11 } }))
  end)

  it("x[{}] is a new view of x, never x itself", function()
    local x = x34()
    local v = x[{}]
    assert.are_not.equal(x, v)
    assert.is_true(v:is_same_storage(x))
  end)

  it("assigning a broadcast tensor to a range", function()
    local x = lucid.zeros(3, 4)
    x[{ { 1, 2 }, {} }] = lucid.tensor({ 1, 2, 3, 4 })
    H.assert_close(x, lucid.tensor({ { 1, 2, 3, 4 }, { 1, 2, 3, 4 }, { 0, 0, 0, 0 } }, { dtype = lucid.float32 }))
  end)

  it("pairs(x) iterates i, x[i] along dim 1", function()
    local x, seen = x34(), {}
    for i, row in pairs(x) do seen[i] = row:sum():item() end
    assert.are.same({ 6, 22, 38 }, seen)
  end)

  it("out of range indices and ranges are errors that say so", function()
    local x = x34()
    H.raises(function() return x[4] end, "index: index 4 out of range for dim 1 of size 3")
    H.raises(function() return x[{ 1, -5 }] end, "index: index -5 out of range for dim 2 of size 4")
    H.raises(function() return x[{ { 2, 5 } }] end, "index: range {2, 5} out of range for dim 1 of size 3")
    H.raises(function() return x[{ { 3, 1 } }] end, "index: range {3, 1} out of range")
    H.raises(function() return x[lucid.tensor({ 1, 4 })] end, "index: index 4 out of range for dim 1 of size 3")
    H.raises(function() return x[lucid.tensor({ 0 })] end, "index: index 0 out of range")
    H.raises(function() x[lucid.tensor({ 9 })] = 1 end, "index: index 9 out of range")
  end)

  it("misused keys and values are errors naming index", function()
    local x = x34()
    H.raises(function() return x[{ 1, 1, 1 }] end, "index: 3 entries in the index table for a 2-D tensor")
    H.raises(function() return x[{ "a" }] end, "index: entry 1 of the index table must be an integer or a range table, got string")
    H.raises(function() return x[{ { 1, 2, 3 } }] end, "index: entry 1 must be a range")
    H.raises(function() return x[1.5] end, "index: index 1 must be an integer, got 1.5")
    H.raises(function() return x[lucid.ones(3)] end, "index: a tensor index must be bool (a mask) or int64 (positions), got float32")
    H.raises(function() return x[lucid.ones(2, 4):bool()] end, "index: mask of shape (2, 4) does not match the leading dims of shape (3, 4)")
    H.raises(function() x[1] = "a" end, "index: can only assign a number, a boolean or a tensor, got string")
    H.raises(function() x[lucid.tensor({ true, false, true })] = lucid.ones(5) end, "index_put: values of shape (5) cannot be broadcast")
    H.raises(function() return lucid.tensor(1)[1] end, "index: cannot index a 0-dim tensor")
    H.raises(function() x[true] = 1 end, "index: the index must be an integer, a table of indices and ranges, or a bool or int64 tensor, got boolean")
  end)

  it("writing into a leaf that requires grad is refused", function()
    local x = lucid.zeros(3, { requires_grad = true })
    H.raises(function() x[lucid.tensor({ true, false, true })] = 1 end,
      "index: a leaf tensor that requires grad is used in an in-place operation")
  end)
end)

describe("gradients of indexing and masks (float64 gradcheck)", function()
  local function leaf(shape) return lucid.randn(shape, { dtype = lucid.float64, requires_grad = true }) end
  local mask = lucid.tensor({ { true, false, true }, { false, false, true } })

  it("x[{range, i}], x[mask], x[idx] (repeated positions add up)", function()
    assert.is_true(gradcheck(function(x) return x[{ { 1, 2 }, -1 }] end, { leaf({ 3, 3 }) }))
    assert.is_true(gradcheck(function(x) return x[mask] end, { leaf({ 2, 3 }) }))
    assert.is_true(gradcheck(function(x) return x[lucid.tensor({ { 1, 1 }, { -1, 2 } })] end, { leaf({ 3, 2 }) }))
  end)

  it("assignments: both the old values and the written ones get gradients", function()
    for _, key in ipairs({ { { 1, 2 }, 3 }, mask, lucid.tensor({ 2, -2 }) }) do
      assert.is_true(gradcheck(function(x, v)
        local y = x * 1
        y[key] = v
        return y
      end, { leaf({ 2, 3 }), leaf({ 1 }) }))
    end
  end)

  it("where, masked_fill, masked_select, masked_scatter", function()
    assert.is_true(gradcheck(function(a, b) return lucid.where(mask, a, b) end, { leaf({ 2, 3 }), leaf({ 3 }) }))
    assert.is_true(gradcheck(function(x, v) return x:masked_fill(mask, v) end, { leaf({ 2, 3 }), leaf({}) }))
    assert.is_true(gradcheck(function(x) return x:masked_select(mask[1]) end, { leaf({ 2, 3 }) }))
    assert.is_true(gradcheck(function(x, s) return x:masked_scatter(mask, s) end, { leaf({ 2, 3 }), leaf({ 5 }) }))
  end)

  it("in-place masked ops keep the history", function()
    local x = leaf({ 2, 3 })
    local y = x * 2
    y:masked_fill_(mask, 0)
    y:sum():backward()
    H.assert_close(x.grad, lucid.tensor({ { 0, 2, 0 }, { 2, 2, 0 } }, { dtype = lucid.float64 }))
  end)
end)

describe("x:where(condition, other)", function()
  it("is PyTorch's Tensor.where: the input first", function()
    local x = lucid.tensor({ 1.0, -2.0, 3.0 })
    H.assert_close(x:where(x:gt(0), 0), lucid.tensor({ 1.0, 0.0, 3.0 }))
    H.raises(function() return x:where(x:gt(0)) end, "where: other is required for x:where(condition, other)")
  end)
end)

describe("mask function errors", function()
  local x = lucid.ones(2, 3)
  local m = lucid.tensor({ true, false, true })

  it("name the function, the argument, what was expected and what was got", function()
    H.raises(function() return lucid.where(lucid.ones(3), x, 0) end, "where: condition must be a bool tensor, got float32")
    H.raises(function() return lucid.where(m, x) end, "where: give both input and other, or neither")
    H.raises(function() return lucid.where(m, x, "a") end, "where: other must be a tensor, a number or a boolean, got string")
    H.raises(function() return lucid.where(m, x, lucid.ones(2)) end, "where: shapes (2, 3) and (2) cannot be broadcast")
    H.raises(function() return x:masked_fill(lucid.ones(3), 1) end, "masked_fill: mask must be a bool tensor, got float32")
    H.raises(function() return x:masked_fill(lucid.ones(2, 2, 3):bool(), 1) end, "masked_fill: mask of shape (2, 2, 3) cannot be broadcast to the input's shape (2, 3)")
    H.raises(function() return x:masked_fill(m, lucid.ones(2)) end, "masked_fill: value must be a number or a 0-dim tensor, got shape (2)")
    H.raises(function() return x:masked_scatter(m, lucid.ones(3)) end, "masked_scatter: source has 3 elements, the mask selects 4")
    H.raises(function() return x:masked_scatter(m, lucid.ones(9, { dtype = lucid.float64 })) end, "masked_scatter: source must have the input's dtype float32, got float64")
    H.raises(function() return x:masked_select(lucid.ones(3)) end, "masked_select: mask must be a bool tensor, got float32")
    H.raises(function() return x:nonzero({ as_tuple = 1 }) end, "nonzero: as_tuple must be a boolean, got number")
    H.raises(function() return lucid.zeros(3, { requires_grad = true }):masked_fill_(m, 1) end, "masked_fill_: a leaf tensor that requires grad")
  end)
end)

describe("where, x[mask], masked_select and nonzero on random masks (branch-free kernels)", function()
  local function flat(t) return t:reshape(-1):tolist() end

  it("where picks per element for 1-, 4- and 8-byte values, contiguous, transposed and broadcast", function()
    lucid.manual_seed(31)
    local a, b = lucid.randn(300, 301), lucid.randn(300, 301)
    local m = lucid.rand(300, 301):gt(0.5)
    local operands = {
      { (a * 10):float(), (b * 10):float() },
      { (a * 10):double(), (b * 10):double() },
      { (a * 10):long(), (b * 10):long() },
      { a:gt(0), b:gt(0.5) },
    }
    for _, o in ipairs(operands) do
      local x, y = o[1], o[2]
      local got = lucid.where(m, x, y)
      local mv, xv, yv, gv = flat(m), flat(x), flat(y), flat(got)
      for i = 1, #mv do
        local want
        if mv[i] then want = xv[i] else want = yv[i] end
        assert(gv[i] == want, x:type() .. " element " .. i)
      end
      -- the same through transposed operands (walked in memory order)
      local tt = lucid.where(m:t():contiguous():t(), x:t():contiguous():t(), y:t():contiguous():t())
      assert.are.same(got:tolist(), tt:tolist())
    end
    -- a broadcast row of conditions and a scalar other
    local row = lucid.tensor({ true, false, true })
    local got = lucid.where(row, lucid.tensor({ { 1.5, 2.5, 3.5 }, { 4.5, 5.5, 6.5 } }), lucid.tensor(-1.0))
    assert.are.same({ { 1.5, -1, 3.5 }, { 4.5, -1, 6.5 } }, got:tolist())
  end)

  it("gives the same result on 1 and 2 threads (above the grain)", function()
    lucid.manual_seed(32)
    local x, y = lucid.randn(600000), lucid.randn(600000)
    local m = x:gt(0)
    local threads = lucid.get_num_threads()
    lucid.set_num_threads(1)
    local one = lucid.where(m, x, y)
    lucid.set_num_threads(2)
    local two = lucid.where(m, x, y)
    lucid.set_num_threads(threads)
    assert.are.equal(0, (one - two):abs():sum():item())
    assert.are.same(x[m]:tolist(), one[m]:tolist())
    local other = m:logical_not()
    assert.are.same(y[other]:tolist(), one[other]:tolist())
  end)

  it("x[mask] and nonzero keep the true positions in order, whatever the last element", function()
    lucid.manual_seed(33)
    local x = lucid.randn(1000)
    for _, m in ipairs({ lucid.rand(1000):gt(0.5), lucid.zeros(1000):gt(0), lucid.ones(1000):gt(0) }) do
      for _, last in ipairs({ true, false }) do
        m[1000] = last
        local mv, xv, want, pos = m:tolist(), x:tolist(), {}, {}
        for i = 1, #mv do
          if mv[i] then
            want[#want + 1] = xv[i]
            pos[#pos + 1] = { i }
          end
        end
        assert.are.same(want, x[m]:tolist())
        assert.are.same(want, x:masked_select(m):tolist())
        assert.are.same(#pos == 0 and {} or pos, m:nonzero():tolist())
      end
    end
  end)
end)
