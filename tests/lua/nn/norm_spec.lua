-- Normalisation layers beyond the PyTorch fixtures (layers_fixture_spec.lua):
-- float64 gradchecks of the fused kernel through every functional form, the
-- running statistics of BatchNorm1d, and the errors.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local F = nn.functional
local gradcheck = lucid.autograd.gradcheck

local function r64(...)
  return lucid.randn({ ... }, { dtype = lucid.float64, requires_grad = true })
end

describe("normalisation gradcheck (float64)", function()
  it("layer_norm and rms_norm in input, weight and bias", function()
    lucid.manual_seed(1)
    local x, w, b = r64(3, 2, 4), r64(2, 4), r64(2, 4)
    assert.is_true(gradcheck(function(a, c, d) return F.layer_norm(a, { 2, 4 }, c, d) end, { x, w, b }))
    assert.is_true(gradcheck(function(a) return F.layer_norm(a, 4, nil, nil, 0.1) end, { x }))
    assert.is_true(gradcheck(function(a, c) return F.rms_norm(a, { 4 }, c[1]) end, { x, w }))
    assert.is_true(gradcheck(function(a) return F.rms_norm(a, { 2, 4 }) end, { x }))
  end)

  it("group_norm and batch_norm (training and eval)", function()
    lucid.manual_seed(2)
    local x, w, b = r64(3, 4, 5), r64(4), r64(4)
    assert.is_true(gradcheck(function(a, c, d) return F.group_norm(a, 2, c, d) end, { x, w, b }))
    assert.is_true(gradcheck(function(a, c, d) return F.batch_norm(a, nil, nil, c, d, true) end, { x, w, b }))
    local rm, rv = lucid.zeros(4, H.F64), lucid.ones(4, H.F64) * 2
    assert.is_true(gradcheck(function(a, c, d) return F.batch_norm(a, rm, rv, c, d) end, { x, w, b }))
  end)
end)

describe("normalised values", function()
  it("layer_norm rows have mean 0 and variance 1; rms_norm rows mean square 1", function()
    local x = lucid.randn(6, 8, { dtype = lucid.float64 }) * 3 + 5
    local y = F.layer_norm(x, 8, { eps = 0 })
    assert.is_true(y:mean(2):abs():max():item() < 1e-12)
    assert.is_true(((y * y):mean(2) - 1):abs():max():item() < 1e-12)
    local z = F.rms_norm(x, { 8 }, { eps = 0 })
    assert.is_true(((z * z):mean(2) - 1):abs():max():item() < 1e-12)
  end)

  it("BatchNorm1d: momentum moves the running statistics, false averages all batches", function()
    local x1 = lucid.tensor({ { 1, 2 }, { 3, 6 } }, H.F64)
    local x2 = lucid.tensor({ { 5, 0 }, { 7, 0 } }, H.F64)
    local bn = nn.BatchNorm1d(2, { momentum = false, dtype = lucid.float64 })
    bn(x1)
    bn(x2)
    -- the plain average of the batch means (2, 4) and (6, 0), and of the unbiased variances
    H.assert_close(bn.running_mean, lucid.tensor({ 4, 2 }, H.F64))
    H.assert_close(bn.running_var, lucid.tensor({ 2, 4 }, H.F64))
    assert.are.equal(2, bn.num_batches_tracked:item())
    local ema = nn.BatchNorm1d(2, { momentum = 0.5, dtype = lucid.float64 })
    ema(x1)
    H.assert_close(ema.running_mean, lucid.tensor({ 1, 2 }, H.F64))
    H.assert_close(ema.running_var, lucid.tensor({ 1.5, 4.5 }, H.F64))
    ema:eval()
    local y = ema(x1)
    H.assert_close(y, (x1 - ema.running_mean) / (ema.running_var + 1e-5):sqrt())
    H.assert_close(ema.running_mean, lucid.tensor({ 1, 2 }, H.F64)) -- eval leaves them
    ema:reset_running_stats()
    H.assert_close(ema.running_var, lucid.ones(2, H.F64))
  end)

  it("modules convert with :double() and round-trip their state", function()
    local ln = nn.LayerNorm({ 2, 3 }):double()
    assert.are.equal(lucid.float64, ln.weight.dtype)
    local bn = nn.BatchNorm1d(3)
    bn(lucid.randn(4, 3))
    local twin = nn.BatchNorm1d(3)
    twin:load_state_dict(bn:state_dict())
    H.assert_close(twin.running_mean, bn.running_mean)
    assert.are.equal(1, twin.num_batches_tracked:item())
  end)
end)

describe("normalisation errors", function()
  local x = lucid.randn(2, 3, 4)
  it("name the function or module, the argument and what was expected", function()
    H.raises(function() F.layer_norm(x, { 3 }) end,
      "layer_norm: normalized_shape (3) does not match the input's last dims (input (2, 3, 4))")
    H.raises(function() nn.LayerNorm(5)(x) end, "LayerNorm: normalized_shape (5) does not match")
    H.raises(function() F.layer_norm(x, 4, lucid.ones(3)) end,
      "layer_norm: weight has shape (3), expected normalized_shape (4)")
    H.raises(function() F.layer_norm(x, 4, lucid.ones(4, H.F64)) end,
      "layer_norm: weight has dtype float64, expected the input's float32")
    H.raises(function() F.layer_norm(x, "4") end, "layer_norm: normalized_shape must be an integer or a list")
    H.raises(function() F.layer_norm(x:long(), 4) end, "layer_norm: input must be a float32 or float64 tensor")
    H.raises(function() F.rms_norm(x, 4, nil, -1) end, "rms_norm: eps must be a number >= 0, got -1")
    H.raises(function() F.group_norm(x, 2) end,
      "group_norm: num_groups must be a positive integer dividing the 3 channels, got 2")
    H.raises(function() nn.GroupNorm(2, 5) end, "GroupNorm: num_channels 5 is not divisible by num_groups 2")
    H.raises(function() nn.GroupNorm(1, 4)(x) end, "GroupNorm: input has 3 channels, expected num_channels 4")
    H.raises(function() nn.BatchNorm1d(4)(x) end, "BatchNorm1d: input has 3 channels, expected num_features 4")
    H.raises(function() nn.BatchNorm1d(3)(lucid.randn(1, 3)) end,
      "BatchNorm1d: expected more than 1 value per channel when training, got input (1, 3)")
    H.raises(function() nn.BatchNorm1d(3, { momentum = "x" }) end,
      "BatchNorm1d: momentum must be a number or false")
    H.raises(function() F.batch_norm(x, nil, nil) end,
      "batch_norm: running_mean and running_var are needed when not training")
    H.raises(function() F.batch_norm(x, lucid.zeros(2), lucid.ones(3)) end,
      "batch_norm: running_mean has shape (2), expected (3) for 3 channels")
    H.raises(function() nn.BatchNorm1d(3)(lucid.randn(2, 3, 4, 5)) end, "BatchNorm1d: expected 2-D or 3-D input, got 4-D")
  end)
  it("a size list whose __len lies fails at its first non-integer instead of looping (hung before)", function()
    local liar = setmetatable({}, { __len = function() return 1e9 end })
    H.raises(function() nn.LayerNorm(liar) end,
      "LayerNorm: normalized_shape must be an integer or a list of integers, got table")
    H.raises(function() F.layer_norm(lucid.randn(2, 3), liar) end,
      "layer_norm: normalized_shape must be an integer or a list of integers, got table")
  end)
end)
