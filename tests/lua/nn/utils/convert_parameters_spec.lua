-- nn.utils.parameters_to_vector / vector_to_parameters (torch.nn.utils.convert_parameters).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

describe("nn.utils.parameters_to_vector and vector_to_parameters", function()
  it("flatten the parameters in order and write a vector back", function()
    local m = nn.Linear(2, 3)
    local v = nn.utils.parameters_to_vector(m:parameters())
    assert.are.same({ 9 }, H.shape_of(v))
    local flat = m.weight:reshape(-1):tolist()
    for _, b in ipairs(m.bias:tolist()) do flat[#flat + 1] = b end
    assert.are.same(flat, v:tolist())
    nn.utils.vector_to_parameters(lucid.arange(1, 10):float(), m:parameters())
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, m.weight:tolist())
    assert.are.same({ 7, 8, 9 }, m.bias:tolist())
    assert.is_true(m.weight.requires_grad and m.weight.is_leaf)
  end)

  it("parameters_to_vector is differentiable", function()
    local p = lucid.ones(2, 2, { requires_grad = true })
    local v = nn.utils.parameters_to_vector({ p })
    local loss = (v * lucid.tensor({ 1.0, 2.0, 3.0, 4.0 })):sum()
    loss:backward()
    assert.are.same({ { 1, 2 }, { 3, 4 } }, p.grad:tolist())
  end)

  it("check their arguments", function()
    local m = nn.Linear(2, 3)
    H.raises(function() nn.utils.vector_to_parameters(lucid.zeros(8), m:parameters()) end,
      "vector_to_parameters: vec has 8 elements, the parameters 9")
    H.raises(function() nn.utils.vector_to_parameters(lucid.zeros(3, 3), m:parameters()) end,
      "vector_to_parameters: expected vec to be a 1-D tensor, got 2-D tensor")
    H.raises(function() nn.utils.parameters_to_vector(m) end,
      "parameters_to_vector: parameters must be a tensor or an array of tensors")
  end)
end)
