-- Tensor creation (API.md "Tensors": creation, dtypes, shape): lucid.tensor,
-- zeros/ones/empty/rand/randn, full, arange, randint, eye, manual_seed, dtype
-- conversions. Expected values are written out by hand.
local lucid = require("lucid")
local H = require("helpers")

local function same_list(a, b, tol)
  assert.are.equal(#b, #a, "number of elements")
  for i = 1, #b do
    if tol then
      assert.is_true(math.abs(a[i] - b[i]) <= tol, string.format("element %d: %s vs %s", i, a[i], b[i]))
    else
      assert.are.equal(b[i], a[i], "element " .. i)
    end
  end
end

describe("lucid.tensor", function()
  it("makes a 0-dim tensor from a number: int64 for integers, float32 otherwise", function()
    local a = lucid.tensor(3)
    assert.are.equal(0, a:dim())
    assert.are.equal(1, a:numel())
    assert.are.equal(lucid.int64, a.dtype)
    assert.are.equal(3, a:item())
    assert.are.equal("integer", math.type(a:item()))
    local b = lucid.tensor(2.5)
    assert.are.equal(lucid.float32, b.dtype)
    assert.are.equal(2.5, b:item())
    assert.are.equal(2.5, b:tolist())
  end)

  it("makes tensors from nested tables, row-major", function()
    local x = lucid.tensor({ { 1.5, 2 }, { 3, 4 }, { 5, 6 } })
    assert.are.same({ 3, 2 }, H.shape_of(x))
    assert.are.equal(lucid.float32, x.dtype)
    assert.are.same({ { 1.5, 2 }, { 3, 4 }, { 5, 6 } }, x:tolist())
    local y = lucid.tensor({ { { 1, 2 } }, { { 3, 4 } } })
    assert.are.same({ 2, 1, 2 }, H.shape_of(y))
    assert.are.equal(lucid.int64, y.dtype)
    assert.are.same({ 1, 2, 3, 4 }, H.flat(y))
  end)

  it("keeps int64 data exact beyond 2^53", function()
    local big = 9007199254740993 -- 2^53 + 1, not representable as a double
    local x = lucid.tensor({ big, -big })
    assert.are.equal(lucid.int64, x.dtype)
    assert.are.same({ big, -big }, x:tolist())
  end)

  it("honours dtype and requires_grad options", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    assert.are.equal(lucid.float64, x.dtype)
    assert.is_true(x.requires_grad)
    assert.is_nil(x.grad_fn)
    assert.are.same({ 1, 2 }, x:tolist())
    local y = lucid.tensor(1.75, { dtype = lucid.int64 })
    assert.are.equal(lucid.int64, y.dtype)
    assert.are.equal(1, y:item())
  end)

  it("copies a tensor argument (new storage, no history)", function()
    local a = lucid.tensor({ 1.0, 2.0 }, { requires_grad = true })
    local b = lucid.tensor(a)
    assert.is_false(b:is_same_storage(a))
    assert.is_false(b.requires_grad)
    b[1] = 10
    assert.are.same({ 1, 2 }, a:tolist())
  end)

  it("rejects ragged nested tables and non-numbers", function()
    assert.has_error(function() lucid.tensor({ { 1, 2 }, { 3 } }) end)
    local ok, err = pcall(lucid.tensor, { { 1, 2 }, { 3 } })
    assert.is_false(ok)
    assert.matches("tensor: nested tables have inconsistent lengths", err)
    ok, err = pcall(lucid.tensor, { { 1, 2 }, 3 })
    assert.is_false(ok)
    assert.matches("^.-tensor:", err)
    ok, err = pcall(lucid.tensor, { 1, "a" })
    assert.matches("tensor: data must be numbers or booleans, got string", err)
    ok, err = pcall(lucid.tensor, "abc")
    assert.matches("tensor: data must be .*got string", err)
  end)

  it("makes an empty 1-D tensor from {}", function()
    local x = lucid.tensor({})
    assert.are.equal(1, x:dim())
    assert.are.equal(0, x:numel())
    assert.are.equal(0, x:size(1))
  end)
end)

describe("zeros, ones, empty, rand, randn", function()
  for _, name in ipairs({ "zeros", "ones", "empty", "rand", "randn" }) do
    local f = lucid[name]
    it(name .. " accepts varargs sizes, a size table and x.shape", function()
      local a = f(5, 3, 8)
      local b = f({ 5, 3, 8 })
      local c = f(a.shape)
      for _, t in ipairs({ a, b, c }) do
        assert.are.same({ 5, 3, 8 }, H.shape_of(t))
        assert.are.equal(lucid.float32, t.dtype)
        assert.is_false(t.requires_grad)
        assert.are.equal("cpu", t.device)
      end
    end)

    it(name .. " takes {dtype =, requires_grad =} after varargs or a table", function()
      local a = f(2, 3, { dtype = lucid.float64, requires_grad = true })
      local b = f({ 2, 3 }, { dtype = lucid.float64 })
      assert.are.equal(lucid.float64, a.dtype)
      assert.is_true(a.requires_grad)
      assert.are.equal(lucid.float64, b.dtype)
      assert.is_false(b.requires_grad)
      assert.are.same({ 2, 3 }, H.shape_of(b))
    end)
  end

  it("zeros and ones hold zeros and ones in every dtype", function()
    for _, dt in ipairs({ lucid.float32, lucid.float64, lucid.int64 }) do
      local z, o = lucid.zeros(2, 3, { dtype = dt }), lucid.ones(2, 3, { dtype = dt })
      assert.are.equal(dt, z.dtype)
      same_list(H.flat(z), { 0, 0, 0, 0, 0, 0 })
      same_list(H.flat(o), { 1, 1, 1, 1, 1, 1 })
    end
  end)

  it("zeros() with no sizes is 0-dim", function()
    local z = lucid.zeros()
    assert.are.equal(0, z:dim())
    assert.are.equal(0, z:item())
  end)

  it("rand lies in [0, 1) with mean about 1/2; randn has mean about 0 and variance about 1", function()
    lucid.manual_seed(123)
    local u = H.flat(lucid.rand(20000, { dtype = lucid.float64 }))
    local s = 0
    for _, v in ipairs(u) do
      assert.is_true(v >= 0 and v < 1)
      s = s + v
    end
    assert.is_true(math.abs(s / #u - 0.5) < 0.01)
    local n = H.flat(lucid.randn(20000, { dtype = lucid.float64 }))
    local m, m2 = 0, 0
    for _, v in ipairs(n) do m, m2 = m + v, m2 + v * v end
    m, m2 = m / #n, m2 / #n
    assert.is_true(math.abs(m) < 0.03)
    assert.is_true(math.abs(m2 - m * m - 1) < 0.05)
  end)

  it("rand and randn reject int64", function()
    local ok, err = pcall(lucid.rand, 2, { dtype = lucid.int64 })
    assert.is_false(ok)
    assert.matches("rand: dtype must be a floating point type", err)
    ok, err = pcall(lucid.randn, 2, { dtype = lucid.int64 })
    assert.matches("randn: dtype must be a floating point type", err)
  end)

  it("accepts integral float sizes such as 1e1", function()
    local ok, x = pcall(lucid.zeros, 1e1, 2.0)
    assert.is_true(ok, tostring(x))
    assert.are.same({ 10, 2 }, H.shape_of(x))
    assert.are.same({ 3, 2 }, H.shape_of(lucid.ones({ 6 / 2, 2.0 })))
    assert.are.same({ 2, 3 }, H.shape_of(lucid.full({ 2.0, 3 }, 1)))
    assert.are.same({ 4 }, H.shape_of(lucid.randint(5, { 4.0 })))
    assert.are.same({ 3, 2 }, H.shape_of(lucid.arange(6):view(3.0, 2)))
    local ok2, err = pcall(lucid.zeros, 2.5)
    assert.is_false(ok2)
    assert.matches("zeros: size 1 must be an integer, got 2.5", err)
  end)

  it("creation functions accept device = 'cpu' and reject other devices naming them", function()
    local ok, x = pcall(lucid.zeros, 2, { device = "cpu" })
    assert.is_true(ok, tostring(x))
    local ok2, err = pcall(lucid.zeros, 2, { device = "cuda" })
    assert.is_false(ok2)
    assert.matches("zeros: device", err)
    assert.matches("unavailable", err)
    local x2 = lucid.ones(2)
    local calls = {
      zeros = function(o) return lucid.zeros(2, o) end,
      ones = function(o) return lucid.ones(2, o) end,
      empty = function(o) return lucid.empty(2, o) end,
      rand = function(o) return lucid.rand(2, o) end,
      randn = function(o) return lucid.randn(2, o) end,
      full = function(o) return lucid.full({ 2 }, 1, o) end,
      randint = function(o) return lucid.randint(5, { 2 }, o) end,
      arange = function(o) return lucid.arange(2, o) end,
      eye = function(o) return lucid.eye(2, o) end,
      tensor = function(o) return lucid.tensor({ 1, 2 }, o) end,
      zeros_like = function(o) return lucid.zeros_like(x2, o) end,
      ones_like = function(o) return lucid.ones_like(x2, o) end,
    }
    for name, f in pairs(calls) do
      assert.are.equal("cpu", f({ device = "cpu" }).device, name)
      assert.are.equal("cpu", f({ device = nil }).device, name)
      local ok3, err3 = pcall(f, { device = "cuda:0" })
      assert.is_false(ok3, name)
      assert.matches("^.-" .. name .. ": device 'cuda:0' is unavailable", err3)
      ok3, err3 = pcall(f, { device = 1 })
      assert.is_false(ok3, name)
      assert.matches("^.-" .. name .. ": device number is unavailable", err3)
    end
  end)
end)

describe("full, arange, randint, eye", function()
  it("full(size, value) fills; integer values give int64, others float32", function()
    local a = lucid.full({ 2, 3 }, 7)
    assert.are.equal(lucid.int64, a.dtype)
    same_list(H.flat(a), { 7, 7, 7, 7, 7, 7 })
    local b = lucid.full({ 2 }, 2.5)
    assert.are.equal(lucid.float32, b.dtype)
    same_list(H.flat(b), { 2.5, 2.5 })
    local c = lucid.full({ 3 }, 1, { dtype = lucid.float64, requires_grad = true })
    assert.are.equal(lucid.float64, c.dtype)
    assert.is_true(c.requires_grad)
  end)

  it("arange(end), arange(start, end), arange(start, end, step) as PyTorch", function()
    local a = lucid.arange(5)
    assert.are.equal(lucid.int64, a.dtype)
    assert.are.same({ 0, 1, 2, 3, 4 }, a:tolist())
    assert.are.same({ 2, 3, 4 }, lucid.arange(2, 5):tolist())
    assert.are.same({ 1, 4, 7 }, lucid.arange(1, 10, 3):tolist()) -- end excluded
    assert.are.same({ 5, 3, 1 }, lucid.arange(5, 0, -2):tolist())
    assert.are.equal(0, lucid.arange(3, 3):numel())
  end)

  it("arange with a float step is float32 and has ceil((end - start) / step) elements", function()
    local a = lucid.arange(0, 1, 0.25)
    assert.are.equal(lucid.float32, a.dtype)
    assert.are.same({ 0, 0.25, 0.5, 0.75 }, a:tolist())
    local b = lucid.arange(0, 1, 0.1)
    assert.are.equal(10, b:numel()) -- ceil(1 / 0.1) = 10, 1.0 excluded
    local l = b:tolist()
    for i = 1, 10 do assert.is_true(math.abs(l[i] - (i - 1) * 0.1) < 1e-6) end
    assert.are.same({ 1, 1.5, 2 }, lucid.arange(1, 2.5, 0.5):tolist())
    local c = lucid.arange(0, 3, { dtype = lucid.float64 })
    assert.are.equal(lucid.float64, c.dtype)
    assert.are.same({ 0, 1, 2 }, c:tolist())
    assert.are.equal(lucid.float32, lucid.arange(3.0).dtype)
  end)

  it("arange rejects a zero step and a step of the wrong sign", function()
    local ok, err = pcall(lucid.arange, 0, 1, 0)
    assert.is_false(ok)
    assert.matches("arange:", err)
    ok, err = pcall(lucid.arange, 0, 10, -1)
    assert.is_false(ok)
    assert.matches("arange:", err)
  end)

  it("randint(low, high, size) and randint(high, size) give int64 in [low, high)", function()
    lucid.manual_seed(7)
    local a = lucid.randint(3, 6, { 1000 })
    assert.are.equal(lucid.int64, a.dtype)
    local seen = {}
    for _, v in ipairs(a:tolist()) do
      assert.are.equal("integer", math.type(v))
      assert.is_true(v >= 3 and v < 6)
      seen[v] = true
    end
    assert.is_true(seen[3] and seen[4] and seen[5])
    local b = lucid.randint(4, { 2, 50 })
    assert.are.same({ 2, 50 }, H.shape_of(b))
    for _, v in ipairs(H.flat(b)) do assert.is_true(v >= 0 and v < 4) end
    local ok, err = pcall(lucid.randint, 5, 3, { 2 })
    assert.is_false(ok)
    assert.matches("randint:", err)
  end)

  it("eye(n) and eye(n, m)", function()
    local e = lucid.eye(3)
    assert.are.equal(lucid.float32, e.dtype)
    assert.are.same({ { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, e:tolist())
    assert.are.same({ { 1, 0, 0 }, { 0, 1, 0 } }, lucid.eye(2, 3):tolist())
    assert.are.same({ { 1, 0 }, { 0, 1 }, { 0, 0 } }, lucid.eye(3, 2):tolist())
    assert.are.equal(lucid.float64, lucid.eye(2, { dtype = lucid.float64 }).dtype)
  end)

  it("arange(end, {dtype = lucid.float64}) is float64", function()
    assert.are.equal(lucid.float64, lucid.arange(3, { dtype = lucid.float64 }).dtype)
    assert.are.same({ 0, 1, 2 }, lucid.arange(3, { dtype = lucid.float64 }):tolist())
    assert.are.equal(lucid.float32, lucid.arange(3, { dtype = lucid.float32 }).dtype)
    assert.are.equal(lucid.int64, lucid.arange(3, {}).dtype)
  end)
end)

describe("manual_seed", function()
  it("the same seed gives the same numbers, another seed different ones", function()
    lucid.manual_seed(42)
    local a, ai = H.flat(lucid.randn(50)), H.flat(lucid.randint(0, 1000, { 20 }))
    lucid.manual_seed(42)
    local b, bi = H.flat(lucid.randn(50)), H.flat(lucid.randint(0, 1000, { 20 }))
    same_list(a, b)
    same_list(ai, bi)
    lucid.manual_seed(43)
    local c = H.flat(lucid.randn(50))
    local differ = 0
    for i = 1, 50 do if a[i] ~= c[i] then differ = differ + 1 end end
    assert.is_true(differ > 40)
  end)

  it("in-place uniform_ and normal_ follow the seed too", function()
    lucid.manual_seed(5)
    local a = H.flat(lucid.zeros(30):uniform_(-2, 3))
    lucid.manual_seed(5)
    local b = H.flat(lucid.zeros(30):uniform_(-2, 3))
    same_list(a, b)
    for _, v in ipairs(a) do assert.is_true(v >= -2 and v < 3) end
  end)

  it("the stream does not depend on the number of threads", function()
    local before = lucid.get_num_threads()
    local function draw(n)
      lucid.set_num_threads(n)
      lucid.manual_seed(2024)
      local r = {
        H.flat(lucid.rand(300000):narrow(1, 299990, 11)),
        H.flat(lucid.randn(300001, { dtype = lucid.float64 }):narrow(1, 1, 5)),
        H.flat(lucid.randn(300001, { dtype = lucid.float64 }):narrow(1, 300001, 1)),
        H.flat(lucid.randint(0, 1 << 40, { 100001 }):narrow(1, 50000, 4)),
      }
      return r
    end
    local one = draw(1)
    local two = draw(2)
    lucid.set_num_threads(before)
    for k = 1, #one do same_list(two[k], one[k]) end
  end)
end)

describe("dtypes and conversions", function()
  it("exposes the three dtype objects with names", function()
    assert.are.equal("float32", lucid.float32.name)
    assert.are.equal("float64", lucid.float64.name)
    assert.are.equal("int64", lucid.int64.name)
    assert.are.equal("lucid.float64", tostring(lucid.float64))
  end)

  it("float/double/long/to convert values (long truncates toward zero)", function()
    local x = lucid.tensor({ 1.75, -2.5, 3 }, { dtype = lucid.float64 })
    local f = x:float()
    assert.are.equal(lucid.float32, f.dtype)
    assert.are.same({ 1.75, -2.5, 3 }, f:tolist())
    local l = x:long()
    assert.are.equal(lucid.int64, l.dtype)
    assert.are.same({ 1, -2, 3 }, l:tolist())
    local d = l:double()
    assert.are.equal(lucid.float64, d.dtype)
    assert.are.same({ 1, -2, 3 }, d:tolist())
    assert.are.equal(lucid.float32, x:to(lucid.float32).dtype)
    assert.are.equal(lucid.int64, x:to(lucid.int64).dtype)
    assert.are.same({ 1.75, -2.5, 3 }, x:to(lucid.float32):to(lucid.float64):tolist())
    assert.are.same({ 1.75, -2.5, 3 }, x:to("cpu"):tolist())
    assert.are.equal(lucid.float64, x:to("cpu").dtype)
  end)

  it("conversion copies: the result does not share memory with the source", function()
    local x = lucid.tensor({ 1.0, 2.0 })
    local y = x:double()
    y[1] = 5
    assert.are.same({ 1, 2 }, x:tolist())
  end)

  it("float32 rounds to single precision", function()
    local x = lucid.tensor({ 0.1 }, { dtype = lucid.float64 })
    local v = x:float():tolist()[1]
    assert.are_not.equal(0.1, v)
    assert.is_true(math.abs(v - 0.1) < 1e-8)
    assert.are.equal(v, string.unpack("f", string.pack("f", 0.1)))
  end)
end)

describe("shape queries", function()
  it("x.shape is a table that prints as (5, 3, 8) and compares by value", function()
    local x = lucid.zeros(5, 3, 8)
    local s = x.shape
    assert.are.equal("table", type(s))
    assert.are.equal(5, s[1])
    assert.are.equal(3, s[2])
    assert.are.equal(8, s[3])
    assert.are.equal(3, #s)
    assert.are.equal("(5, 3, 8)", tostring(s))
    assert.is_true(s == lucid.ones(5, 3, 8).shape)
    assert.is_false(s == lucid.ones(5, 8, 3).shape)
    assert.is_false(s == lucid.ones(5, 3).shape)
    assert.is_true(s == x:size())
    assert.are.equal("()", tostring(lucid.tensor(1).shape))
  end)

  it("size(d) with positive and negative d, dim, numel, device", function()
    local x = lucid.zeros(5, 3, 8)
    assert.are.equal(5, x:size(1))
    assert.are.equal(3, x:size(2))
    assert.are.equal(8, x:size(3))
    assert.are.equal(8, x:size(-1))
    assert.are.equal(3, x:size(-2))
    assert.are.equal(5, x:size(-3))
    assert.are.equal(3, x:dim())
    assert.are.equal(120, x:numel())
    assert.are.equal("cpu", x.device)
    assert.are.equal(5, #x)
    local ok, err = pcall(x.size, x, 4)
    assert.is_false(ok)
    assert.matches("size: dim 4 out of range", err)
    ok, err = pcall(x.size, x, 0)
    assert.matches("size: dim 0 out of range", err)
    ok, err = pcall(x.size, x, -4)
    assert.matches("size: dim %-4 out of range", err)
  end)
end)
