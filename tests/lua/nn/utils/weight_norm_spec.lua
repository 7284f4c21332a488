-- nn.utils.weight_norm / remove_weight_norm against PyTorch 1.13
-- (tests/fixtures/nn_utils.lua, made by tests/fixtures/gen/gen_nn_utils.py).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local build = H.module_from_case

describe("nn.utils.weight_norm matches PyTorch", function()
  for _, case in ipairs(H.load_fixture("nn_utils", "weight_norm")) do
    it(case.name .. ": g, v, the output and the gradients of g, v and the input", function()
      local m = build(case)
      local dim = false                                     -- PyTorch's dim=None
      if case.dim ~= "none" then dim = case.dim + 1 end     -- lucid dims are 1-based
      nn.utils.weight_norm(m, { name = case.param, dim = dim })
      H.assert_close(m[case.param .. "_g"], case.g)
      H.assert_close(m[case.param .. "_v"], case.v)
      local x = H.tensor_from_fixture(case.x, { requires_grad = true })
      local out = m(x)
      H.assert_close(out, case.out)
      out:backward(H.tensor_from_fixture(case.gout))
      H.assert_close(m[case.param .. "_g"].grad, case.grad_g)
      H.assert_close(m[case.param .. "_v"].grad, case.grad_v)
      H.assert_close(x.grad, case.grad_x)
    end)
  end
end)

describe("nn.utils.weight_norm", function()
  it("replaces the parameter by name_g and name_v, and remove_weight_norm restores it", function()
    local m = nn.Linear(4, 3, { dtype = lucid.float64 })
    local w = m.weight:clone()
    nn.utils.weight_norm(m)
    local names = {}
    for name in m:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "bias", "weight_g", "weight_v" }, names)
    assert.are.same({ 3, 1 }, H.shape_of(m.weight_g))
    H.assert_close(m.weight, w)                             -- the same weight to start with
    lucid.no_grad(function() m.weight_g:mul_(2) end)
    H.assert_close(m(lucid.ones(1, 4, { dtype = lucid.float64 })), lucid.ones(1, 4, { dtype = lucid.float64 }):matmul(w:t() * 2) + m.bias)
    nn.utils.remove_weight_norm(m)
    names = {}
    for name in m:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "bias", "weight" }, names)
    H.assert_close(m.weight, w * 2)
    assert.is_true(m.weight.requires_grad)
  end)

  it("checks its arguments", function()
    local m = nn.Linear(2, 2)
    H.raises(function() nn.utils.weight_norm(m, { name = "gain" }) end, "weight_norm: Linear has no parameter 'gain'")
    H.raises(function() nn.utils.weight_norm(m, { dim = 3 }) end, "weight_norm: dim must be false or a dim of weight's 2, got 3")
    nn.utils.weight_norm(m)
    H.raises(function() nn.utils.weight_norm(m) end, "cannot register two weight_norm hooks")
    H.raises(function() nn.utils.remove_weight_norm(nn.Linear(2, 2)) end, "remove_weight_norm: weight_norm of 'weight' not found in Linear")
  end)
end)
