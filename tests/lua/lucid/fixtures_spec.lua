-- Tensor operations against PyTorch reference values (tests/fixtures/tensor_ops.lua,
-- made by tests/fixtures/gen/gen_tensor.py). Fixture dims and indices are PyTorch's
-- 0-based ones; lucid's are 1-based.
local lucid = require("lucid")
local H = require("helpers")

local cases = H.load_fixture("tensor_ops")

local function inputs_of(case)
  local xs = {}
  for i, spec in ipairs(case.inputs) do xs[i] = H.tensor_from_fixture(spec) end
  return xs
end

local function dim_text(case)
  if case.dim == nil then return "over all elements" end
  return string.format("over dim %d (keepdim=%s)", H.lua_dim(case.dim), tostring(case.keepdim or false))
end

local function last_two_transposed(x)
  local d = x:dim()
  return x:transpose(d - 1, d)
end

-- op -> {describe = function(case) -> text, check = function(case, inputs)}
local ops = {}

ops.matmul = {
  describe = function(c)
    local t = c.transpose or {}
    return string.format("matmul of %s%s and %s%s equals PyTorch's",
      H.shape_str(c.inputs[1].shape), t[1] and " transposed" or "",
      H.shape_str(c.inputs[2].shape), t[2] and " transposed" or "")
  end,
  check = function(c, x)
    local a, b = x[1], x[2]
    local t = c.transpose or {}
    if t[1] then a = last_two_transposed(a) end
    if t[2] then b = last_two_transposed(b) end
    H.assert_close(lucid.matmul(a, b), c.expected[1], nil, nil, "lucid.matmul")
    H.assert_close(a:matmul(b), c.expected[1], nil, nil, "x:matmul")
  end,
}

for _, op in ipairs({ "sum", "mean" }) do
  ops[op] = {
    describe = function(c) return string.format("%s %s equals PyTorch's", op, dim_text(c)) end,
    check = function(c, x)
      local r
      if c.dim == nil then r = x[1][op](x[1]) else r = x[1][op](x[1], H.lua_dim(c.dim), c.keepdim) end
      H.assert_close(r, c.expected[1])
    end,
  }
end

for _, op in ipairs({ "max", "min" }) do
  ops[op] = {
    describe = function(c)
      if c.dim == nil then return string.format("%s over all elements equals PyTorch's", op) end
      return string.format("%s %s returns PyTorch's values and its indices plus one", op, dim_text(c))
    end,
    check = function(c, x)
      if c.dim == nil then
        H.assert_close(x[1][op](x[1]), c.expected[1])
      else
        local v, i = x[1][op](x[1], H.lua_dim(c.dim), c.keepdim)
        H.assert_close(v, c.expected[1], nil, nil, op .. " values")
        H.assert_close(i, H.shifted(c.expected[2], 1), nil, nil, op .. " indices (1-based)")
      end
    end,
  }
end

ops.argmax = {
  describe = function(c)
    return string.format("argmax %s returns PyTorch's index plus one", dim_text(c))
  end,
  check = function(c, x)
    local r
    if c.dim == nil then r = x[1]:argmax() else r = x[1]:argmax(H.lua_dim(c.dim), c.keepdim) end
    H.assert_close(r, H.shifted(c.expected[1], 1), nil, nil, "argmax (1-based)")
  end,
}

for _, op in ipairs({ "softmax", "log_softmax" }) do
  ops[op] = {
    describe = function(c)
      return string.format("%s over dim %d of %s equals PyTorch's", op, H.lua_dim(c.dim),
        H.shape_str(c.inputs[1].shape))
    end,
    check = function(c, x)
      H.assert_close(x[1][op](x[1], H.lua_dim(c.dim)), c.expected[1])
    end,
  }
end

for _, op in ipairs({ "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs" }) do
  ops[op] = {
    describe = function(c)
      return string.format("x:%s() equals PyTorch's elementwise %s", op, op)
    end,
    check = function(c, x) H.assert_close(x[1][op](x[1]), c.expected[1]) end,
  }
end

ops.neg = {
  describe = function() return "unary minus negates every element" end,
  check = function(c, x) H.assert_close(-x[1], c.expected[1]) end,
}

ops.pow = {
  describe = function(c)
    return string.format("x ^ %s and x:pow(%s) equal PyTorch's x ** %s", c.exponent, c.exponent, c.exponent)
  end,
  check = function(c, x)
    H.assert_close(x[1] ^ c.exponent, c.expected[1], nil, nil, "x ^ e")
    H.assert_close(x[1]:pow(c.exponent), c.expected[1], nil, nil, "x:pow(e)")
  end,
}

ops.pow_tensor = {
  describe = function(c)
    return string.format("tensor ^ tensor broadcasts %s with %s like PyTorch",
      H.shape_str(c.inputs[1].shape), H.shape_str(c.inputs[2].shape))
  end,
  check = function(c, x) H.assert_close(x[1] ^ x[2], c.expected[1]) end,
}

ops.clamp = {
  describe = function(c)
    return string.format("x:clamp(%s, %s) equals PyTorch's clamp", tostring(c.min), tostring(c.max))
  end,
  check = function(c, x) H.assert_close(x[1]:clamp(c.min, c.max), c.expected[1]) end,
}

local binops = {
  add = function(a, b) return a + b end,
  sub = function(a, b) return a - b end,
  mul = function(a, b) return a * b end,
  div = function(a, b) return a / b end,
}
local binsym = { add = "+", sub = "-", mul = "*", div = "/" }
for op, f in pairs(binops) do
  ops[op] = {
    describe = function(c)
      return string.format("%s %s %s broadcasts to PyTorch's result", H.shape_str(c.inputs[1].shape),
        binsym[op], H.shape_str(c.inputs[2].shape))
    end,
    check = function(c, x) H.assert_close(f(x[1], x[2]), c.expected[1]) end,
  }
end

ops.add_scalar = {
  describe = function(c) return string.format("x + %s and %s + x add a Lua number", c.scalar, c.scalar) end,
  check = function(c, x)
    H.assert_close(x[1] + c.scalar, c.expected[1], nil, nil, "x + s")
    H.assert_close(c.scalar + x[1], c.expected[1], nil, nil, "s + x")
  end,
}
ops.scalar_sub = {
  describe = function(c) return string.format("%s - x subtracts a tensor from a Lua number", c.scalar) end,
  check = function(c, x) H.assert_close(c.scalar - x[1], c.expected[1]) end,
}
ops.mul_scalar = {
  describe = function(c) return string.format("x * %s and %s * x multiply by a Lua number", c.scalar, c.scalar) end,
  check = function(c, x)
    H.assert_close(x[1] * c.scalar, c.expected[1], nil, nil, "x * s")
    H.assert_close(c.scalar * x[1], c.expected[1], nil, nil, "s * x")
  end,
}
ops.scalar_div = {
  describe = function(c) return string.format("%s / x divides a Lua number by a tensor", c.scalar) end,
  check = function(c, x) H.assert_close(c.scalar / x[1], c.expected[1]) end,
}
ops.div_scalar = {
  describe = function(c) return string.format("x / %s divides by a Lua number", c.scalar) end,
  check = function(c, x) H.assert_close(x[1] / c.scalar, c.expected[1]) end,
}

describe("tensor operations match PyTorch fixtures", function()
  it("the fixture file has cases and every case names a known operation", function()
    assert.is_true(#cases > 0)
    for _, c in ipairs(cases) do
      assert.is_not_nil(ops[c.op], "no check for op '" .. tostring(c.op) .. "' (case " .. c.name .. ")")
    end
  end)

  -- group cases by op, in fixture order
  local order, groups = {}, {}
  for _, c in ipairs(cases) do
    if not groups[c.op] then
      groups[c.op] = {}
      order[#order + 1] = c.op
    end
    table.insert(groups[c.op], c)
  end

  for _, op in ipairs(order) do
    describe(op, function()
      for _, c in ipairs(groups[op]) do
        local impl = ops[op]
        if impl then
          local dtype = c.inputs[1].dtype
          it(string.format("%s: %s for %s", c.name, impl.describe(c), dtype), function()
            impl.check(c, inputs_of(c))
          end)
        end
      end
    end)
  end
end)
