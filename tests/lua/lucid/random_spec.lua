-- Random functions (core/random.c, bindings/lrandom.c): positions are
-- 1-based, the draws follow their distributions (means within 4 standard
-- errors over 20000 draws, fixed seeds) and the state round-trips.
local lucid = require("lucid")
local H = require("helpers")

local N = 20000

local function near(got, want, se, what)
  assert(math.abs(got - want) <= 4 * se, string.format("%s: mean %g, expected %g +- %g", what, got, want, 4 * se))
end

describe("random functions", function()
  before_each(function() lucid.manual_seed(11) end)

  it("randperm(n) is a permutation of 1..n", function()
    local p = lucid.randperm(50)
    local sorted = p:sort()
    assert.are.same(lucid.arange(1, 51):tolist(), sorted:tolist())
    assert.are.equal(0, lucid.randperm(0):numel())
  end)

  it("multinomial without replacement never repeats nor picks a zero weight", function()
    local w = lucid.tensor({ { 0.1, 0, 0.5, 0.4 }, { 1, 1, 1, 0 } })
    local s = lucid.multinomial(w, 3)
    for r = 1, 2 do
      local row = s[r]:tolist()
      table.sort(row)
      assert.are.same(r == 1 and { 1, 3, 4 } or { 1, 2, 3 }, row)
    end
  end)

  it("multinomial leaves its weights alone and repeats under manual_seed", function()
    local w = lucid.tensor({ { 0.1, 0, 0.5, 0.4 }, { 1, 1, 1, 0 } }, { dtype = lucid.float64 })
    local before = w:tolist()
    lucid.manual_seed(7)
    local a, b = lucid.multinomial(w, 3), lucid.multinomial(w, 5, true)
    lucid.manual_seed(7)
    assert.are.same(a:tolist(), lucid.multinomial(w, 3):tolist())
    assert.are.same(b:tolist(), lucid.multinomial(w, 5, true):tolist())
    assert.are.same(before, w:tolist())
  end)

  it("multinomial without replacement picks first in proportion to the weights", function()
    local w, n = lucid.tensor({ 0.1, 0.3, 0.6 }), 20000
    local firsts = lucid.multinomial(w:expand(n, 3):contiguous(), 2):select(2, 1)
    local counts = lucid.bincount(firsts, nil, 3)
    for i, p in ipairs({ 0.1, 0.3, 0.6 }) do
      local sd = math.sqrt(n * p * (1 - p))
      assert.is_true(math.abs(counts[i]:item() - n * p) < 4 * sd, "category " .. i)
    end
  end)

  it("multinomial with replacement draws in proportion to the weights", function()
    local counts = lucid.bincount(lucid.multinomial(lucid.tensor({ 0.2, 0.3, 0.5 }), N, true), nil, 3)
    for i, p in ipairs({ 0.2, 0.3, 0.5 }) do
      near(counts[i]:item() / N, p, math.sqrt(p * (1 - p) / N), "category " .. i)
    end
  end)

  it("bernoulli, poisson, exponential_ and normal have their means", function()
    near(lucid.bernoulli(lucid.full({ N }, 0.3)):mean():item(), 0.3, math.sqrt(0.21 / N), "bernoulli")
    near(lucid.ones(N):bernoulli(0.8):mean():item(), 0.8, math.sqrt(0.16 / N), "bernoulli(p)")
    for _, lam in ipairs({ 0.5, 4, 30, 500 }) do
      near(lucid.poisson(lucid.full({ N }, lam, { dtype = lucid.float64 })):mean():item(), lam, math.sqrt(lam / N), "poisson " .. lam)
    end
    near(lucid.zeros(N):exponential_(4):mean():item(), 0.25, 0.25 / math.sqrt(N), "exponential_")
    near(lucid.normal(3, 2, { N }):mean():item(), 3, 2 / math.sqrt(N), "normal(3, 2)")
    local m = lucid.normal(lucid.full({ N }, -1, { dtype = lucid.float64 }), 0.5)
    assert.are.equal(lucid.float64, m.dtype)
    near(m:mean():item(), -1, 0.5 / math.sqrt(N), "normal(tensor, 0.5)")
  end)

  it("get_rng_state and set_rng_state replay the stream", function()
    local state = lucid.get_rng_state()
    local a = lucid.rand(5):tolist()
    lucid.set_rng_state(state)
    assert.are.same(a, lucid.rand(5):tolist())
  end)

  it("seed() picks a fresh seed and returns it; initial_seed() reports it", function()
    local s = lucid.seed()
    assert.are.equal(s, lucid.initial_seed())
    assert.are_not.equal(s, lucid.seed())
  end)

  it("errors name the function and the argument", function()
    H.raises(function() lucid.randperm(-1) end, "randperm: n must be at least 0, got -1")
    H.raises(function() lucid.multinomial(lucid.tensor({ 1., 0 }), 2) end, "multinomial: cannot draw 2 samples without replacement from 1 categories of positive weight")
    H.raises(function() lucid.multinomial(lucid.tensor({ -1., 2 }), 1) end, "multinomial: weights must be finite and non-negative, got -1 at index 1")
    H.raises(function() lucid.multinomial(lucid.tensor({ { 1., 2 }, { 0, 0 } }), 1, true) end, "multinomial: the weights in a row sum to zero")
    H.raises(function() lucid.multinomial(lucid.tensor({ 1., 2 }), 0) end, "multinomial: num_samples must be at least 1, got 0")
    H.raises(function() lucid.multinomial(lucid.tensor({ 1, 2 }), 1) end, "multinomial: weights must be a 1- or 2-D floating point tensor, got a 1-D int64 tensor")
    H.raises(function() lucid.bernoulli(lucid.tensor({ 1.5 })) end, "bernoulli: probabilities must be in [0, 1], got 1.5")
    H.raises(function() lucid.poisson(lucid.tensor({ -1. })) end, "poisson: rates must be finite and non-negative")
    H.raises(function() lucid.zeros(2):exponential_(0) end, "exponential_: expected a positive, finite lambd, got 0")
    H.raises(function() lucid.normal(0, -1, { 2 }) end, "normal: std must be at least 0, got -1")
    H.raises(function() lucid.set_rng_state(lucid.zeros(3)) end, "set_rng_state: expected the int64 tensor of 2 values")
  end)
end)
