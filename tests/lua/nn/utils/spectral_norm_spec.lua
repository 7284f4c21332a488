-- nn.utils.spectral_norm / remove_spectral_norm against PyTorch 1.13
-- (tests/fixtures/nn_utils.lua, made by tests/fixtures/gen/gen_nn_utils.py). The
-- power iteration starts from PyTorch's random u and v, copied into the buffers.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local build = H.module_from_case

-- The module's output (a GRU's first result).
local function forward(m, _, x)
  local out = m(x)
  return out
end

describe("nn.utils.spectral_norm matches PyTorch", function()
  for _, case in ipairs(H.load_fixture("nn_utils", "spectral_norm")) do
    it(case.name .. ": outputs of two training forwards, gradients, u and v, the eval forward", function()
      local m = build(case)
      local p = case.param
      nn.utils.spectral_norm(m, { name = p, n_power_iterations = case.n_power_iterations, dim = case.dim + 1 })
      lucid.no_grad(function()
        m[p .. "_u"]:copy_(H.tensor_from_fixture(case.u0))
        m[p .. "_v"]:copy_(H.tensor_from_fixture(case.v0))
      end)
      local x
      for k = 1, 2 do
        x = H.tensor_from_fixture(case.x, { requires_grad = true })
        local out = forward(m, case, x)
        H.assert_close(out, case.outs[k], nil, nil, "training forward " .. k)
        if k == 2 then out:backward(H.tensor_from_fixture(case.gout)) end
      end
      -- grad_orig = g / sigma - (g . W) u v^T / sigma^2 cancels in places: in float32 it is
      -- compared relative to its largest element
      local want = H.tensor_from_fixture(case.grad_orig)
      local atol = case.dtype == "float32" and 1e-5 * want:abs():max():item() or nil
      H.assert_close(m[p .. "_orig"].grad, case.grad_orig, nil, atol)
      H.assert_close(x.grad, case.grad_x)
      H.assert_close(m[p .. "_u"], case.u)
      H.assert_close(m[p .. "_v"], case.v)
      m:eval()
      H.assert_close(lucid.no_grad(forward, m, case, H.tensor_from_fixture(case.x)), case.eval_out)
    end)
  end
end)

describe("nn.utils.spectral_norm", function()
  it("makes the largest singular value 1 and is removed again", function()
    local m = nn.Linear(5, 5, { dtype = lucid.float64 })
    nn.utils.spectral_norm(m, { n_power_iterations = 50 })
    m(lucid.zeros(1, 5, { dtype = lucid.float64 }))
    -- the power iteration's estimate of the new weight's norm: ||W v|| with v its top vector
    local v = m.weight_v
    local sigma = m.weight:matmul(v):pow(2):sum():sqrt():item()
    assert.is_true(math.abs(sigma - 1) < 1e-6, sigma)
    local names = {}
    for name in m:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "bias", "weight_orig" }, names)
    nn.utils.remove_spectral_norm(m)
    names = {}
    for name in m:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "bias", "weight" }, names)
    assert.is_nil(m._buffers.weight_u)
    H.raises(function() nn.utils.spectral_norm(m, { n_power_iterations = 0 }) end,
      "Expected n_power_iterations to be positive, but got n_power_iterations=0")
    H.raises(function() nn.utils.remove_spectral_norm(m) end, "spectral_norm of 'weight' not found in Linear")
  end)
end)
