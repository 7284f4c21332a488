-- Elementwise ops and reductions run on several threads above a size (the
-- grains of core/lc_internal.h: 2^16 elements for memory-bound ops such as
-- add and sum, 2^15 for the others such as tanh and softmax). Their results
-- must not depend on it: the same bits at 1 and 2 threads just below, at and
-- above each grain, contiguous and transposed.
local lucid = require("lucid")

local function at_threads(n, f)
  local was = lucid.get_num_threads()
  lucid.set_num_threads(n)
  assert.are.equal(n, lucid.get_num_threads()) -- else 1 against 2 compares a run with itself
  local ok, r = pcall(f)
  lucid.set_num_threads(was)
  assert(ok, r)
  return r
end

-- n random elements (a transposed square when side is given)
local function input(n, side, seed)
  lucid.manual_seed(seed)
  if side then return lucid.randn(side, side):t() end
  return lucid.randn(n)
end

-- x's elements as rows of 16 (the whole rows of them)
local function rows(x)
  local flat = x:reshape(-1)
  return flat:narrow(1, 1, flat:numel() - flat:numel() % 16):view(-1, 16)
end

local ops = {
  add = function(x, y) return x + y end,
  mul = function(x, y) return x * y end,
  tanh = function(x) return x:tanh() end,
  sum = function(x) return x:sum() end,
  mean_dim = function(x) return rows(x):mean(1) end,
  softmax = function(x) return rows(x):softmax(2) end,
}

describe("threads", function()
  for _, case in ipairs({ { 32767 }, { 32768 }, { 65535 }, { 65536 }, { 100000 }, { 65536, 256 }, { 99856, 316 } }) do
    local n, side = case[1], case[2]
    for name, op in pairs(ops) do
      it(string.format("%s of %d elements%s: the same bits at 1 and 2 threads", name, n,
        side and " (transposed)" or ""), function()
        local x, y = input(n, side, 1), input(n, side, 2) * 0.5
        local one = at_threads(1, function() return op(x, y) end)
        local two = at_threads(2, function() return op(x, y) end)
        assert.are.equal(tostring(one.shape), tostring(two.shape))
        assert.are.equal(0, one:ne(two):sum():item(), name .. " differs between 1 and 2 threads")
        -- and the values are the op's: against float64 on one thread
        local ref = at_threads(1, function() return op(x:double(), y:double()) end)
        assert.is_true((two:double() - ref):abs():max():item() <= 1e-5 * (ref:abs():max():item() + 1))
      end)
    end
  end
end)
