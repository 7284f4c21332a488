-- nn layers and activations as modules: values and gradients against PyTorch
-- (tests/fixtures/nn.lua), parameter handling, naming, modes and errors.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("nn")

local function fx(spec, grad) return H.tensor_from_fixture(spec, { requires_grad = grad }) end

local function long(t) return lucid.tensor(t, { dtype = lucid.int64 }) end

-- Each fixture function case that has a module form: builds the module and
-- returns it with its forward inputs and the tensors whose grads are checked.
local builders = {
  linear = function(c)
    local w, b = fx(c.inputs[2]), c.inputs[3] and fx(c.inputs[3])
    local m = nn.Linear(w:size(2), w:size(1), { bias = b ~= nil, dtype = lucid[c.dtype] })
    m:load_state_dict({ weight = w, bias = b })
    local x = fx(c.inputs[1], true)
    return m, { x }, { x, m.weight, m.bias }
  end,
  embedding = function(c)
    local w = fx(c.inputs[2])
    local m = nn.Embedding(w:size(1), w:size(2), {
      padding_idx = c.opts.padding_idx and c.opts.padding_idx + 1, dtype = lucid[c.dtype] })
    m:load_state_dict({ weight = w })
    return m, { fx(H.shifted(c.inputs[1], 1)) }, { m.weight }
  end,
  relu = "ReLU", tanh = "Tanh", sigmoid = "Sigmoid", softmax = "Softmax", log_softmax = "LogSoftmax",
}

describe("nn layers match PyTorch", function()
  for _, c in ipairs(cases) do
    local b = builders[c.name]
    if c.kind == "functional" and b then
      it(string.format("%s (%s) as a module: output and gradients", c.label, c.dtype), function()
        local m, ins, grads
        if type(b) == "string" then
          m = c.opts.dim and nn[b](H.lua_dim(c.opts.dim)) or nn[b]()
          ins = { fx(c.inputs[1], true) }
          grads = ins
        else
          m, ins, grads = b(c)
        end
        H.assert_output_and_grads(m(table.unpack(ins)), c, grads, "output")
      end)
    end
  end

  for _, c in ipairs(cases) do
    if c.kind == "module" and c.name == "sequential" then
      it(string.format("%s (%s): output, input and parameter gradients", c.label, c.dtype), function()
        local dt = lucid[c.dtype]
        local m = nn.Sequential(nn.Linear(3, 6, { dtype = dt }), nn.Tanh(), nn.Linear(6, 2, { dtype = dt }))
        local sd = {}
        for k, v in pairs(c.params) do sd[k:sub(2):gsub("_", ".", 1)] = fx(v) end
        m:load_state_dict(sd)
        local x = fx(c.inputs[1], true)
        local y = m(x)
        H.assert_close(y, c.out, nil, nil, "output")
        y:backward(fx(c.gout))
        H.assert_close(x.grad, c.grads[1], nil, nil, "input grad")
        for name, p in m:named_parameters() do
          H.assert_close(p.grad, c.param_grads["m" .. name:gsub("%.", "_")], nil, nil, name .. " grad")
        end
      end)
    end
  end
end)

describe("nn.Embedding", function()
  it("draws N(0, 1) weights of shape (num_embeddings, embedding_dim)", function()
    lucid.manual_seed(1)
    local e = nn.Embedding(200, 50)
    assert.are.equal("(200, 50)", tostring(e.weight.shape))
    assert.is_true(e.weight.requires_grad)
    local mean, var = e.weight:mean():item(), (e.weight * e.weight):mean():item()
    assert.is_true(math.abs(mean) < 0.02 and math.abs(var - 1) < 0.03)
    assert.are.equal(lucid.float64, nn.Embedding(3, 2, { dtype = lucid.float64 }).weight.dtype)
  end)

  it("maps indices of any shape to (..., D), including a 0-dim index", function()
    local e = nn.Embedding(5, 3)
    assert.are.equal("(2, 2, 3)", tostring(e(long({ { 1, 2 }, { 5, 4 } })).shape))
    assert.are.equal("(3)", tostring(e(lucid.tensor(2, { dtype = lucid.int64 })).shape))
    H.assert_close(e(long({ 4 }))[1], e.weight[4])
  end)

  it("zeroes the padding_idx row and never updates it", function()
    local e = nn.Embedding(4, 2, { padding_idx = -1 })
    assert.are.equal(4, e.padding_idx)
    H.assert_close(e.weight[4], lucid.zeros(2))
    local y = e(long({ 4, 1, 4 }))
    y:sum():backward()
    H.assert_close(e.weight.grad, lucid.tensor({ { 1, 1 }, { 0, 0 }, { 0, 0 }, { 0, 0 } }))
  end)

  it("builds from pretrained weights, frozen by default", function()
    local w = lucid.randn(3, 2)
    local e = nn.Embedding.from_pretrained(w)
    assert.is_false(e.weight.requires_grad)
    H.assert_close(e(long({ 3 })), w[3]:view(1, 2))
    assert.is_true(nn.Embedding.from_pretrained(w, { freeze = false }).weight.requires_grad)
  end)

  it("names bad arguments and indices", function()
    assert.matches("Embedding: index 6 is out of range for num_embeddings 5", H.err_str(nn.Embedding(5, 2), long({ 1, 6 })))
    assert.matches("Embedding: index 0 is out of range", H.err_str(nn.Embedding(5, 2), long({ 0 })))
    assert.matches("Embedding: input must be an int64 tensor", H.err_str(nn.Embedding(5, 2), lucid.ones(2)))
    assert.matches("Embedding: padding_idx must be in %[1, 5%]", H.err_str(nn.Embedding, 5, 2, { padding_idx = 6 }))
    assert.matches("Embedding: num_embeddings must be at least 1, got 0", H.err_str(nn.Embedding, 0, 2))
    assert.matches("Embedding: embedding_dim must be an integer", H.err_str(nn.Embedding, 3, 1.5))
    assert.are.equal("Embedding(5, 2, padding_idx=1)", tostring(nn.Embedding(5, 2, { padding_idx = 1 })))
  end)
end)

describe("nn.Dropout", function()
  it("drops in training and is the identity in eval mode", function()
    lucid.manual_seed(2)
    local d = nn.Dropout(0.25)
    local x = lucid.ones(50, 40, { dtype = lucid.float64 })
    local y = d(x)
    local kept = y:ne(0):sum():item() / 2000
    assert.is_true(math.abs(kept - 0.75) < 0.03)
    assert.is_true(math.abs(y:max():item() - 1 / 0.75) < 1e-12)
    d:eval()
    assert.are.equal(x, d(x))
    assert.are.equal(0.5, nn.Dropout().p)
  end)

  it("rejects p outside [0, 1]", function()
    assert.matches("Dropout: p must be in %[0, 1%], got 1.5", H.err_str(nn.Dropout, 1.5))
    assert.matches("Dropout: p must be in %[0, 1%], got %-0.1", H.err_str(nn.Dropout, -0.1))
    assert.matches("Dropout: p must be a number", H.err_str(nn.Dropout, "half"))
  end)
end)

describe("nn.Sequential", function()
  it("applies its modules in order, names children '0', '1', ... and indexes 1-based", function()
    local l1, l2 = nn.Linear(3, 4), nn.Linear(4, 2)
    local s = nn.Sequential(l1, nn.ReLU(), l2)
    assert.are.equal(3, #s)
    assert.are.equal(l1, s[1])
    assert.are.equal(l2, s[3])
    local keys = {}
    for k in pairs(s:state_dict()) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({ "0.bias", "0.weight", "2.bias", "2.weight" }, keys)
    local names = {}
    for name, _ in s:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "0.weight", "0.bias", "2.weight", "2.bias" }, names)
    local x = lucid.randn(5, 3)
    H.assert_close(s(x), l2(l1(x):relu()))
    local seen = 0
    for i, m in ipairs(s) do
      seen = seen + 1
      assert.are.equal(s[i], m)
    end
    assert.are.equal(3, seen)
  end)

  it("appends, and passes train/eval to its children", function()
    local s = nn.Sequential(nn.Linear(2, 2))
    s:append(nn.Dropout(0.5))
    assert.are.equal(2, #s)
    s:eval()
    assert.is_false(s[2].training)
    assert.matches("Sequential\n  %(0%): Linear", (tostring(s):gsub("%(\n", "\n")))
  end)

  it("runs modules added by name with add_module, in order", function()
    local s = nn.Sequential(nn.Linear(2, 2))
    s:add_module("act", nn.Tanh())
    assert.are.equal(2, #s)
    assert.are.equal("Tanh()", tostring(s[2]))
    local x = lucid.randn(3, 2)
    H.assert_close(s(x), s[1](x):tanh())
  end)

  it("rejects non-modules", function()
    assert.matches("Sequential: argument 2 must be a module, got number", H.err_str(nn.Sequential, nn.ReLU(), 3))
  end)
end)

describe("nn.ModuleList", function()
  it("registers its modules, indexes 1-based and appends/extends", function()
    local ml = nn.ModuleList({ nn.Linear(2, 3), nn.Linear(3, 1) })
    assert.are.equal(2, #ml)
    assert.are.equal(4, #ml:parameters())
    ml:append(nn.Tanh()):extend({ nn.Linear(1, 1) })
    assert.are.equal(4, #ml)
    local n = 0
    for i, m in ipairs(ml) do n = n + 1 end
    assert.are.equal(4, n)
    assert.are.equal("Tanh()", tostring(ml[3]))
    assert.is_not_nil(ml:state_dict()["3.weight"])
    assert.are.equal(0, #nn.ModuleList())
  end)

  it("has no forward and rejects non-modules", function()
    assert.matches("ModuleList: has no forward", H.err_str(nn.ModuleList({}), lucid.ones(1)))
    assert.matches("ModuleList: argument 1 must be a module", H.err_str(nn.ModuleList, { 5 }))
    assert.matches("ModuleList: expected one table", H.err_str(nn.ModuleList, nn.ReLU()))
  end)
end)

describe("activation modules", function()
  it("compute their functions", function()
    local x = lucid.randn(3, 4)
    H.assert_close(nn.Tanh()(x), x:tanh())
    H.assert_close(nn.ReLU()(x), x:relu())
    H.assert_close(nn.Sigmoid()(x), x:sigmoid())
    H.assert_close(nn.Softmax(1)(x), x:softmax(1))
    H.assert_close(nn.LogSoftmax(-1)(x), x:log_softmax(2))
    H.assert_close(nn.Softmax{dim = 2}(x), x:softmax(2))
    -- no dim: PyTorch's legacy choice, dim 2 for 2-D input
    H.assert_close(nn.Softmax()(x), x:softmax(2))
    assert.are.equal("Softmax(dim=2)", tostring(nn.Softmax(2)))
  end)

  it("name bad input", function()
    assert.matches("Tanh: input must be a tensor, got number", H.err_str(nn.Tanh(), 3))
    assert.matches("Softmax: dim 3 out of range for a 2%-D input", H.err_str(nn.Softmax(3), lucid.ones(2, 2)))
    assert.matches("Softmax: dim must be an integer", H.err_str(nn.Softmax, "x"))
  end)
end)

describe("indices at the int64 extremes", function()
  it("are reported as given, without overflow", function()
    local e = nn.Embedding(3, 2)
    assert.matches("Embedding: index 4294967297 is out of range for num_embeddings 3",
      H.err_of(e, lucid.tensor({ 4294967297 })))
    assert.matches("Embedding: index %-9223372036854775808 is out of range",
      H.err_of(e, lucid.tensor({ math.mininteger })))
    assert.matches("RNN: 2305843009213693952 steps for 2 rows of input", H.err_of(lucid._C.rnn_layer,
      { cell = "rnn_tanh", input = lucid.zeros(2, 3), batch_sizes = 1 << 61, h0 = lucid.zeros(1, 4),
        w_ih = lucid.zeros(4, 3), w_hh = lucid.zeros(4, 4) }))
  end)
end)

describe("inplace, dtypes and broadcast weights", function()
  it("ReLU and Dropout with inplace overwrite their input and return it", function()
    local x = lucid.tensor({ -1, 2 }, H.F64)
    assert.are.equal(x, nn.ReLU(true)(x))
    assert.are.same({ 0, 2 }, x:tolist())
    local w = lucid.tensor({ -1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local v = w * 1
    nn.ReLU{ inplace = true }(v)
    v:sum():backward()
    assert.are.same({ 0, 1 }, w.grad:tolist()) -- the history follows the write
    local z = lucid.ones(1000)
    assert.are.equal(z, nn.Dropout(0.5, true)(z))
    local kept = z:gt(0):sum():item()
    assert.is_true(kept > 300 and kept < 700 and z:max():item() == 2)
    local y = lucid.ones(10)
    nn.Dropout(0.5)(y)
    assert.are.equal(10, y:sum():item()) -- not in place by default
  end)

  it("Linear refuses an input of another dtype than its weight", function()
    assert.matches("Linear: input has dtype float64, expected float32 %(the weight's%)",
      H.err_of(function() return nn.Linear(2, 2)(lucid.zeros(1, 2):double()) end))
  end)

  it("BCEWithLogitsLoss weights must broadcast to the input", function()
    local loss = nn.BCEWithLogitsLoss{ pos_weight = lucid.ones(5) }
    assert.matches("BCEWithLogitsLoss: pos_weight has shape %(5%), which does not broadcast to the input's shape %(2, 2%)",
      H.err_of(function() return loss(lucid.zeros(2, 2), lucid.zeros(2, 2)) end))
    local ok = nn.BCEWithLogitsLoss{ weight = lucid.ones(2) }(lucid.zeros(2, 2), lucid.zeros(2, 2))
    assert.is_true(math.abs(ok:item() - math.log(2)) < 1e-6)
  end)
end)

describe("Embedding.from_pretrained", function()
  it("takes freeze and padding_idx positionally or by name, and refuses unknown options", function()
    local w = lucid.randn(4, 3)
    assert.is_false(nn.Embedding.from_pretrained(w).weight.requires_grad)
    assert.is_true(nn.Embedding.from_pretrained(w, false).weight.requires_grad)
    assert.is_true(nn.Embedding.from_pretrained(w, { freeze = false, padding_idx = 2 }).weight.requires_grad)
    assert.matches("Embedding.from_pretrained: unknown option 'freze'",
      H.err_of(nn.Embedding.from_pretrained, w, { freze = false }))
    assert.matches("Embedding.from_pretrained: embeddings must be a 2%-D float tensor",
      H.err_of(nn.Embedding.from_pretrained, lucid.tensor({ { 1, 2 } })))
  end)
end)
