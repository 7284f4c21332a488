-- lucid.bool: creation, conversion, comparisons and the other ops with bool results,
-- bool arithmetic's promotion (against PyTorch: tests/fixtures/index.lua), printing,
-- save/load, tolist, and the small dtype methods (type, to, type_as, element_size, ...).
local lucid = require("lucid")
local H = require("helpers")

local cases = H.load_fixture("index")

local run = {}

run.binary = function(c, x)
  local other = x[2]
  if c.args.scalar ~= nil then other = c.args.scalar end
  H.assert_close(x[1][c.args.fn](x[1], other), c.expected[1])
  H.assert_close(lucid[c.args.fn](x[1], other), c.expected[1])
end

run.unary = function(c, x) H.assert_close(x[1][c.args.fn](x[1]), c.expected[1]) end
run.to = function(c, x) H.assert_close(x[1]:to(lucid[c.args.dtype]), c.expected[1]) end

run.isclose = function(c, x)
  local opts = { rtol = c.args.rtol, atol = c.args.atol, equal_nan = c.args.equal_nan }
  H.assert_close(x[1]:isclose(x[2], opts), c.expected[1])
end

describe("bool results and promotion equal PyTorch's", function() H.fixture_cases(cases, run, it) end)

describe("lucid.bool", function()
  it("is a dtype: one byte, not floating point", function()
    local b = lucid.tensor({ true, false })
    assert.are.equal(lucid.bool, b.dtype)
    assert.are.equal("bool", b:type())
    assert.are.equal(1, b:element_size())
    assert.is_false(b:is_floating_point())
    assert.is_false(lucid.bool.is_floating_point)
    assert.are.equal("lucid.bool", tostring(lucid.bool))
  end)

  it("tensor() of booleans is bool; mixed with numbers they count as 0 and 1", function()
    assert.are.equal(lucid.bool, lucid.tensor(true).dtype)
    assert.are.equal(lucid.int64, lucid.tensor({ true, 2 }).dtype)
    H.assert_close(lucid.tensor({ true, 2.5 }), lucid.tensor({ 1, 2.5 }))
    H.assert_close(lucid.tensor({ 0, 3 }, { dtype = lucid.bool }), lucid.tensor({ false, true }))
    H.assert_close(lucid.zeros(2, { dtype = lucid.bool }), lucid.tensor({ false, false }))
    H.assert_close(lucid.full({ 2 }, true), lucid.tensor({ true, true }))
  end)

  it("tolist and item give Lua booleans", function()
    local b = lucid.tensor({ { true }, { false } })
    assert.are.same({ { true }, { false } }, b:tolist())
    assert.are.equal(true, b[1][1]:item())
  end)

  it("x:bool() is nonzero (NaN is true); x[i] = true writes into bool tensors", function()
    H.assert_close(lucid.tensor({ 0, -0.5, 0 / 0 }):bool(), lucid.tensor({ false, true, true }))
    local b = lucid.zeros(3, { dtype = lucid.bool })
    b[2] = true
    H.assert_close(b, lucid.tensor({ false, true, false }))
  end)

  it("prints as true and false", function()
    local s = tostring(lucid.tensor({ true, false }))
    assert.truthy(s:find("true", 1, true) and s:find("false", 1, true))
    assert.truthy(s:find("[ lucid.BoolTensor of size (2) ]", 1, true))
  end)

  it("saves and loads, transposed views too", function()
    local path = os.tmpname()
    local b = lucid.tensor({ { true, false, true }, { false, false, true } })
    lucid.save({ b = b:t() }, path)
    local back = lucid.load(path)
    os.remove(path)
    assert.are.equal(lucid.bool, back.b.dtype)
    H.assert_close(back.b, b:t():contiguous())
  end)

  it("a file whose bool byte is neither 0 nor 1 is refused as corrupt", function()
    local path = os.tmpname()
    lucid.save(lucid.tensor({ true }), path)
    local f = assert(io.open(path, "rb"))
    local bytes = f:read("a")
    f:close()
    local payload = bytes:sub(33, -2) .. "\2" -- the last byte is the element
    local h = 0xcbf29ce484222325 -- FNV-1a 64 over the payload (docs/save_load.md)
    for i = 1, #payload do h = (h ~ payload:byte(i)) * 0x100000001b3 end
    f = assert(io.open(path, "wb"))
    f:write(bytes:sub(1, 24), string.pack("<i8", h), payload)
    f:close()
    H.raises(function() return lucid.load(path) end, "corrupt file: a bool tensor holds the byte 2 (expected 0 or 1)")
    os.remove(path)
  end)

  it("reduces as PyTorch: sum counts (int64), max and min stay bool", function()
    local b = lucid.tensor({ { true, false }, { true, true } })
    H.assert_close(b:sum(), lucid.tensor(3))
    H.assert_close(b:sum(1), lucid.tensor({ 2, 1 }))
    H.assert_close(b:max(), lucid.tensor(true))
    local v, i = b:min(2)
    H.assert_close(v, lucid.tensor({ false, true }))
    H.assert_close(i, lucid.tensor({ 2, 1 }))
  end)

  it("refuses what PyTorch refuses, naming the alternative", function()
    local b = lucid.tensor({ true, false })
    H.raises(function() return b - b end, "sub: subtraction with a bool tensor is not supported; use logical_xor or logical_not")
    H.raises(function() return 1 - b end, "sub: subtraction with a bool tensor")
    H.raises(function() return -b end, "neg: not supported for bool tensors; use logical_not")
    H.raises(function() return b:abs() end, "abs: not supported for bool tensors")
    H.raises(function() return b:mean() end, "mean: expected a floating point tensor, got bool")
    H.raises(function() return b:argmax() end, "argmax: not implemented for bool tensors")
    H.raises(function() return b:matmul(b) end, "matmul: not implemented for bool tensors")
    H.raises(function() return b:add_(1) end, "add_: result type int64 can't be cast to the desired output type bool")
    H.raises(function() return lucid.ones(2):add_(lucid.ones(2)):long():add_(0.5) end, "can't be cast to the desired output type int64")
    H.raises(function() return lucid.tensor({ true }, { requires_grad = true }) end, "tensor: only floating point tensors can require gradients, got bool")
    H.raises(function() return lucid.rand(2, { dtype = lucid.bool }) end, "rand: dtype must be a floating point type, got bool")
  end)

  it("in-place ops on bool tensors: add_ is or, mul_ is and", function()
    local b = lucid.tensor({ true, false, false })
    b:add_(lucid.tensor({ false, true, false }))
    H.assert_close(b, lucid.tensor({ true, true, false }))
    b:mul_(lucid.tensor({ true, false, true }))
    H.assert_close(b, lucid.tensor({ true, false, false }))
  end)

  it("comparisons and conversions to bool or int64 carry no gradient", function()
    local x = lucid.ones(2, { requires_grad = true })
    assert.is_false(x:gt(0).requires_grad)
    assert.is_false(x:bool().requires_grad)
    assert.is_nil(x:long().grad_fn)
    assert.is_true(x:double().requires_grad)
  end)
end)

describe("dtype methods and fields", function()
  local x = lucid.arange(6):view(2, 3)

  it("type() names the dtype; type(dtype) and type_as convert", function()
    assert.are.equal("int64", x:type())
    assert.are.equal("float64", x:type(lucid.float64):type())
    assert.are.equal("float32", x:type_as(lucid.ones(1)):type())
  end)

  it("to{dtype =, copy =}: a copy only when asked or converting", function()
    assert.is_true(x:to(lucid.int64):is_same_storage(x))
    assert.is_false(x:to({ copy = true }):is_same_storage(x))
    H.assert_close(x:to({ dtype = lucid.float64, copy = true }), x:double())
    assert.are.equal(lucid.float32, x:to(lucid.ones(1)).dtype)
    assert.are.equal(x:to("cpu").dtype, lucid.int64)
    H.raises(function() return x:to({ copy = 1 }) end, "to: copy must be a boolean, got number")
    H.raises(function() return x:to({ device = "cuda" }) end, "to: device 'cuda' is unavailable")
  end)

  it("is_floating_point, element_size, ndim", function()
    assert.is_false(x:is_floating_point())
    assert.is_true(x:double():is_floating_point())
    assert.are.equal(8, x:element_size())
    assert.are.equal(4, x:float():element_size())
    assert.are.equal(2, x.ndim)
  end)

  it("x.T reverses the dims, x.mT transposes the last two, x.data is detached", function()
    local y = lucid.zeros(2, 3, 4)
    assert.are.same({ 4, 3, 2 }, H.shape_of(y.T))
    assert.are.same({ 2, 4, 3 }, H.shape_of(y.mT))
    H.raises(function() return lucid.zeros(3).mT end, "mT: expects a tensor with at least 2 dims, got 1")
    local w = lucid.ones(2, { requires_grad = true })
    local d = w.data
    assert.is_false(d.requires_grad)
    assert.is_true(d:is_same_storage(w))
  end)

  it("x.data = y makes x view y's values", function()
    local w = lucid.zeros(2)
    w.data = lucid.ones(3)
    H.assert_close(w, lucid.ones(3))
  end)

  it("x < y and x <= y are errors pointing to lt and le", function()
    H.raises(function() return x < x end, "lt: x < y cannot return a tensor in Lua; use x:lt(y)")
    H.raises(function() return x >= 1 end, "le: x <= y cannot return a tensor in Lua; use x:le(y) (or x:ge(y) for x >= y)")
  end)
end)
