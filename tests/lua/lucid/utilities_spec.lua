-- Loading and utilities (API.md "Loading", "Utilities"): require("lucid"),
-- require("nn"), lucid.clock, lucid.set_num_threads / get_num_threads.
local lucid = require("lucid")
local H = require("helpers")

describe("loading", function()
  it("require('lucid') returns the module table, the same every time", function()
    assert.are.equal("table", type(lucid))
    assert.are.equal(lucid, require("lucid"))
    for _, name in ipairs({ "tensor", "zeros", "ones", "empty", "randn", "rand", "full", "arange",
      "randint", "eye", "manual_seed", "matmul", "cat", "stack", "split", "chunk", "no_grad",
      "clock", "set_num_threads", "get_num_threads" }) do
      assert.are.equal("function", type(lucid[name]), "lucid." .. name)
    end
    for _, name in ipairs({ "grad", "gradcheck", "Function" }) do
      assert.is_not_nil(lucid.autograd[name], "lucid.autograd." .. name)
    end
  end)

  it("require('nn') is reachable as lucid.nn", function()
    local nn = require("nn")
    assert.are.equal("table", type(nn))
    assert.are.equal(nn, lucid.nn)
  end)
end)

describe("lucid.clock", function()
  it("returns seconds that never go backwards", function()
    local prev = lucid.clock()
    assert.are.equal("number", type(prev))
    for _ = 1, 10000 do
      local t = lucid.clock()
      assert.is_true(t >= prev)
      prev = t
    end
  end)

  it("has sub-microsecond resolution: consecutive calls differ by less than a microsecond", function()
    local smallest = math.huge
    local distinct = 0
    for _ = 1, 1000 do
      local a = lucid.clock()
      local b = lucid.clock()
      if b > a then
        distinct = distinct + 1
        smallest = math.min(smallest, b - a)
      end
    end
    assert.is_true(distinct > 500, "two calls should usually differ, got " .. distinct .. " of 1000")
    assert.is_true(smallest < 1e-6, "smallest step " .. smallest)
    assert.is_true(smallest > 0)
  end)

  it("measures wall-clock seconds", function()
    local t0 = lucid.clock()
    local c0 = os.clock()
    while os.clock() - c0 < 0.05 do end -- busy 50 ms of CPU time
    local dt = lucid.clock() - t0
    assert.is_true(dt >= 0.045 and dt < 2, "elapsed " .. dt)
  end)
end)

describe("threads", function()
  it("set_num_threads / get_num_threads round trip", function()
    local before = lucid.get_num_threads()
    assert.are.equal("integer", math.type(before))
    assert.is_true(before >= 1)
    lucid.set_num_threads(1)
    assert.are.equal(1, lucid.get_num_threads())
    lucid.set_num_threads(3)
    assert.are.equal(3, lucid.get_num_threads())
    lucid.set_num_threads(before)
    assert.are.equal(before, lucid.get_num_threads())
  end)

  it("results do not depend on the thread count", function()
    local before = lucid.get_num_threads()
    lucid.manual_seed(1)
    local a = lucid.randn(300, 200, { dtype = lucid.float64 })
    local b = lucid.randn(200, 100, { dtype = lucid.float64 })
    lucid.set_num_threads(1)
    local s1 = (a:matmul(b):tanh():sum(2) + a:exp():mean(1):sum()):tolist()
    lucid.set_num_threads(2)
    local s2 = (a:matmul(b):tanh():sum(2) + a:exp():mean(1):sum()):tolist()
    lucid.set_num_threads(before)
    for i = 1, #s1 do assert.is_true(math.abs(s1[i] - s2[i]) <= 1e-9 * (1 + math.abs(s1[i]))) end
  end)

  it("set_num_threads rejects 0, negatives and non-integers", function()
    assert.matches("set_num_threads: n must be between 1 and 64, got 0", H.err_of(lucid.set_num_threads, 0))
    assert.matches("set_num_threads:.*%-2", H.err_of(lucid.set_num_threads, -2))
    assert.is_not_nil(H.err_of(lucid.set_num_threads, "many"):find("set_num_threads", 1, true))
    assert.is_not_nil(H.err_of(lucid.set_num_threads, 1.5):find("set_num_threads", 1, true))
    assert.is_true(lucid.get_num_threads() >= 1)
  end)
end)
