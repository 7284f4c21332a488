-- Activation modules (nn.GELU ... nn.GLU) against PyTorch
-- (tests/fixtures/activations.lua): outputs, input gradients, PReLU's weight
-- gradient, and printing; inplace forms, gradchecks and misuse.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("activations")

local function build(case)
  return assert(load("local nn = ...; return nn." .. case.module .. "(" .. case.args .. ")"))(nn)
end

describe("activation modules match PyTorch", function()
  it("covers every module in both dtypes", function()
    assert.are.equal(38, #cases)
  end)
  for _, case in ipairs(cases) do
    local label = string.format("%s(%s) %s", case.module, case.args, case.input.dtype)
    it(label, function()
      local m = build(case)
      local dt = lucid[case.input.dtype]
      if dt == lucid.float64 then m:double() end
      assert.are.equal(case.repr, tostring(m))
      if case.weight then m.weight.data = H.tensor_from_fixture(case.weight) end
      local x = H.tensor_from_fixture(case.input, { requires_grad = true })
      local y = m(x)
      H.assert_close(y, case.out, nil, nil, label .. " output")
      y:backward(H.tensor_from_fixture(case.gout))
      -- PyTorch 1.13's hardsigmoid backward uses 1/6 rounded to float32 even
      -- in float64; lucid's is exact, so that comparison is to float32 precision
      local rtol = case.module == "Hardsigmoid" and case.input.dtype == "float64" and 1e-7 or nil
      H.assert_close(x.grad, case.gin, rtol, rtol and 1e-8, label .. " input gradient")
      if case.gweight then H.assert_close(m.weight.grad, case.gweight, nil, nil, label .. " weight gradient") end
    end)
  end
end)

describe("activation modules", function()
  it("write into their input with inplace = true", function()
    local x = lucid.tensor({ -1.0, 2.0 })
    local y = nn.ELU({ alpha = 1.0, inplace = true })(x)
    assert.are.equal(x, y)
    assert.is_true(math.abs(x[1]:item() - (math.exp(-1) - 1)) < 1e-6)
  end)

  it("pass a float64 gradcheck where they hold parameters or split inputs", function()
    local x = lucid.randn(3, 4, { dtype = lucid.float64, requires_grad = true })
    local p = nn.PReLU(4, { dtype = lucid.float64 })
    assert.is_true(lucid.autograd.gradcheck(function(a, w) return nn.functional.prelu(a, w) end, { x, p.weight }))
    assert.is_true(lucid.autograd.gradcheck(function(a) return nn.functional.glu(a, 2) end, { x }))
    assert.is_true(lucid.autograd.gradcheck(function(a) return nn.functional.softmin(a, 1) end, { x }))
  end)

  it("keep PReLU's weight in the state_dict", function()
    local a, b = nn.PReLU(3, 0.1), nn.PReLU(3)
    b:load_state_dict(a:state_dict())
    for _, v in ipairs(b.weight:tolist()) do assert.is_true(math.abs(v - 0.1) < 1e-7) end
  end)

  it("name the module and the argument on misuse", function()
    assert.has_error(function() nn.GELU{ approximate = "fast" } end,
      "GELU: approximate must be 'none' or 'tanh', got 'fast'")
    assert.has_error(function() nn.GLU()(lucid.randn(2, 3)) end, "glu: halving dim -1 needs an even size, got 3")
    assert.has_error(function() nn.PReLU(3)(lucid.randn(2, 4)) end,
      "prelu: weight has 3 parameters, expected 1 or the input's 4 channels (dim 2)")
    assert.has_error(function() nn.LeakyReLU("steep") end, "LeakyReLU: negative_slope must be a number, got 'steep'")
  end)
end)
