-- nn.functional against PyTorch (tests/fixtures/nn.lua, made by
-- tests/fixtures/gen/gen_nn.py): outputs and gradients of every layer,
-- activation and loss, float64 and float32, and the argument checks.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local F = nn.functional

local cases = H.load_fixture("nn")

-- Fixture indices and dims are 0-based; lucid's are 1-based.
local one_based = { cross_entropy = true, nll_loss = true, embedding = true, index_select = true }

local function lua_opts(case)
  local o = {}
  for k, v in pairs(case.opts or {}) do o[k] = v end
  if o.dim then o.dim = H.lua_dim(o.dim) end
  if o.ignore_index and o.ignore_index >= 0 then o.ignore_index = o.ignore_index + 1 end
  if o.padding_idx then o.padding_idx = o.padding_idx + 1 end
  return o
end

local function inputs_of(case)
  local xs = {}
  for i, spec in ipairs(case.inputs) do
    if spec.dtype == "int64" and one_based[case.name] then spec = H.shifted(spec, 1) end
    xs[i] = H.tensor_from_fixture(spec, { requires_grad = case.grad[i] })
  end
  return xs
end

-- The call in lucid's spelling for each fixture function.
local function call(case, x)
  local o = lua_opts(case)
  local n = case.name
  if n == "index_select" then return x[1]:index_select(o.dim, x[2]) end
  if n == "embedding" then return F.embedding(x[1], x[2], o.padding_idx) end
  if n == "softmax" or n == "log_softmax" then return F[n](x[1], o.dim) end
  if n == "relu" or n == "tanh" or n == "sigmoid" then return F[n](x[1]) end
  if n == "linear" then return F.linear(x[1], x[2], x[3]) end
  if n == "binary_cross_entropy_with_logits" then
    o.pos_weight = x[4]
    return F[n](x[1], x[2], x[3], o)
  end
  if x[3] then return F[n](x[1], x[2], x[3], o) end
  return F[n](x[1], x[2], o)
end

local function check(case, y, xs)
  H.assert_close(y, case.out, nil, nil, case.label .. " output")
  y:backward(H.tensor_from_fixture(case.gout))
  local k = 0
  for i, x in ipairs(xs) do
    if case.grad[i] then
      k = k + 1
      H.assert_close(x.grad, case.grads[k], nil, nil, string.format("%s grad of input %d", case.label, i))
    end
  end
end

describe("nn.functional matches PyTorch", function()
  for _, case in ipairs(cases) do
    if case.kind == "functional" then
      it(string.format("%s (%s): output and gradients", case.label, case.dtype), function()
        local xs = inputs_of(case)
        check(case, call(case, xs), xs)
      end)
    end
  end
end)

describe("nn.functional gradcheck (float64)", function()
  local gradcheck = lucid.autograd.gradcheck
  local function long(t) return lucid.tensor(t, { dtype = lucid.int64 }) end

  it("index_select along each dim, with repeated indices", function()
    lucid.manual_seed(3)
    local x = lucid.randn(3, 4, 2, { dtype = lucid.float64, requires_grad = true })
    for dim = 1, 3 do
      local idx = long({ 2, 1, 2 })
      assert.is_true(gradcheck(function(a) return a:index_select(dim, idx) end, { x }))
    end
    assert.is_true(gradcheck(function(a) return lucid.index_select(a, -1, long({ 2 })) end, { x }))
  end)

  it("cross_entropy with weight, ignore_index and label smoothing, every reduction", function()
    lucid.manual_seed(4)
    local x = lucid.randn(4, 3, 2, { dtype = lucid.float64, requires_grad = true })
    local t = long({ { 1, 3 }, { 2, 2 }, { 3, 1 }, { 1, 2 } })
    local w = lucid.tensor({ 0.5, 2.0, 1.5 }, { dtype = lucid.float64 })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      assert.is_true(gradcheck(function(a)
        return F.cross_entropy(a, t, w, { ignore_index = 2, reduction = red, label_smoothing = 0.3 })
      end, { x }))
      assert.is_true(gradcheck(function(a) return F.cross_entropy(a, t, { reduction = red }) end, { x }))
    end
  end)

  it("nll_loss with weight and ignore_index, every reduction", function()
    lucid.manual_seed(5)
    local x = lucid.randn(5, 4, { dtype = lucid.float64, requires_grad = true })
    local t = long({ 1, 4, 4, 2, 3 })
    local w = lucid.tensor({ 0.5, 2.0, 1.5, 1.0 }, { dtype = lucid.float64 })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      assert.is_true(gradcheck(function(a)
        return F.nll_loss(a, t, w, { ignore_index = 4, reduction = red })
      end, { x }))
    end
  end)

  it("embedding weight gradient", function()
    lucid.manual_seed(6)
    local w = lucid.randn(6, 3, { dtype = lucid.float64, requires_grad = true })
    local idx = long({ { 1, 6, 1 }, { 2, 2, 3 } })
    assert.is_true(gradcheck(function(a) return F.embedding(idx, a) end, { w }))
  end)

  it("cross_entropy with class probabilities, weight and smoothing (input and target)", function()
    lucid.manual_seed(8)
    local x = lucid.randn(3, 4, 2, { dtype = lucid.float64, requires_grad = true })
    local p = lucid.rand(3, 4, 2, { dtype = lucid.float64, requires_grad = true })
    local w = lucid.tensor({ 0.5, 2.0, 1.5, 1.0 }, { dtype = lucid.float64 })
    for _, red in ipairs({ "mean", "sum", "none" }) do
      assert.is_true(gradcheck(function(a, b)
        return F.cross_entropy(a, b, w, { reduction = red, label_smoothing = 0.2 })
      end, { x, p }))
    end
  end)

  it("binary_cross_entropy_with_logits with weight and pos_weight", function()
    lucid.manual_seed(7)
    local x = lucid.randn(3, 4, { dtype = lucid.float64, requires_grad = true })
    local y = lucid.rand(3, 4, { dtype = lucid.float64, requires_grad = true })
    local pw = lucid.tensor({ 1, 2, 3, 0.5 }, { dtype = lucid.float64 })
    assert.is_true(gradcheck(function(a, b)
      return F.binary_cross_entropy_with_logits(a, b, { pos_weight = pw })
    end, { x, y }))
  end)
end)

describe("nn.functional dropout", function()
  it("keeps about 1-p of the elements and scales them by 1/(1-p)", function()
    lucid.manual_seed(11)
    local x = lucid.ones(100, 100, { dtype = lucid.float64 })
    local y = F.dropout(x, 0.3, true)
    local kept = y:ne(0):sum():item()
    assert.is_true(math.abs(kept / 10000 - 0.7) < 0.02, "kept fraction " .. kept / 10000)
    local nz = y:sum():item() / kept
    assert.is_true(math.abs(nz - 1 / 0.7) < 1e-12)
  end)

  it("is the identity when not training or p == 0, and zeros when p == 1", function()
    local x = lucid.randn(4, 5)
    assert.are.equal(x, F.dropout(x, 0.5, false))
    assert.are.equal(x, F.dropout(x, 0, true))
    assert.are.equal(0, F.dropout(x, 1, true):abs():sum():item())
    assert.are.equal(x, F.dropout(x, { p = 0.5, training = false }))
  end)

  it("passes gradients only through kept elements, scaled", function()
    lucid.manual_seed(12)
    local x = lucid.randn(20, 20, { dtype = lucid.float64, requires_grad = true })
    local y = F.dropout(x, 0.5)
    y:sum():backward()
    H.assert_close(x.grad, y:detach():ne(0):double() * 2)
  end)

  it("rejects p outside [0, 1]", function()
    assert.has_error(function() F.dropout(lucid.ones(2), 1.5) end,
      "dropout: p must be a number in [0, 1], got 1.5")
  end)
end)

describe("nn.functional argument checks", function()
  local function long(t) return lucid.tensor(t, { dtype = lucid.int64 }) end
  local x = lucid.randn(4, 5)

  local err = H.err_str

  it("names shape mismatches of the target", function()
    assert.matches("cross_entropy: target has shape %(3%), expected %(4%) for input %(4, 5%)",
      err(function() F.cross_entropy(x, long({ 1, 2, 3 })) end))
    assert.matches("nll_loss: target has shape %(4, 1%), expected %(4%) for input %(4, 5%)",
      err(function() F.nll_loss(x, long({ { 1 }, { 2 }, { 3 }, { 4 } })) end))
  end)

  it("names out-of-range targets 1-based", function()
    assert.matches("cross_entropy: target 7 is out of range for 5 classes",
      err(function() F.cross_entropy(x, long({ 1, 7, 3, 2 })) end))
    assert.matches("cross_entropy: target 0 is out of range for 5 classes",
      err(function() F.cross_entropy(x, long({ 1, 0, 3, 2 })) end))
    -- the ignored value is never range-checked
    assert.is_true(lucid.is_tensor(F.cross_entropy(x, long({ 1, -100, 3, 2 }))))
  end)

  it("checks dtypes, reductions, weights and options", function()
    assert.matches("nll_loss: target must be an int64 tensor", err(function() F.nll_loss(x, lucid.zeros(4)) end))
    assert.matches("reduction must be 'none', 'mean' or 'sum', got 'avg'",
      err(function() F.cross_entropy(x, long({ 1, 2, 3, 4 }), { reduction = "avg" }) end))
    assert.matches("weight has shape %(3%), expected %(5%) for 5 classes",
      err(function() F.cross_entropy(x, long({ 1, 2, 3, 4 }), lucid.ones(3)) end))
    assert.matches("unknown option 'ignore'",
      err(function() F.cross_entropy(x, long({ 1, 2, 3, 4 }), { ignore = 1 }) end))
    assert.matches("label_smoothing must be a number in %[0, 1%]",
      err(function() F.cross_entropy(x, long({ 1, 2, 3, 4 }), { label_smoothing = 2 }) end))
    assert.matches("input must be a tensor, got string", err(function() F.relu("x") end))
    assert.matches("linear: input has 5 features, expected in_features 3",
      err(function() F.linear(x, lucid.ones(2, 3)) end))
    assert.matches("binary_cross_entropy_with_logits: target has shape %(4%), expected the input's shape %(4, 5%)",
      err(function() F.binary_cross_entropy_with_logits(x, lucid.ones(4)) end))
  end)

  it("index_select checks dim, index dtype and range", function()
    assert.matches("index_select: index 6 is out of range for dim 1 of size 4",
      err(function() x:index_select(1, long({ 1, 6 })) end))
    assert.matches("index_select: index must be an int64 tensor",
      err(function() x:index_select(1, lucid.ones(2)) end))
    assert.matches("index_select: dim 3 out of range",
      err(function() x:index_select(3, long({ 1 })) end))
    assert.matches("index_select: index must be 0%- or 1%-dimensional",
      err(function() x:index_select(1, long({ { 1 } })) end))
  end)

  it("embedding names the bad index", function()
    assert.matches("embedding: index 11 is out of range for num_embeddings 10",
      err(function() F.embedding(long({ 3, 11 }), lucid.randn(10, 2)) end))
  end)
end)
