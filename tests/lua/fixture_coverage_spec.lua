-- The fixture-driven specs make one test per matching case, so a renamed
-- field in a generator would quietly leave them with none. This spec pins
-- how many cases each of their filters selects.
local H = require("helpers")

local function count(cases, pred)
  local n = 0
  for _, c in ipairs(cases) do
    if pred(c) then n = n + 1 end
  end
  return n
end

describe("fixtures select the cases their specs test", function()
  it("rnn.lua: every module, padded and packed, and the parameter metadata", function()
    local cases = H.load_fixture("rnn")
    for _, m in ipairs({ "RNN", "GRU", "LSTM" }) do
      assert.is_true(count(cases, function(c) return c.kind == "forward" and c.module == m and not c.lengths end) >= 15, m)
      assert.is_true(count(cases, function(c) return c.kind == "forward" and c.module == m and c.lengths end) >= 6, m)
      assert.is_true(count(cases, function(c) return c.kind == "meta" and c.module == m end) >= 2, m)
    end
  end)

  it("cells.lua: every cell", function()
    local cases = H.load_fixture("cells")
    for _, cell in ipairs({ "RNNCell", "GRUCell", "LSTMCell" }) do
      assert.is_true(count(cases, function(c) return c.cell == cell end) >= 19, cell)
    end
  end)

  it("nn.lua: every functional op and the module cases", function()
    local cases = H.load_fixture("nn")
    for _, op in ipairs({ "relu", "tanh", "sigmoid", "softmax", "log_softmax", "linear", "embedding",
      "index_select", "mse_loss", "cross_entropy", "nll_loss", "binary_cross_entropy_with_logits" }) do
      assert.is_true(count(cases, function(c) return c.kind == "functional" and c.name == op end) >= 2, op)
    end
    assert.is_true(count(cases, function(c) return c.kind == "module" and c.name == "sequential" end) >= 1)
  end)

  it("layers.lua: every functional form and module of gen_layers.py", function()
    local cases = H.load_fixture("layers")
    for _, op in ipairs({ "layer_norm", "rms_norm", "group_norm", "batch_norm", "conv1d", "conv_transpose1d", "pad",
      "max_pool1d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "l1_loss", "smooth_l1_loss",
      "huber_loss", "binary_cross_entropy", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
      "cosine_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "multilabel_soft_margin_loss",
      "ctc_loss", "cross_entropy", "nll_loss", "scaled_dot_product_attention", "embedding_bag", "bilinear",
      "normalize", "cosine_similarity", "pairwise_distance" }) do
      assert.is_true(count(cases, function(c) return c.kind == "functional" and c.name == op end) >= 2, op)
    end
    for _, m in ipairs({ "LayerNorm", "GroupNorm", "BatchNorm1d", "Conv1d", "ConvTranspose1d", "MaxPool1d",
      "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "L1Loss", "BCELoss", "KLDivLoss",
      "MultiheadAttention", "Bilinear", "EmbeddingBag", "Embedding" }) do
      assert.is_true(count(cases, function(c) return c.kind == "module" and c.name == m end) >= 2, m)
    end
  end)

  it("optim.lua and packed.lua: optimizer steps, clipping, packing", function()
    local steps = H.load_fixture("optim", "optimizer")
    assert.is_true(#steps >= 70)
    for _, name in ipairs({ "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam" }) do
      assert.is_true(count(steps, function(c) return c.optimizer == name end) >= 4, name)
    end
    assert.is_true(#H.load_fixture("optim", "lbfgs") >= 6)
    assert.is_true(#H.load_fixture("sched") >= 20)
    assert.is_true(#H.load_fixture("nn_utils", "weight_norm") >= 8)
    assert.is_true(#H.load_fixture("nn_utils", "spectral_norm") >= 6)
    assert.is_true(#H.load_fixture("optim", "clip") >= 10)
    assert.is_true(#H.load_fixture("packed") >= 1)
    assert.is_true(#H.load_fixture("tensor_ops") >= 200)
    assert.is_true(#H.load_fixture("autograd") >= 1)
  end)

  it("ops.lua: every area of tests/lua/op_cases.lua", function()
    local cases = H.load_fixture("ops")
    local want = { sort = 427, scan = 130, count = 13, scatter = 500, shape = 220, create = 150, linalg = 222, ternary = 43,
      ternary_grad = 4, svd = 40, linalg_grad = 5 }
    for area, least in pairs(want) do
      assert.is_true(count(cases, function(c) return c.area == area end) >= least, area)
    end
  end)

  it("index.lua: every indexing form, mask function and bool op, transposed inputs too", function()
    local cases = H.load_fixture("index")
    local want = { index = 80, index_set = 50, masked_fill = 16, masked_select = 16, masked_scatter = 16,
      where = 16, where_cond = 1, nonzero = 16, argwhere = 8, nonzero_tuple = 8, binary = 150,
      unary = 20, to = 4, isclose = 5 }
    for op, n in pairs(want) do
      assert.is_true(count(cases, function(c) return c.op == op end) >= n, op)
    end
    assert.is_true(count(cases, function(c) return c.transpose end) >= 100)
  end)
end)
