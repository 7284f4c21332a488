-- Loss modules against PyTorch (tests/fixtures/nn.lua): every reduction,
-- ignore_index, class weights, label smoothing, (C), (N, C) and (N, C, d1, d2)
-- input, value and input gradient; plus construction and error messages.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("nn")

local function fx(spec, grad) return H.tensor_from_fixture(spec, { requires_grad = grad }) end
local function long(t) return lucid.tensor(t, { dtype = lucid.int64 }) end

-- fixture case -> loss module, forward inputs, tensors whose grads are checked
local builders = {
  mse_loss = function(c)
    local x, t = fx(c.inputs[1], true), fx(c.inputs[2], true)
    return nn.MSELoss({ reduction = c.opts.reduction }), { x, t }, { x, t }
  end,
  cross_entropy = function(c)
    local ii = c.opts.ignore_index
    local x = fx(c.inputs[1], true)
    local m = nn.CrossEntropyLoss(c.inputs[3] and fx(c.inputs[3]), {
      reduction = c.opts.reduction, ignore_index = ii and (ii >= 0 and ii + 1 or ii),
      label_smoothing = c.opts.label_smoothing })
    if c.inputs[2].dtype ~= "int64" then -- class probabilities
      local p = fx(c.inputs[2], true)
      return m, { x, p }, { x, p }
    end
    return m, { x, fx(H.shifted(c.inputs[2], 1)) }, { x }
  end,
  nll_loss = function(c)
    local ii = c.opts.ignore_index
    local x = fx(c.inputs[1], true)
    local m = nn.NLLLoss{ weight = c.inputs[3] and fx(c.inputs[3]), reduction = c.opts.reduction,
      ignore_index = ii and (ii >= 0 and ii + 1 or ii) }
    return m, { x, fx(H.shifted(c.inputs[2], 1)) }, { x }
  end,
  binary_cross_entropy_with_logits = function(c)
    local x, y = fx(c.inputs[1], true), fx(c.inputs[2], true)
    local m = nn.BCEWithLogitsLoss(c.inputs[3] and fx(c.inputs[3]), {
      reduction = c.opts.reduction, pos_weight = c.inputs[4] and fx(c.inputs[4]) })
    return m, { x, y }, { x, y }
  end,
}

describe("loss modules match PyTorch", function()
  for _, c in ipairs(cases) do
    local b = builders[c.name]
    if c.kind == "functional" and b then
      it(string.format("%s (%s): value and gradients", c.label, c.dtype), function()
        local m, ins, grads = b(c)
        H.assert_output_and_grads(m(table.unpack(ins)), c, grads, "value")
      end)
    end
  end
end)

describe("nn.CrossEntropyLoss", function()
  local x = lucid.randn(4, 5)

  it("is stable for huge logits (log-sum-exp)", function()
    local big = lucid.tensor({ { 1000, 0, -1000 }, { -1e4, 1e4, 0 } }, { dtype = lucid.float64 })
    local l = nn.CrossEntropyLoss({ reduction = "none" })(big, long({ 1, 3 }))
    H.assert_close(l, lucid.tensor({ 0, 1e4 }, { dtype = lucid.float64 }))
    local f32 = nn.CrossEntropyLoss()(big:float(), long({ 1, 2 }))
    assert.are.equal(0, f32:item())
  end)

  it("returns nan for 'mean' when every target is ignored, as PyTorch", function()
    local v = nn.CrossEntropyLoss({ ignore_index = 2 })(x, long({ 2, 2, 2, 2 })):item()
    assert.is_true(v ~= v)
    assert.are.equal(0, nn.CrossEntropyLoss({ ignore_index = 2, reduction = "sum" })(x, long({ 2, 2, 2, 2 })):item())
  end)

  it("registers weight as a buffer and prints its reduction", function()
    local m = nn.CrossEntropyLoss(lucid.ones(5))
    assert.is_not_nil(m:state_dict().weight)
    assert.are.equal("CrossEntropyLoss()", tostring(m))
    assert.are.equal(-100, m.ignore_index)
  end)

  it("names shape, range and argument errors", function()
    local ce = nn.CrossEntropyLoss()
    assert.matches("CrossEntropyLoss: target has shape %(3%), expected %(4%) for input %(4, 5%)",
      H.err_str(ce, x, long({ 1, 2, 3 })))
    assert.matches("CrossEntropyLoss: target 7 is out of range for 5 classes", H.err_str(ce, x, long({ 1, 7, 2, 3 })))
    assert.matches("CrossEntropyLoss: target has shape %(4%), expected %(4, 2%) for input %(4, 5, 2%)",
      H.err_str(ce, lucid.randn(4, 5, 2), long({ 1, 2, 3, 4 })))
    assert.matches("CrossEntropyLoss: probability target has shape %(4%), expected the input's shape %(4, 5%)",
      H.err_str(ce, x, lucid.zeros(4)))
    assert.matches("NLLLoss: target must be an int64 tensor", H.err_str(nn.NLLLoss(), x, lucid.zeros(4)))
    assert.matches("CrossEntropyLoss: input must be a tensor, got nil", H.err_str(ce, nil, long({ 1 })))
    assert.matches("CrossEntropyLoss: reduction must be 'none' or 'mean' or 'sum', got 'avg'",
      H.err_str(nn.CrossEntropyLoss, { reduction = "avg" }))
    assert.matches("CrossEntropyLoss: label_smoothing must be in %[0, 1%], got 1.5",
      H.err_str(nn.CrossEntropyLoss, { label_smoothing = 1.5 }))
    assert.matches("CrossEntropyLoss: ignore_index must be an integer", H.err_str(nn.CrossEntropyLoss, { ignore_index = 1.5 }))
    assert.matches("CrossEntropyLoss: weight must be a tensor, got number", H.err_str(nn.CrossEntropyLoss, 3))
    assert.matches("CrossEntropyLoss: weight has shape %(3%), expected %(5%) for 5 classes",
      H.err_str(nn.CrossEntropyLoss(lucid.ones(3)), x, long({ 1, 2, 3, 4 })))
    assert.matches("CrossEntropyLoss: unknown option 'smoothing'", H.err_str(nn.CrossEntropyLoss, { smoothing = 0.1 }))
  end)
end)

describe("nn.NLLLoss", function()
  it("equals CrossEntropyLoss on log_softmax output", function()
    local x = lucid.randn(6, 4, { dtype = lucid.float64 })
    local t = long({ 1, 2, 3, 4, 4, 1 })
    H.assert_close(nn.NLLLoss()(x:log_softmax(2), t), nn.CrossEntropyLoss()(x, t))
  end)

  it("names errors with its own name", function()
    assert.matches("NLLLoss: target 5 is out of range for 4 classes",
      H.err_str(nn.NLLLoss(), lucid.randn(2, 4), long({ 5, 1 })))
    assert.matches("NLLLoss: target has shape %(3%), expected %(2%) for input %(2, 4%)",
      H.err_str(nn.NLLLoss(), lucid.randn(2, 4), long({ 1, 1, 1 })))
  end)
end)

describe("nn.MSELoss and nn.BCEWithLogitsLoss", function()
  it("compute their definitions", function()
    local x, y = lucid.randn(3, 4, { dtype = lucid.float64 }), lucid.rand(3, 4, { dtype = lucid.float64 })
    H.assert_close(nn.MSELoss()(x, y), ((x - y) ^ 2):mean())
    H.assert_close(nn.MSELoss({ reduction = "sum" })(x, y), ((x - y) ^ 2):sum())
    local p = x:sigmoid()
    H.assert_close(nn.BCEWithLogitsLoss({ reduction = "none" })(x, y),
      -(y * p:log() + (1 - y) * (1 - p):log()))
  end)

  it("BCEWithLogitsLoss stays finite for huge logits", function()
    local x = lucid.tensor({ 1000, -1000, 50 }, { dtype = lucid.float64 })
    local y = lucid.tensor({ 0, 1, 1 }, { dtype = lucid.float64 })
    local l = nn.BCEWithLogitsLoss({ reduction = "none" })(x, y)
    H.assert_close(l, lucid.tensor({ 1000, 1000, math.log(1 + math.exp(-50)) }, { dtype = lucid.float64 }))
  end)

  it("name their errors", function()
    assert.matches("MSELoss: target has shape %(5%), which does not broadcast with input %(3, 4%)",
      H.err_str(nn.MSELoss(), lucid.randn(3, 4), lucid.randn(5)))
    assert.matches("MSELoss: target must be a tensor, got number", H.err_str(nn.MSELoss(), lucid.randn(3), 1))
    assert.matches("BCEWithLogitsLoss: target has shape %(3%), expected the input's shape %(3, 4%)",
      H.err_str(nn.BCEWithLogitsLoss(), lucid.randn(3, 4), lucid.rand(3)))
    assert.matches("BCEWithLogitsLoss: pos_weight must be a tensor", H.err_str(nn.BCEWithLogitsLoss, { pos_weight = 2 }))
    assert.matches("MSELoss: reduction must be 'none' or 'mean' or 'sum', got 'max'", H.err_str(nn.MSELoss, "max"))
  end)
end)

describe("regression, divergence and metric losses: float64 gradcheck", function()
  local gradcheck = lucid.autograd.gradcheck
  local function r64(...) return lucid.randn({ ... }, { dtype = lucid.float64, requires_grad = true }) end
  local function u64(...) return lucid.rand({ ... }, { dtype = lucid.float64, requires_grad = true }) end
  local F = nn.functional

  it("each loss in every reduction, in all its differentiable inputs", function()
    lucid.manual_seed(21)
    local x, y, z = r64(3, 4), r64(3, 4), r64(3, 4)
    local p, q = (u64(3, 4) * 0.8 + 0.1):detach():requires_grad_(), u64(3, 4)
    local logp = x:log_softmax(2):detach():requires_grad_()
    local var = (u64(3, 4) + 0.2):detach():requires_grad_()
    local sign = lucid.tensor({ 1, -1, 1 })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      local o = { reduction = red }
      local checks = {
        { function(a, b) return F.l1_loss(a, b, o) end, { x, y } },
        { function(a, b) return F.smooth_l1_loss(a, b, { reduction = red, beta = 0.7 }) end, { x, y } },
        { function(a, b) return F.huber_loss(a, b, { reduction = red, delta = 0.6 }) end, { x, y } },
        { function(a, b) return F.binary_cross_entropy(a, b, nil, red) end, { p, q } },
        { function(a, b) return F.kl_div(a, b, o) end, { logp, q } },
        { function(a, b) return F.kl_div(a, b, { reduction = red, log_target = true }) end, { logp, x } },
        { function(a, b) return F.poisson_nll_loss(a, b, o) end, { x, q } },
        { function(a, b) return F.poisson_nll_loss(a, b, false, true, { reduction = red }) end, { p, var } },
        { function(a, b, v) return F.gaussian_nll_loss(a, b, v, o) end, { x, y, var } },
        { function(a, b) return F.cosine_embedding_loss(a, b, sign, 0.1, red) end, { x, y } },
        { function(a, b) return F.margin_ranking_loss(a, b, z:detach():gt(0):double() * 2 - 1, 0.2, red) end, { x, y } },
        { function(a, b, c) return F.triplet_margin_loss(a, b, c, { reduction = red, swap = true }) end, { x, y, z } },
        { function(a) return F.multilabel_soft_margin_loss(a, q:detach():gt(0.5):double(), nil, red) end, { x } },
      }
      for i, c in ipairs(checks) do
        assert.is_true(gradcheck(c[1], c[2]), string.format("check %d, reduction %s", i, red))
      end
    end
  end)
end)

describe("regression, divergence and metric losses: values and errors", function()
  local F = nn.functional
  local x = lucid.tensor({ { 0.0, 2.0 }, { 1.0, -1.0 } }, H.F64)
  local t = lucid.zeros(2, 2, H.F64)

  it("compute their definitions on small numbers", function()
    assert.are.equal(1.0, nn.L1Loss()(x, t):item())
    -- |d| = 0, 2, 1, 1 with beta 1.5: 0, 2 - 0.75, 0.5/1.5, 0.5/1.5
    assert.is_true(math.abs(nn.SmoothL1Loss({ beta = 1.5 })(x, t):item() - (1.25 + 2 / 3) / 4) < 1e-12)
    assert.is_true(math.abs(nn.HuberLoss({ reduction = "sum", delta = 1.5 })(x, t):item() - (1.5 * 1.25 + 1)) < 1e-12)
    local half = lucid.full({ 2 }, 0.5, H.F64)
    assert.is_true(math.abs(nn.BCELoss()(half, lucid.tensor({ 0.0, 1.0 }, H.F64)):item() - math.log(2)) < 1e-12)
    -- KL of a distribution with itself is 0; 'batchmean' divides by the batch size
    local lp = x:log_softmax(2)
    assert.is_true(math.abs(F.kl_div(lp, lp:exp(), "batchmean"):item()) < 1e-12)
    assert.is_true(math.abs(nn.MarginRankingLoss(1)(lucid.tensor({ 2.0 }), lucid.tensor({ 1.0 }),
      lucid.tensor({ -1.0 })):item() - 2) < 1e-6)
    H.assert_close(F.pairwise_distance(lucid.tensor({ { 3.0, 0.0 } }, H.F64), lucid.tensor({ { 0.0, 4.0 } }, H.F64), 2, 0),
      lucid.tensor({ 5.0 }, H.F64))
    assert.are.equal("TripletMarginLoss()", tostring(nn.TripletMarginLoss()))
    local w = lucid.ones(2)
    local bce = nn.BCELoss(w)
    assert.are.equal(w, bce.weight)
    assert.is_true(bce:state_dict().weight ~= nil) -- a buffer, as in PyTorch
  end)

  it("name the loss, the argument and what was expected", function()
    H.raises(function() nn.L1Loss()(x, lucid.zeros(3)) end, "L1Loss: target has shape (3), expected the input's shape (2, 2)")
    H.raises(function() F.l1_loss(x, "y") end, "l1_loss: target must be a tensor, got string")
    H.raises(function() nn.BCELoss()(x, t) end, "BCELoss: input must hold probabilities in [0, 1]")
    H.raises(function() nn.KLDivLoss("avg") end, "KLDivLoss: reduction must be 'none' or 'batchmean' or 'sum' or 'mean', got 'avg'")
    H.raises(function() F.kl_div(x, t, "avg") end, "kl_div: reduction must be 'none', 'batchmean', 'sum', 'mean', got 'avg'")
    H.raises(function() nn.SmoothL1Loss({ beta = -1 }) end, "SmoothL1Loss: beta must be at least 0, got -1")
    H.raises(function() F.huber_loss(x, t, "mean", "big") end, "huber_loss: delta must be a number >= 0, got big")
    H.raises(function() nn.GaussianNLLLoss()(x, t, lucid.ones(3, H.F64)) end, "GaussianNLLLoss: var has shape (3)")
    H.raises(function() nn.GaussianNLLLoss()(x, t, -lucid.ones(2, 2, H.F64)) end, "GaussianNLLLoss: var has negative entries")
    H.raises(function() nn.CosineEmbeddingLoss()(x, x, lucid.tensor({ 1, 1, 1 })) end,
      "CosineEmbeddingLoss: target has shape (3), expected (2)")
    H.raises(function() nn.TripletMarginLoss()(x, x, lucid.zeros(2)) end,
      "TripletMarginLoss: negative has shape (2), expected the anchor's shape (2, 2)")
    H.raises(function() nn.BCELoss(3) end, "BCELoss: weight must be a tensor, got number")
  end)
end)

describe("nn.CTCLoss", function()
  local F = nn.functional
  local gradcheck = lucid.autograd.gradcheck
  local function logp64(T, N, C)
    return lucid.randn({ T, N, C }, H.F64):log_softmax(3):detach():requires_grad_()
  end

  it("passes a float64 gradcheck, padded and concatenated targets, every reduction", function()
    lucid.manual_seed(31)
    local lp = logp64(6, 2, 4)
    local padded, flat = lucid.tensor({ { 2, 3, 3 }, { 4, 2, 1 } }), lucid.tensor({ 2, 3, 3, 4, 2 })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      assert.is_true(gradcheck(function(x) return F.ctc_loss(x, padded, { 6, 5 }, { 3, 2 }, { reduction = red }) end, { lp }))
      assert.is_true(gradcheck(function(x) return nn.CTCLoss(3, { reduction = red })(x, flat - (flat:eq(3):long()),
        lucid.tensor({ 6, 4 }), lucid.tensor({ 3, 2 })) end, { lp }))
    end
  end)

  it("equals -log of the summed path probabilities on a tiny case", function()
    -- T = 2, classes {blank = 1, a = 2}, target "a": paths (a, a), (blank, a), (a, blank)
    local p = lucid.tensor({ { 0.3, 0.7 }, { 0.6, 0.4 } }, H.F64)
    local lp = p:log():view(2, 1, 2)
    local expect = -math.log(0.7 * 0.4 + 0.3 * 0.4 + 0.7 * 0.6)
    local got = nn.CTCLoss({ reduction = "sum" })(lp, lucid.tensor({ { 2 } }), { 2 }, { 1 })
    assert.is_true(math.abs(got:item() - expect) < 1e-12)
    -- unbatched (T, C) input
    assert.is_true(math.abs(F.ctc_loss(p:log(), lucid.tensor({ 2 }), 2, 1, { reduction = "sum" }):item() - expect) < 1e-12)
  end)

  it("zero_infinity zeroes impossible alignments and their gradients", function()
    local lp = logp64(2, 1, 3)
    local t = lucid.tensor({ { 2, 2 } }) -- a repeated label needs a blank between: 3 frames
    assert.are.equal(math.huge, F.ctc_loss(lp, t, { 2 }, { 2 }):item())
    local l = F.ctc_loss(lp, t, { 2 }, { 2 }, { zero_infinity = true })
    assert.are.equal(0, l:item())
    l:backward()
    assert.are.equal(0, lp.grad:abs():sum():item())
  end)

  it("names its errors", function()
    local lp = lucid.randn(5, 2, 4):log_softmax(3)
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 1, 2 }, { 2, 3 } }), { 5, 5 }, { 2, 2 }) end,
      "CTCLoss: target 1 of sample 1 is 1, expected a class in [1, 4] other than blank 1")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 5, 2 }, { 2, 3 } }), { 5, 5 }, { 2, 2 }) end,
      "expected a class in [1, 4]")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), { 6, 5 }, { 2, 2 }) end,
      "CTCLoss: input_lengths[1] = 6 must be in [0, 5]")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), { 5, 5 }, { 3, 2 }) end,
      "CTCLoss: target_lengths[1] = 3 does not fit the targets (2, 2)")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), { 5 }, { 2, 2 }) end,
      "CTCLoss: input_lengths must have one length per sample (2)")
    H.raises(function() nn.CTCLoss(5)(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), { 5, 5 }, { 2, 2 }) end,
      "CTCLoss: blank 5 is out of range for 4 classes")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), "x", { 2, 2 }) end,
      "CTCLoss: input_lengths must be an int64 tensor or a list of integers, got string")
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), { 5, 4.5 }, { 2, 2 }) end,
      "CTCLoss: input_lengths must be an int64 tensor or a list of integers, got a list with non-integers")
    -- a lying __len is not looped over in Lua (the fuzzer's 10 s hang, seed 2454)
    local huge = setmetatable({}, { __len = function() return math.maxinteger end })
    H.raises(function() nn.CTCLoss()(lp, lucid.tensor({ { 2, 2 }, { 2, 3 } }), huge, { 2, 2 }) end,
      "CTCLoss: input_lengths must be an int64 tensor or a list of integers, got table")
    H.raises(function() nn.CTCLoss({ blank = 0 }) end, "CTCLoss: blank must be at least 1, got 0")
  end)
end)

describe("CrossEntropyLoss and NLLLoss: the gradient of the per-class weight", function()
  local F = nn.functional
  it("passes a float64 gradcheck in input and weight, every reduction", function()
    lucid.manual_seed(41)
    local x = lucid.randn({ 4, 3, 2 }, { dtype = lucid.float64, requires_grad = true })
    local w = (lucid.rand(3, H.F64) + 0.5):requires_grad_()
    local t = lucid.tensor({ { 1, 3 }, { 2, 2 }, { 3, 1 }, { 1, 2 } })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      assert.is_true(lucid.autograd.gradcheck(function(a, b)
        return F.cross_entropy(a, t, b, { ignore_index = 2, reduction = red, label_smoothing = 0.3 })
      end, { x, w }))
      assert.is_true(lucid.autograd.gradcheck(function(a, b)
        return nn.NLLLoss(b, { reduction = red })(a:log_softmax(2), t)
      end, { x, w }))
    end
  end)
end)
