-- Convolution, padding and pooling beyond the PyTorch fixtures
-- (layers_fixture_spec.lua): float64 gradchecks of each C kernel in every
-- configuration, shapes, module parameters, and the errors.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local F = nn.functional
local gradcheck = lucid.autograd.gradcheck

local function r64(...)
  return lucid.randn({ ... }, { dtype = lucid.float64, requires_grad = true })
end

describe("convolution gradcheck (float64)", function()
  it("conv1d: stride, padding, 'same', dilation, groups, bias; input, weight and bias", function()
    lucid.manual_seed(1)
    local x, w, b = r64(2, 4, 7), r64(6, 2, 3), r64(6)
    assert.is_true(gradcheck(function(a, c, d) return F.conv1d(a, c, d, 2, 1, 2, 2) end, { x, w, b }))
    assert.is_true(gradcheck(function(a, c, d)
      return F.conv1d(a, c, d, { padding = "same", dilation = 2, groups = 2 })
    end, { x, w, b }))
    local w4 = r64(3, 4, 2)
    assert.is_true(gradcheck(function(a, c) return F.conv1d(a, c, nil, { padding = "same" }) end, { x, w4 }))
  end)

  it("conv_transpose1d, and it is the adjoint of conv1d", function()
    lucid.manual_seed(2)
    local x, w, b = r64(2, 4, 5), r64(4, 3, 3), r64(6)
    assert.is_true(gradcheck(function(a, c, d)
      return F.conv_transpose1d(a, c, d, { stride = 2, padding = 1, output_padding = 1, groups = 2 })
    end, { x, w, b }))
    -- <conv(u, w), v> == <u, conv_transpose(v, w)>
    local u, v, k = lucid.randn(1, 3, 9, H.F64), lucid.randn(1, 5, 4, H.F64), lucid.randn(5, 3, 3, H.F64)
    local lhs = (F.conv1d(u, k, nil, 2) * v):sum():item()
    local rhs = (u * F.conv_transpose1d(v, k, nil, 2)):sum():item()
    assert.is_true(math.abs(lhs - rhs) < 1e-10)
  end)

  it("pad in every mode, and pooling of every kind", function()
    lucid.manual_seed(3)
    local x = r64(2, 3, 9)
    for _, mode in ipairs({ "constant", "reflect", "replicate", "circular" }) do
      assert.is_true(gradcheck(function(a) return F.pad(a, { 2, 3, 1, 0 }, mode) end, { x }), mode)
    end
    assert.is_true(gradcheck(function(a) return F.max_pool1d(a, 3, 2, 1, 2, true) end, { x }))
    assert.is_true(gradcheck(function(a) return F.avg_pool1d(a, 4, 3, 2, true, false) end, { x }))
    assert.is_true(gradcheck(function(a) return F.adaptive_avg_pool1d(a, 4) end, { x }))
    assert.is_true(gradcheck(function(a) return F.adaptive_max_pool1d(a, 5) end, { x }))
  end)
end)

describe("convolution and pooling values", function()
  it("conv1d of a known signal, and 'same' keeps the length", function()
    local x = lucid.tensor({ { { 1, 2, 3, 4 } } }, H.F64)
    local w = lucid.tensor({ { { 1, 0, -1 } } }, H.F64)
    H.assert_close(F.conv1d(x, w), lucid.tensor({ { { -2, -2 } } }, H.F64))
    H.assert_close(F.conv1d(x, w, nil, { padding = "same" }), lucid.tensor({ { { -2, -2, -2, 3 } } }, H.F64))
    assert.are.equal("(3, 5, 100)", tostring(nn.Conv1d(2, 5, 4, { padding = "same" })(lucid.randn(3, 2, 100)).shape))
    assert.are.equal("(5, 10)", tostring(nn.Conv1d(2, 5, 3, { padding = 1 })(lucid.randn(2, 10)).shape))
  end)

  it("max_pool1d returns 1-based indices of the maxima", function()
    local x = lucid.tensor({ { 1, 5, 2, 4, 3, 0 } }, H.F64)
    local y, idx = F.max_pool1d(x, 2, { return_indices = true })
    H.assert_close(y, lucid.tensor({ { 5, 4, 3 } }, H.F64))
    assert.are.same({ { 2, 4, 5 } }, idx:tolist())
    local _, i2 = nn.AdaptiveMaxPool1d(2, true)(x)
    assert.are.same({ { 2, 4 } }, i2:tolist())
  end)

  it("Conv1d initialises as PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in))", function()
    lucid.manual_seed(4)
    local c = nn.Conv1d(8, 16, 5, { groups = 2 })
    local bound = 1 / math.sqrt(4 * 5)
    assert.are.equal("(16, 4, 5)", tostring(c.weight.shape))
    assert.is_true(c.weight:abs():max():item() <= bound and c.bias:abs():max():item() <= bound)
    local t = nn.ConvTranspose1d(8, 6, 3, { groups = 2 })
    assert.are.equal("(8, 3, 3)", tostring(t.weight.shape))
    assert.is_true(t.weight:abs():max():item() <= 1 / math.sqrt(9))
  end)
end)

describe("convolution and pooling errors", function()
  local x = lucid.randn(2, 4, 9)
  it("name the function or module and what was expected", function()
    H.raises(function() F.conv1d(x, lucid.randn(6, 3, 3)) end,
      "conv1d: input has 4 channels, which does not fit weight (6, 3, 3) with groups = 1")
    H.raises(function() nn.Conv1d(4, 6, 3)(lucid.randn(2, 3, 9)) end, "Conv1d: input has 3 channels")
    H.raises(function() F.conv1d(x, lucid.randn(6, 4, 12)) end,
      "conv1d: input length 9 is too short for kernel_size 12")
    H.raises(function() F.conv1d(x, lucid.randn(6, 4, 3), nil, { stride = 2, padding = "same" }) end,
      "conv1d: padding 'same' needs stride 1, got 2")
    H.raises(function() F.conv1d(x, lucid.randn(6, 4, 3), lucid.randn(5)) end,
      "conv1d: bias has shape (5), expected (6)")
    H.raises(function() F.conv1d(x, lucid.randn(6, 4, 3, { dtype = lucid.float64 })) end,
      "conv1d: input, weight and bias must share one float dtype")
    H.raises(function() F.conv1d(lucid.randn(4), lucid.randn(6, 4, 3)) end,
      "conv1d: input must be (N, C, L) or (C, L), got shape (4)")
    H.raises(function() F.conv1d(x, lucid.randn(6, 4, 3), nil, 0) end, "conv1d: stride must be an integer >= 1, got 0")
    H.raises(function() nn.Conv1d(4, 6, 3, { groups = 4, padding = "full" }) end, "Conv1d: padding must be an integer >= 0")
    H.raises(function() nn.Conv1d(4, 6, 3, { groups = 4 }) end,
      "Conv1d: in_channels 4 and out_channels 6 must be divisible by groups 4")
    H.raises(function() nn.ConvTranspose1d(4, 6, 3, { output_padding = 1 }) end,
      "ConvTranspose1d: output_padding 1 must be smaller than stride or dilation")
    H.raises(function() F.pad(x, { 9, 0 }, "reflect") end, "pad: reflect padding (9, 0) must be in [0, 8] for dim 3 of size 9")
    H.raises(function() F.pad(x, { 1 }) end, "pad: pad must be a list of an even number of integers")
    H.raises(function() F.pad(x, { 1, 1 }, "mirror") end, "pad: mode must be 'constant', 'reflect', 'replicate' or 'circular'")
    H.raises(function() F.max_pool1d(x, 3, 1, 2) end, "max_pool1d: padding 2 must be at most half the kernel size 3")
    H.raises(function() nn.MaxPool1d(12)(x) end, "MaxPool1d: input length 9 is too short for kernel_size 12")
    H.raises(function() F.avg_pool1d(lucid.randn(9), 3) end, "avg_pool1d: input must be (N, C, L) or (C, L), got shape (9)")
    H.raises(function() nn.AdaptiveAvgPool1d(0) end, "AdaptiveAvgPool1d: output_size must be an integer >= 1, got 0")
  end)
end)
