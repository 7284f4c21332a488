-- Attention, embeddings, dropout variants and the small functional helpers,
-- beyond the PyTorch fixtures (layers_fixture_spec.lua): float64 gradchecks,
-- the statistics of the random layers, and the errors.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local F = nn.functional
local gradcheck = lucid.autograd.gradcheck

local function r64(...) return lucid.randn({ ... }, { dtype = lucid.float64, requires_grad = true }) end

describe("attention", function()
  it("scaled_dot_product_attention: gradcheck with a float mask, a boolean mask and causal", function()
    lucid.manual_seed(1)
    local q, k, v = r64(2, 3, 4), r64(2, 5, 4), r64(2, 5, 6)
    local fm = lucid.randn(3, 5, H.F64)
    local bm = lucid.tensor({ { 1, 1, 0, 1, 0 }, { 1, 0, 1, 1, 1 }, { 0, 1, 1, 1, 1 } })
    assert.is_true(gradcheck(function(a, b, c) return F.scaled_dot_product_attention(a, b, c, fm) end, { q, k, v }))
    assert.is_true(gradcheck(function(a, b, c) return F.scaled_dot_product_attention(a, b, c, bm) end, { q, k, v }))
    local k3, v3 = r64(2, 3, 4), r64(2, 3, 6)
    assert.is_true(gradcheck(function(a, b, c)
      return F.scaled_dot_product_attention(a, b, c, { is_causal = true })
    end, { q, k3, v3 }))
  end)

  it("a causal query attends only to itself and earlier keys", function()
    local q = lucid.zeros(1, 3, 2, H.F64)
    local v = lucid.tensor({ { { 1, 0 }, { 0, 1 }, { 5, 5 } } }, H.F64)
    local y = F.scaled_dot_product_attention(q, q, v, { is_causal = true })
    H.assert_close(y, lucid.tensor({ { { 1, 0 }, { 0.5, 0.5 }, { 2, 2 } } }, H.F64))
  end)

  it("MultiheadAttention: gradcheck in inputs and parameters, masked keys get zero weight", function()
    lucid.manual_seed(2)
    local m = nn.MultiheadAttention(4, 2, { dtype = lucid.float64, add_bias_kv = true })
    local q, kv = r64(3, 2, 4), r64(5, 2, 4)
    local kpm = lucid.tensor({ { 0, 0, 0, 1, 1 }, { 0, 0, 0, 0, 0 } })
    assert.is_true(gradcheck(function(a, b, w) m.in_proj_weight = w; return (m(a, b, b, kpm)) end,
      { q, kv, m.in_proj_weight }))
    local _, w = m(q, kv, kv, kpm)
    assert.are.equal("(2, 3, 6)", tostring(w.shape)) -- 5 keys and bias_k
    assert.are.equal(0, w[1]:narrow(2, 4, 2):abs():sum():item())
    H.assert_close(w:sum(3), lucid.ones(2, 3, H.F64))
    local _, none = m(q, kv, kv, { need_weights = false })
    assert.is_nil(none)
  end)

  it("MultiheadAttention names its errors", function()
    local m = nn.MultiheadAttention(4, 2)
    H.raises(function() nn.MultiheadAttention(6, 4) end, "MultiheadAttention: embed_dim 6 must be divisible by num_heads 4")
    H.raises(function() m(lucid.randn(3, 2, 5), lucid.randn(3, 2, 4), lucid.randn(3, 2, 4)) end,
      "MultiheadAttention: query has shape (3, 2, 5), expected 3-D with last dim 4")
    H.raises(function() m(lucid.randn(3, 2, 4), lucid.randn(3, 1, 4), lucid.randn(3, 1, 4)) end,
      "MultiheadAttention: query (3, 2, 4), key (3, 1, 4) and value (3, 1, 4) disagree in batch")
    H.raises(function() m(lucid.randn(3, 2, 4), lucid.randn(3, 2, 4), lucid.randn(3, 2, 4), lucid.zeros(2, 4):long()) end,
      "MultiheadAttention: key_padding_mask has shape (2, 4), expected (2, 3)")
    H.raises(function() m(lucid.randn(3, 2, 4), lucid.randn(3, 2, 4), lucid.randn(3, 2, 4), { attn_mask = lucid.zeros(2, 2) }) end,
      "MultiheadAttention: attn_mask has shape (2, 2), expected (3, 3) or (4, 3, 3)")
    H.raises(function() m(lucid.randn(3, 2, 4, { dtype = lucid.float64 }), lucid.randn(3, 2, 4), lucid.randn(3, 2, 4)) end,
      "MultiheadAttention: query has dtype float64, expected the parameters' float32")
    H.raises(function() F.scaled_dot_product_attention(lucid.randn(2, 3), lucid.randn(2, 4), lucid.randn(2, 4)) end,
      "scaled_dot_product_attention: query (2, 3), key (2, 4) and value (2, 4) must be")
    H.raises(function() F.scaled_dot_product_attention(lucid.randn(3, 4), lucid.randn(5, 4), lucid.randn(5, 4), lucid.ones(2, 2)) end,
      "scaled_dot_product_attention: attn_mask has shape (2, 2), which does not broadcast to (3, 5)")
  end)
end)

describe("embeddings and bilinear", function()
  it("embedding_bag and bilinear pass float64 gradchecks", function()
    lucid.manual_seed(3)
    local w = r64(8, 3)
    local idx, off = lucid.tensor({ 1, 2, 2, 8, 5 }), lucid.tensor({ 1, 3, 3 })
    for _, mode in ipairs({ "sum", "mean", "max" }) do
      assert.is_true(gradcheck(function(a) return F.embedding_bag(idx, a, off, { mode = mode }) end, { w }), mode)
    end
    local a, b, bw, bb = r64(2, 3), r64(2, 4), r64(5, 3, 4), r64(5)
    assert.is_true(gradcheck(function(x, y, z, c) return F.bilinear(x, y, z, c) end, { a, b, bw, bb }))
  end)

  it("max_norm scales the rows looked up, once, and leaves the others", function()
    local w = lucid.tensor({ { 3, 4 }, { 0.3, 0.4 }, { 6, 8 } }, H.F64)
    local e = nn.Embedding.from_pretrained(w, { freeze = false })
    e.max_norm = 1
    e(lucid.tensor({ 1, 1, 2 }))
    H.assert_close(e.weight, lucid.tensor({ { 3, 4 }, { 0.3, 0.4 }, { 6, 8 } }, H.F64) *
      lucid.tensor({ { 1 / (5 + 1e-7) }, { 1 }, { 1 } }, H.F64))
  end)

  it("one_hot marks value k at position k", function()
    assert.are.same({ { 0, 1, 0 }, { 0, 0, 1 }, { 1, 0, 0 } }, F.one_hot(lucid.tensor({ 2, 3, 1 })):tolist())
    assert.are.equal("(2, 2, 5)", tostring(F.one_hot(lucid.tensor({ { 1, 2 }, { 3, 4 } }), 5).shape))
    assert.are.equal(lucid.int64, F.one_hot(lucid.tensor({ 1 })).dtype)
  end)

  it("name their errors", function()
    H.raises(function() F.one_hot(lucid.tensor({ 0, 1 })) end, "one_hot: class values must be in [1, num_classes] (1-based), got 0")
    H.raises(function() F.one_hot(lucid.tensor({ 3 }), 2) end, "one_hot: class values must be in [1, 2] (1-based), got 3")
    H.raises(function() F.one_hot(lucid.ones(2)) end, "one_hot: tensor must be an int64 tensor")
    H.raises(function() nn.EmbeddingBag(5, 2)(lucid.tensor({ 1, 2 }), lucid.tensor({ 2 })) end,
      "EmbeddingBag: offsets must start at 1, never decrease and stay within the 2 indices")
    H.raises(function() nn.EmbeddingBag(5, 2)(lucid.tensor({ { 1, 2 } }), lucid.tensor({ 1 })) end,
      "EmbeddingBag: offsets apply to 1-D input only")
    H.raises(function() nn.EmbeddingBag(5, 2)(lucid.tensor({ 1, 2 }), lucid.tensor({ 1 }), lucid.ones(2)) end,
      "EmbeddingBag: per_sample_weights needs mode 'sum', got 'mean'")
    H.raises(function() nn.EmbeddingBag(5, 2, { mode = "median" }) end, "EmbeddingBag: mode must be 'sum' or 'mean' or 'max'")
    H.raises(function() nn.Embedding(5, 2, { sparse = true }) end, "Embedding: scale_grad_by_freq and sparse gradients are not supported")
    H.raises(function() nn.Bilinear(3, 4, 5)(lucid.randn(2, 3), lucid.randn(2, 3)) end,
      "Bilinear: inputs (2, 3) and (2, 3) do not fit weight (5, 3, 4)")
    H.raises(function() F.normalize("x") end, "normalize: input must be a tensor, got string")
    H.raises(function() F.softmax(lucid.randn(2), 1, lucid.int64) end, "softmax: dtype must be lucid.float32 or lucid.float64")
  end)
end)

describe("dropout variants", function()
  it("Dropout1d drops whole channels and scales the rest; eval is the identity", function()
    lucid.manual_seed(4)
    local d = nn.Dropout1d(0.5)
    local y = d(lucid.ones(50, 40, 6, H.F64))
    local per_channel = y:sum(3) -- each channel all 0 or all 2
    local zeros, twos = per_channel:eq(0):sum():item(), per_channel:eq(12):sum():item()
    assert.are.equal(2000, zeros + twos)
    assert.is_true(math.abs(zeros / 2000 - 0.5) < 0.05)
    d:eval()
    local x = lucid.randn(2, 3, 4)
    assert.are.equal(x, d(x))
    H.raises(function() nn.Dropout1d()(lucid.ones(2, 3, 4, 5)) end, "Dropout1d: input must be (N, C, L) or (C, L)")
  end)

  it("AlphaDropout keeps zero mean and unit variance, and only drops in training", function()
    lucid.manual_seed(5)
    local x = lucid.randn(400000, H.F64)
    local y = nn.AlphaDropout(0.3)(x)
    assert.is_true(math.abs(y:mean():item()) < 0.01)
    assert.is_true(math.abs(((y - y:mean()) ^ 2):mean():item() - 1) < 0.02)
    assert.are.equal(x, F.alpha_dropout(x, 0.3)) -- training defaults to false, as PyTorch
    assert.are.equal("AlphaDropout(p=0.2, inplace=False)", tostring(nn.AlphaDropout(0.2)))
  end)
end)
