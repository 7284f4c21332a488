-- Bad input raises Lua errors (never crashes) whose message names the function
-- and the argument: wrong types, negative sizes, shape mismatches, bad views,
-- bad indices, unknown dtypes, allocations too large for memory.
local lucid = require("lucid")
local H = require("helpers")

-- The error must be a string that every pattern matches.
local function raises(f, ...)
  local pats = { ... }
  local err = H.err_of(f)
  assert.are.equal("string", type(err))
  for _, p in ipairs(pats) do
    assert.is_truthy(err:find(p), string.format("message %q does not match %q", err, p))
  end
  return err
end

local function x23() return lucid.arange(6):view(2, 3):double() end

describe("wrong argument types", function()
  it("tensor arguments given something else", function()
    raises(function() return lucid.exp("a") end, "exp: argument 1 must be a tensor, got string")
    raises(function() return lucid.matmul(x23(), 3) end, "matmul: argument 2 must be a tensor, got number")
    raises(function() return lucid.matmul({}, x23()) end, "matmul: argument 1 must be a tensor, got table")
    raises(function() return x23() + "a" end, "add: argument 2 must be a tensor or a number, got string")
    raises(function() return x23() * {} end, "mul: argument 2 must be a tensor or a number, got table")
    raises(function() return x23():pow("a") end, "pow: argument 2 must be a tensor or a number, got string")
    raises(function() return x23():copy_(3) end, "copy_: argument 2 must be a tensor, got number")
    raises(function() return lucid.cat({ x23(), "a" }) end, "cat: element 2 of the list must be a tensor, got string")
    raises(function() return lucid.cat(x23(), 1) end, "cat: argument 1 %(tensors%) must be a list of tensors, got a tensor")
    raises(function() return lucid.stack(3) end, "stack: argument 1 %(tensors%) must be a list of tensors, got number")
    raises(function() return lucid.ones(2).view(3) end, "view: argument 1 must be a tensor, got number")
  end)

  it("numbers given something else", function()
    raises(function() return x23():sum("a") end, "sum: dim must be an integer, got string")
    raises(function() return x23():narrow("a", 1, 1) end, "narrow: dim must be an integer, got string")
    raises(function() return x23():transpose(1) end, "transpose: dim must be an integer, got no value")
    raises(function() return x23():fill_("a") end, "fill_: value must be a number, got string")
    raises(function() return x23():clamp("a") end, "clamp", "min must be a number or a tensor, got string")
    raises(function() return x23():split("a") end, "split: split_size must be an integer, got string")
    raises(function() return lucid.manual_seed("a") end, "manual_seed: seed must be an integer, got string")
    raises(function() return lucid.full({ 2 }, "a") end, "full: fill_value must be a number or a boolean, got string")
    raises(function() return x23()[1.5] end, "index: index 1 must be an integer, got 1.5")
  end)

  it("sizes that are not integers", function()
    raises(function() return lucid.zeros(3, "a") end, "zeros: size 2 must be an integer, got string")
    raises(function() return lucid.ones({ 2, {} }) end, "ones: size 2 must be an integer, got table")
    raises(function() return x23():view("a") end, "view: size 1 must be an integer, got string")
    raises(function() return x23():view(2.5, 2) end, "view: size 1 must be an integer")
    raises(function() return lucid.zeros(1, 2, 3, 4, 5, 6, 7, 8, 9) end, "zeros: at most 8 dimensions")
  end)

  it("data for lucid.tensor", function()
    raises(function() return lucid.tensor() end, "tensor: data must be a number, a %(nested%) table or a tensor, got nil")
    raises(function() return lucid.tensor("abc") end, "tensor: data must be .* got string")
    raises(function() return lucid.tensor({ 1, {} }) end, "tensor:")
    raises(function() return lucid.tensor({ { 1 }, 2 }) end, "tensor:")
    raises(function() return lucid.tensor({ { 1, 2 }, { 3 } }) end, "tensor: nested tables have inconsistent lengths")
  end)

  it("booleans and functions", function()
    raises(function() return lucid.zeros(2, { requires_grad = "yes" }) end, "zeros: requires_grad must be a boolean, got string")
    raises(function() return x23():sum(1, 1) end, "sum: keepdim must be a boolean, got number")
    raises(function() return lucid.no_grad(3) end, "no_grad: argument 1 must be a function or a callable value %(no_grad%(fn, ...%)%), got number")
  end)

  it("fields of a tensor", function()
    local x = x23()
    raises(function() x.grad = 3 end, "grad")
    raises(function() x.grad = lucid.zeros(3, H.F64) end, "grad: assigned gradient has a different shape")
    raises(function() x.shape = { 1 } end, "cannot set field 'shape'")
    raises(function() lucid.zeros(2, { dtype = lucid.int64 }).requires_grad = true end,
      "requires_grad: only floating point tensors can require gradients")
    raises(function() lucid.zeros(2, { dtype = lucid.int64 }):requires_grad_() end,
      "requires_grad_: only floating point tensors can require gradients, got int64")
    raises(function() return lucid.tensor({ 1, 2 }, { requires_grad = true }) end,
      "tensor: only floating point tensors can require gradients")
    local y = lucid.ones(2, { requires_grad = true }) * 2
    raises(function() y.requires_grad = false end, "requires_grad: requires_grad can only be changed on leaf tensors")
  end)
end)

describe("negative and invalid sizes", function()
  it("creation functions reject negative sizes", function()
    for _, name in ipairs({ "zeros", "ones", "empty", "rand", "randn" }) do
      raises(function() return lucid[name](2, -3) end, "size %-3 of dimension 2 is negative")
      raises(function() return lucid[name]({ -1 }) end, "size %-1 of dimension 1 is negative")
    end
    raises(function() return lucid.full({ -2 }, 1) end, "size %-2 of dimension 1 is negative")
    raises(function() return lucid.randint(0, 3, { -1 }) end, "randint: size %-1 of dimension 1 is negative")
    raises(function() return lucid.eye(-1) end, "eye: sizes must be non%-negative")
    raises(function() return lucid.arange(0, 1, 0) end, "arange: step must be nonzero")
    raises(function() return lucid.arange(0, 10, -1) end, "arange: upper bound and step sign are inconsistent")
    raises(function() return lucid.randint(5, 3, { 2 }) end, "randint: high %(3%) must be greater than low %(5%)")
  end)

  it("view, reshape and expand reject invalid sizes", function()
    raises(function() return x23():view(-2, 3) end, "view: invalid size %-2")
    raises(function() return x23():view(-1, -1) end, "view: only one dimension can be %-1")
    raises(function() return x23():expand(-2, 3) end, "expand: cannot expand shape %(2, 3%)")
    raises(function() return x23():split(0) end, "split: split_size must be positive, got 0")
    raises(function() return x23():chunk(0) end, "chunk: chunks must be positive, got 0")
    raises(function() return x23():uniform_(2, 1) end, "uniform_: from %(2.*%) must not exceed to %(1")
  end)

  it("negative sizes name the creation function", function()
    for _, name in ipairs({ "zeros", "ones", "empty", "rand", "randn" }) do
      raises(function() return lucid[name](2, -3) end, "^.-" .. name .. ": size %-3 of dimension 2 is negative")
      raises(function() return lucid[name]({ size = { -1 } }) end, "^.-" .. name .. ": size %-1 of dimension 1")
    end
    raises(function() return lucid.zeros(1e10, 1e10) end, "^.-zeros: too many elements")
    raises(function() return lucid.full({ -2 }, 1) end, "^.-full: size %-2")
  end)
end)

describe("shape mismatches", function()
  it("broadcasting", function()
    raises(function() return x23() + lucid.ones(4, 3, H.F64) end, "add: shapes %(2, 3%) and %(4, 3%) cannot be broadcast")
    raises(function() return lucid.ones(2, 3, 4) - lucid.ones(5, 3, 1) end, "sub: shapes %(2, 3, 4%) and %(5, 3, 1%) cannot be broadcast")
    raises(function() return x23():eq(lucid.ones(2, H.F64)) end, "eq: shapes %(2, 3%) and %(2,?%) cannot be broadcast")
    raises(function() return x23():add_(lucid.ones(3, 3, H.F64)) end, "add_?: .*%(3, 3%)")
    raises(function() return x23():mul_(lucid.ones(1, 2, 3, H.F64)) end, "mul_?: .*%(1, 2, 3%) cannot be broadcast")
    raises(function() return x23():copy_(lucid.ones(4, H.F64)) end, "copy_:")
  end)

  it("matmul", function()
    raises(function() return lucid.matmul(lucid.zeros(2, 3), lucid.zeros(2, 3)) end,
      "matmul: shapes %(2, 3%) and %(2, 3%) cannot be multiplied %(3 != 2%)")
    raises(function() return lucid.matmul(lucid.zeros(3), lucid.zeros(4)) end, "matmul: shapes %(3,?%) and %(4,?%) cannot be multiplied")
    raises(function() return lucid.matmul(lucid.zeros(2, 2, 3), lucid.zeros(3, 3, 2)) end, "matmul: batch dimensions")
    raises(function() return lucid.matmul(lucid.tensor(1.0), lucid.zeros(3)) end, "matmul: both arguments need at least 1 dimension")
  end)

  it("view with the wrong element count", function()
    raises(function() return x23():view(4) end, "view: shape %(4,?%) is invalid for a tensor of 6 elements %(shape %(2, 3%)%)")
    raises(function() return x23():reshape(5) end, "reshape: shape %(5,?%) is invalid for a tensor of 6 elements")
    raises(function() return x23():view(4, -1) end, "view: shape %(4, %-1%) is invalid for a tensor of 6 elements")
    raises(function() return x23():t():view(6) end, "view: the tensor's strides are incompatible with shape %(6,?%); use reshape")
  end)

  it("joining and backward", function()
    raises(function() return lucid.cat({ x23(), lucid.ones(2, 4, H.F64) }, 1) end, "cat: sizes of tensors must match")
    raises(function() return lucid.cat({}, 1) end, "cat: expected a non%-empty list of tensors")
    raises(function() return lucid.stack({ lucid.ones(2), lucid.ones(3) }) end, "stack: expected each tensor to be equal size")
    local x = lucid.ones(2, { requires_grad = true })
    raises(function() (x * 2):backward() end, "backward: grad can be implicitly created only for scalar outputs")
    raises(function() (x * 2):backward(lucid.ones(3)) end, "backward: grad has shape %(3,?%), expected %(2,?%)")
    raises(function() x23():backward() end, "backward: tensor 1 does not require grad")
  end)
end)

describe("dims and indices", function()
  it("index 0 and out of range", function()
    local x = lucid.zeros(5, 3)
    raises(function() return x[0] end, "index: index 0 out of range for dim 1 of size 5")
    raises(function() return x[6] end, "index: index 6 out of range for dim 1 of size 5")
    raises(function() return x[-6] end, "index: index %-6 out of range")
    raises(function() x[0] = 1 end, "index: index 0 out of range")
    raises(function() return x:select(2, 4) end, "select: index 4 out of range for dim 2 of size 3")
    raises(function() return x:select(1, 0) end, "select: index 0 out of range")
    raises(function() return x:narrow(1, 0, 1) end, "narrow: start 0 out of range")
    raises(function() return lucid.tensor(1.0)[1] end, "index: cannot index a 0%-dim tensor")
  end)

  it("dims out of range name the function", function()
    local x = lucid.zeros(5, 3)
    for _, name in ipairs({ "sum", "mean", "max", "min", "argmax", "softmax", "log_softmax", "squeeze", "size" }) do
      raises(function() return x[name](x, 3) end, name .. ": dim 3 out of range for a 2%-D tensor %(expected 1 to 2, or %-2 to %-1%)")
      raises(function() return x[name](x, 0) end, name .. ": dim 0 out of range")
    end
    raises(function() return x:transpose(1, 3) end, "transpose: dim 3 out of range")
    raises(function() return x:unsqueeze(4) end, "unsqueeze: dim 4 out of range")
    raises(function() return x:permute(1, 3) end, "permute: dim 3 out of range")
    raises(function() return x:permute(1) end, "permute: expected 2 dims for a 2%-D tensor, got 1")
    raises(function() return lucid.cat({ x, x }, 3) end, "cat: dim 3 out of range")
    raises(function() return lucid.stack({ x, x }, 4) end, "stack: dim 4 out of range")
    raises(function() return x:split(1, 3) end, "split: dim 3 out of range")
    raises(function() return x:t():t():softmax() end, "softmax: dim is required")
  end)

  it("dims in error messages are 1-based", function()
    raises(function() return lucid.ones(2, 3) + lucid.ones(4, 3) end, "dim 1: 2 vs 4")
    raises(function() return lucid.ones(2, 3):narrow(2, 3, 2) end, "of dim 2")
    raises(function() return lucid.cat({ lucid.ones(2, 3), lucid.ones(2, 4) }, 1) end, "except in dim 1")
    raises(function() return lucid.ones(2, 3):permute(1, 1) end, "dim 1 appears twice")
    raises(function() return lucid.ones(2, 3):expand(3, 3) end, "expand: .*%(dim 1: 2 to 3%)")
    raises(function() return lucid.zeros(2, 0):max(2) end, "max: cannot reduce over dim 2 of size 0")
    raises(function() return lucid.stack({ lucid.ones(2), lucid.ones(2), lucid.ones(3) }) end,
      "stack: .*%(2%) at entry 1 and %(3%) at entry 3")
    raises(function() return lucid.cat({ lucid.ones(2, 3), lucid.ones(2, 3), lucid.ones(2) }) end,
      "cat: .*tensor 3 has 1, expected 2")
  end)
end)

describe("dtypes", function()
  it("unknown dtypes are errors naming the function", function()
    raises(function() return lucid.zeros(2, { dtype = "float16" }) end, "zeros: dtype must be lucid.float32, lucid.float64, lucid.int64 or lucid.bool, got float16")
    raises(function() return lucid.tensor({ 1 }, { dtype = "half" }) end, "tensor: dtype must be .* got half")
    raises(function() return x23():to("bogus") end, "to: dtype must be .* got bogus")
    raises(function() return x23():to(42) end, "to: dtype must be .* got 42")
    raises(function() return lucid.arange(0, 3, { dtype = {} }) end, "arange: dtype must be")
    raises(function() return lucid.eye(2, { dtype = "int32" }) end, "eye: dtype must be .* got int32")
    raises(function() return lucid.rand(2, { dtype = lucid.int64 }) end, "rand: dtype must be a floating point type, got int64")
  end)
end)

describe("memory", function()
  it("an allocation too large for memory is a Lua error mentioning memory", function()
    local before = lucid.live_bytes()
    raises(function() return lucid.zeros(1000000, 1000000, 1000000) end, "memory")
    raises(function() return lucid.zeros(1000000, 1000000) end, "out of memory")
    raises(function() return lucid.ones(1000000000000) end, "out of memory")
    raises(function() return lucid.randn(4000000000000) end, "out of memory")
    raises(function() return lucid.full({ 4000000000000 }, 1) end, "out of memory")
    raises(function() return lucid.zeros(1 << 62, 4) end, "too many elements")
    raises(function() return lucid.zeros(1 << 40, 1 << 40) end, "too many elements")
    collectgarbage()
    assert.is_true(lucid.live_bytes() <= before + 4096)
    -- still works afterwards
    assert.are.equal(6, lucid.ones(2, 3):sum():item())
  end)

  it("out-of-memory errors name the function", function()
    raises(function() return lucid.zeros(1000000, 1000000) end, "^.-zeros: .*memory")
    raises(function() return lucid.randn(4000000000000) end, "^.-randn: .*memory")
    raises(function() return lucid.ones(1000000000000) end, "^.-ones: out of memory allocating a tensor of 4000000000000 bytes")
    raises(function() return lucid.full({ 4000000000000 }, 1) end, "^.-full: out of memory")
    raises(function() return lucid.eye(1000000) end, "^.-eye: out of memory")
    raises(function() return lucid.arange(0, 1e13, 1.0) end, "^.-arange: out of memory")
  end)

  it("lucid.zeros(1e6, 1e6, 1e6) raises an out-of-memory error", function()
    raises(function() return lucid.zeros(1e6, 1e6, 1e6) end, "zeros", "memory")
  end)
end)

-- Faults an outside fuzzing run found (issue 12): each was a crash, a hang or a
-- wrong result before, and is a named error or a right result now.
describe("faults found by fuzzing", function()
  local function lying_len(n) return setmetatable({}, { __len = function() return n end }) end

  it("a size list whose __len is negative or huge is refused, not read", function()
    raises(function() return lucid.randn(1):view(lying_len(-1)) end,
      "view: the size list must have 0 to 8 entries, got a length of %-1")
    raises(function() return lucid.randn(1):view(lying_len(1 << 32)) end,
      "view: the size list must have 0 to 8 entries, got a length of 4294967296")
    raises(function() return lucid.zeros(lying_len(-5)) end, "zeros: the size list")
    raises(function() return lucid.cat(lying_len(-1)) end, "cat: the list of tensors must have 0 to")
  end)

  it("size products that overflow are refused in views and in creation", function()
    raises(function() return lucid.randn(1):view(math.maxinteger, math.maxinteger) end,
      "view: shape %(9223372036854775807, 9223372036854775807%) is invalid for a tensor of 1 elements")
    raises(function() return lucid.randn(1):view(-1, math.maxinteger, math.maxinteger) end, "view: shape")
    raises(function() return lucid.randn(1):reshape(1 << 32, 1 << 32, 0) end, "reshape")
    raises(function() return lucid.zeros(0, 1 << 40, 1 << 40) end, "zeros: too many elements")
    raises(function() return lucid.randn(4):expand(1 << 62, 1 << 62, 4) end, "too many elements")
  end)

  it("a partial overlap of source and destination is PyTorch's error; exact aliasing works", function()
    local msg = "some elements of the input tensor and the written%-to tensor refer to a single memory location"
    local a = lucid.arange(10):double()
    raises(function() a:narrow(1, 2, 8):copy_(a:narrow(1, 1, 8)) end, "copy_: unsupported operation: " .. msg)
    local m = lucid.arange(16):double():view(4, 4)
    raises(function() m:copy_(m:t()) end, "copy_: unsupported operation: " .. msg)
    raises(function() a:narrow(1, 1, 5):add_(a:narrow(1, 3, 5)) end, "add_: unsupported operation: " .. msg)
    raises(function() a:narrow(1, 2, 5):mul_(a:narrow(1, 1, 5)) end, "mul_: unsupported operation: " .. msg)
    -- nothing was written by the refused calls
    assert.are.same({ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, a:tolist())
    -- exact aliasing, disjoint views of one storage and interleaved columns are fine
    local x = lucid.arange(5):double()
    x:add_(x)
    assert.are.same({ 0, 2, 4, 6, 8 }, x:tolist())
    x:copy_(x)
    assert.are.same({ 0, 2, 4, 6, 8 }, x:tolist())
    a:narrow(1, 1, 5):add_(a:narrow(1, 6, 5))
    assert.are.same({ 5, 7, 9, 11, 13, 5, 6, 7, 8, 9 }, a:tolist())
    m:select(2, 1):copy_(m:select(2, 2))
    assert.are.same({ 1, 1, 2, 3 }, m[1]:tolist())
  end)
end)

describe("int64 arithmetic (issue 12)", function()
  local function z() return lucid.zeros(1, { dtype = lucid.int64 }) end

  it("keeps Lua integers exact: they never pass through a double", function()
    assert.are.equal(math.maxinteger, (z() + math.maxinteger):item())
    assert.are.equal((1 << 53) + 1, (z() + ((1 << 53) + 1)):item())
    assert.are.equal(math.maxinteger, (math.maxinteger - z()):item())
    assert.are.equal(math.maxinteger, lucid.full({ 2 }, math.maxinteger)[2]:item())
    local x = z()
    x:fill_(math.mininteger)
    assert.are.equal(math.mininteger, x:item())
    x[1] = (1 << 62) + 1
    assert.are.equal((1 << 62) + 1, x:item())
    x[1] = math.maxinteger
    assert.are.equal(math.maxinteger, x:item())
    assert.are.equal((1 << 53) + 3, (z():add((1 << 53) + 1, { alpha = 1 }) + 2):item())
  end)

  it("overflow wraps, as in PyTorch", function()
    assert.are.equal(math.mininteger, (lucid.full({ 1 }, math.maxinteger) + 1):item())
    assert.are.equal(math.mininteger, (lucid.full({ 1 }, math.mininteger) * -1):item())
  end)

  it("an int64 tensor with a Lua float gives float32, as with a Python float", function()
    assert.are.equal(lucid.float32, (z() * 2.0).dtype)
    assert.are.equal(lucid.float32, (2.5 + z()).dtype)
    assert.are.equal(lucid.int64, (z() * 2).dtype)
    assert.are.equal(lucid.float64, (lucid.zeros(1, { dtype = lucid.float64 }) * 2).dtype)
  end)

  it("refuses float values that int64 cannot hold", function()
    raises(function() return lucid.full({ 1 }, 1e300, { dtype = lucid.int64 }) end, "full: 1e%+300 cannot be converted to int64")
    raises(function() return lucid.tensor({ 0 / 0 }):long() end, "to: .*cannot be converted to int64")
    raises(function() return lucid.tensor({ 1, math.huge }):to(lucid.int64) end, "cannot be converted to int64")
    raises(function() z():copy_(lucid.tensor({ 2 ^ 63 })) end, "copy_: .*cannot be converted to int64")
    raises(function() return lucid.tensor({ 1e19 }, { dtype = lucid.int64 }) end, "cannot be converted to int64")
    raises(function() return lucid.arange(0, 1e300, 1e280) end, "arange: .* too large")
    -- the largest values that fit still convert
    assert.are.equal(-(1 << 62), lucid.tensor({ -(2.0 ^ 62) }, { dtype = lucid.float64 }):long():item())
  end)

  it("split by a huge size gives one piece instead of overflowing", function()
    local parts = lucid.arange(5):split(math.maxinteger)
    assert.are.equal(1, #parts)
    assert.are.same({ 0, 1, 2, 3, 4 }, parts[1]:tolist())
  end)
end)

describe("modes and threads (issue 12)", function()
  it("no_grad without a function is refused: a dropped guard would leave grad mode off", function()
    raises(function() return lucid.no_grad() end, "no_grad: argument 1 must be a function .*got no value")
    raises(function() return lucid.enable_grad(nil) end, "enable_grad: argument 1 must be a function .*got nil")
    assert.is_true(lucid.is_grad_enabled())
  end)

  it("set_num_threads accepts 1 to 64 and refuses the rest by value", function()
    local was = lucid.get_num_threads()
    raises(function() lucid.set_num_threads(0) end, "set_num_threads: n must be between 1 and 64, got 0")
    raises(function() lucid.set_num_threads(65) end, "got 65")
    raises(function() lucid.set_num_threads(2 ^ 31) end, "got 2147483648")
    raises(function() lucid.set_num_threads(math.mininteger) end, "got %-9223372036854775808")
    raises(function() lucid.set_num_threads(1e9) end, "got 1000000000")
    assert.are.equal(was, lucid.get_num_threads())
    lucid.set_num_threads(3)
    assert.are.equal(3, lucid.get_num_threads())
    lucid.set_num_threads(was)
  end)

  it("PackedSequence:to('cpu') returns the sequence, as PyTorch", function()
    local nn = require("nn")
    local p = nn.utils.rnn.pack_sequence({ lucid.randn(3, 2), lucid.randn(2, 2) })
    assert.are.equal(p, p:to("cpu"))
  end)
end)

describe("files that are not save files (issue 12)", function()
  it("lucid.load of a device says so, instead of 'the file is empty' or reading forever", function()
    raises(function() return lucid.load("/dev/zero") end,
      "lucid.load: '/dev/zero': is not a regular file %(a device, a pipe or a socket%)")
    raises(function() return lucid.load("/dev/urandom") end, "is not a regular file")
  end)

  it("lucid.save refuses to replace a device or a directory", function()
    raises(function() lucid.save({ 1 }, "/dev/null") end,
      "lucid.save: '/dev/null' is not a regular file %(a directory, a device or a pipe%)")
    raises(function() lucid.save({ 1 }, ".") end, "lucid.save: '.' is not a regular file")
  end)

  it("tolist of an empty tensor with 2^31 rows is an error, not 2^31 tables", function()
    raises(function() return lucid.zeros(2 ^ 31, 0):tolist() end,
      "tolist: a tensor of shape %(2147483648, 0%) would make more than 2147483647 Lua tables")
    assert.are.same({ {}, {}, {} }, lucid.zeros(3, 0):tolist())
  end)
end)

describe("messages that named nothing (issue 12)", function()
  local nn = require("nn")

  it("too many positionals before an options table names the function", function()
    local x = lucid.randn(2, 3)
    raises(function() return x:softmax(1, 2, {}) end, "softmax: expected at most 2 arguments before the options table, got 3")
    raises(function() return x:log_softmax(1, 2, {}) end, "log_softmax: expected at most 2")
    raises(function() return x:squeeze(1, 2, {}) end, "squeeze: expected at most 2")
    raises(function() return x:unsqueeze(1, 2, {}) end, "unsqueeze: expected at most 2")
    raises(function() return lucid.cat({ x, x }, 1, 2, {}) end, "cat: expected at most 2")
    raises(function() return lucid.stack({ x, x }, 1, 2, {}) end, "stack: expected at most 2")
  end)

  it("gradcheck, apply, register_parameter and the cell methods check their arguments", function()
    raises(function() return lucid.autograd.gradcheck() end, "gradcheck: fn must be a function, got nil")
    raises(function() return lucid.autograd.gradcheck(function(x) return x end, 5) end,
      "gradcheck: inputs must be a tensor or a list of tensors, got number")
    raises(function() return lucid.autograd.gradcheck(function(x) return x end, {}, { eps = "a" }) end,
      "gradcheck: eps must be a non%-negative number, got a")
    local m = nn.Linear(2, 2)
    raises(function() m:apply(5) end, "Linear: apply: fn must be a function, got number")
    raises(function() m:register_parameter() end, "Linear: register_parameter: name must be a non%-empty string")
    raises(function() m:register_buffer("a.b", lucid.ones(1)) end, "register_buffer: name must be")
    local c = nn.GRUCell(2, 3)
    raises(function() c:step() end, "GRUCell: step%(input, h0 %[, c0%]%) takes")
    raises(function() c:init_cell(5) end, "GRUCell: init_cell%(args, cell%) takes")
    -- a bad state, through the public call
    raises(function() c(lucid.randn(2, 2), 5) end, "GRUCell: hx must be a tensor, got number")
    raises(function() c(lucid.randn(2, 2), lucid.zeros(2, 4)) end, "GRUCell: hx has shape %(2, 4%), expected %(2, 3%)")
    raises(function() c(lucid.randn(2), lucid.zeros(1, 3)) end,
      "GRUCell: hx has shape %(1, 3%), expected %(3%) for an unbatched input")
  end)

  it("index 0 as a class target or an embedding index says that indices are 1-based", function()
    raises(function() return nn.functional.cross_entropy(lucid.randn(2, 3), lucid.tensor({ 0, 1 })) end,
      "cross_entropy: target 0 is out of range for 3 classes %(indices are 1%-based: the first is 1%)")
    raises(function() return nn.Embedding(3, 2)(lucid.tensor({ 0 })) end,
      "Embedding: index 0 is out of range for num_embeddings 3 %(indices are 1%-based")
    -- other out-of-range indices keep the plain message
    local err = raises(function() return nn.Embedding(3, 2)(lucid.tensor({ 4 })) end, "index 4 is out of range")
    assert.is_nil(err:find("1-based", 1, true))
  end)
end)

describe("indices are checked by the kernels that read them (issue 11)", function()
  local nn = require("nn")

  it("an index 0 says that indices are 1-based, whichever op reads it", function()
    local x = lucid.randn(3, 4)
    raises(function() return x:index_select(1, lucid.tensor({ 0 })) end,
      "^[^:]*:%d+: index_select: index 0 is out of range for dim 1 of size 3 %(indices are 1%-based: the first is 1%)")
    raises(function() return x:gather(2, lucid.tensor({ { 0 } })) end,
      "gather: index 0 is out of range for dim 2 of size 4 %(indices are 1%-based")
    raises(function() return nn.functional.nll_loss(x, lucid.tensor({ 1, 0, 2 })) end,
      "nll_loss: target 0 is out of range for 4 classes %(indices are 1%-based")
  end)

  it("max's indices are the ones its backward reads: changing them in place is refused, as in PyTorch", function()
    local x = lucid.tensor({ { 1, 5, 2 }, { 7, 0, 3 } }, { dtype = lucid.float64, requires_grad = true })
    local v, i = x:max(2)
    assert.are.same({ 2, 1 }, i:tolist())
    i:add_(1)
    raises(function() v:sum():backward() end, "modified by an in%-place operation")
    local v2, i2 = x:max(2)
    v2:sum():backward()
    assert.are.same({ { 0, 1, 0 }, { 1, 0, 0 } }, x.grad:tolist())
    assert.are.same({ 2, 1 }, i2:tolist())
  end)
end)
