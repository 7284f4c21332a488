-- nn.utils.clip_grad_norm_ / clip_grad_value_ against PyTorch 1.13
-- (tests/fixtures/optim.lua, cases of kind "clip", made by gen_optim.py).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("optim", "clip")

local function params_with_grads(case)
  local ps = {}
  for i, spec in ipairs(case.grads) do
    local g = H.tensor_from_fixture(spec)
    ps[i] = lucid.zeros(g.shape, { dtype = g.dtype, requires_grad = true })
    ps[i].grad = g
  end
  return ps
end

local function close_number(actual, expected, dtype)
  local rtol, atol = H.tol(dtype)
  assert.is_true(math.abs(actual - expected) <= atol + rtol * math.abs(expected),
    string.format("expected %.17g, got %.17g", expected, actual))
end

describe("nn.utils.clip_grad_* match PyTorch", function()
  assert.is_true(#cases > 0)
  for _, case in ipairs(cases) do
    it(case.name, function()
      local ps = params_with_grads(case)
      if case.fn == "norm" then
        local nt = case.norm_type == "inf" and math.huge or case.norm_type
        local total = nn.utils.clip_grad_norm_(ps, case.max_norm, nt)
        assert.are.equal("number", type(total))
        close_number(total, case.total_norm, case.dtype)
      else
        assert.is_nil(nn.utils.clip_grad_value_(ps, case.clip_value))
      end
      for i, p in ipairs(ps) do H.assert_close(p.grad, case.expected[i], nil, nil, "grad " .. i) end
    end)
  end
end)

local function param(grad)
  local g = lucid.tensor(grad, { dtype = lucid.float64 })
  local p = lucid.zeros(g.shape, { dtype = lucid.float64, requires_grad = true })
  p.grad = g
  return p
end

describe("nn.utils.clip_grad_norm_", function()
  it("scales by max_norm / (total + 1e-6) only when the total exceeds max_norm", function()
    local p = param({ 3, 4 })
    assert.are.equal(5, nn.utils.clip_grad_norm_(p, 10))
    assert.are.same({ 3, 4 }, p.grad:tolist())
    assert.are.equal(5, nn.utils.clip_grad_norm_(p, 1))
    H.assert_close(p.grad, lucid.tensor({ 3, 4 }, { dtype = lucid.float64 }) * (1 / (5 + 1e-6)))
  end)

  it("accepts the options forms and 'inf'", function()
    local p, q = param({ 3, -4 }), param({ 1 })
    assert.are.equal(4, nn.utils.clip_grad_norm_({ p, q }, 100, "inf"))
    assert.are.equal(4, nn.utils.clip_grad_norm_({ p, q }, 100, { norm_type = math.huge }))
    assert.are.equal(8, nn.utils.clip_grad_norm_{ parameters = { p, q }, max_norm = 100, norm_type = 1 })
    assert.are.equal(8, nn.utils.clip_grad_norm_({ p, q }, 100, 1, { error_if_nonfinite = true }))
    assert.are.equal(2, nn.utils.clip_grad_norm_({ p, q }, 100, 0)) -- two tensors with nonzero norm
  end)

  it("skips parameters without gradients and returns 0 when none has one", function()
    local p = param({ 3, 4 })
    local bare = lucid.zeros(2, { requires_grad = true })
    assert.are.equal(5, nn.utils.clip_grad_norm_({ bare, p }, 10))
    assert.are.equal(0, nn.utils.clip_grad_norm_({ bare }, 1))
    assert.is_nil(bare.grad)
  end)

  it("works on a model after backward, without recording autograd", function()
    lucid.manual_seed(3)
    local m = nn.Linear(5, 4)
    local loss = m(lucid.randn(8, 5)):sum() * 100
    loss:backward()
    local total = nn.utils.clip_grad_norm_(m:parameters(), 0.5)
    assert.is_true(total > 0.5)
    local after = nn.utils.clip_grad_norm_(m:parameters(), 1e9)
    assert.is_true(math.abs(after - 0.5) < 1e-5, "clipped norm was " .. after)
    assert.is_nil(m.weight.grad.grad_fn)
  end)

  it("raises on a non-finite total only with error_if_nonfinite", function()
    local p = param({ 1, 1 / 0 })
    assert.has_error(function() nn.utils.clip_grad_norm_(p, 1, 2, { error_if_nonfinite = true }) end,
      "clip_grad_norm_: the total norm of order 2 for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set error_if_nonfinite = false")
    -- as PyTorch: scaled by max_norm / inf = 0 (inf * 0 is nan)
    assert.are.equal(math.huge, nn.utils.clip_grad_norm_(p, 1))
    local g = p.grad:tolist()
    assert.are.equal(0, g[1])
    assert.is_true(g[2] ~= g[2])
  end)

  local errors = {
    { function() nn.utils.clip_grad_norm_(5, 1) end, "clip_grad_norm_: parameters must be a tensor or an array of tensors, got number" },
    { function() nn.utils.clip_grad_norm_({ 5 }, 1) end, "clip_grad_norm_: parameter 1 must be a tensor, got number" },
    { function() nn.utils.clip_grad_norm_({}, "x") end, "clip_grad_norm_: max_norm must be a number, got string" },
    { function() nn.utils.clip_grad_norm_({}, 1, -1) end, "clip_grad_norm_: norm_type must be a number >= 0, math.huge or 'inf', got -1" },
    { function() nn.utils.clip_grad_norm_({}, 1, 2, { error_if_nonfinite = 1 }) end, "clip_grad_norm_: error_if_nonfinite must be a boolean, got number" },
    { function() nn.utils.clip_grad_norm_({}, 1, { bogus = 1 }) end, "clip_grad_norm_: unknown option 'bogus'" },
    { function() nn.utils.clip_grad_value_({}, "x") end, "clip_grad_value_: clip_value must be a number, got string" },
    { function() nn.utils.clip_grad_value_({}, -1) end, "clip_grad_value_: clip_value must be >= 0, got -1" },
    { function() nn.utils.clip_grad_value_(true, 1) end, "clip_grad_value_: parameters must be a tensor or an array of tensors, got boolean" },
  }
  for _, e in ipairs(errors) do
    it("rejects bad arguments: " .. e[2], function()
      local ok, msg = pcall(e[1])
      assert.is_false(ok)
      assert.truthy(tostring(msg):find(e[2], 1, true), "message was: " .. tostring(msg))
    end)
  end
end)

describe("nn.utils.clip_grad_value_", function()
  it("clamps gradients in place to [-clip_value, clip_value]", function()
    local p, q = param({ -3, 0.5, 2 }), param({ { 1.5 } })
    local g = p.grad
    nn.utils.clip_grad_value_({ p, q }, 1)
    assert.are.same({ -1, 0.5, 1 }, p.grad:tolist())
    assert.are.same({ -1, 0.5, 1 }, g:tolist()) -- the same gradient tensor
    assert.are.same({ { 1 } }, q.grad:tolist())
    nn.utils.clip_grad_value_{ parameters = p, clip_value = 0.25 }
    assert.are.same({ -0.25, 0.25, 0.25 }, p.grad:tolist())
  end)
end)

describe("clip_grad arguments", function()
  it("refuse extra positional values", function()
    local p = lucid.ones(2, { requires_grad = true })
    p.grad = lucid.ones(2)
    assert.matches("clip_grad_norm_: expected at most 4 positional arguments, got 5",
      H.err_of(nn.utils.clip_grad_norm_, { p }, 1, 2, false, 99))
  end)
end)
