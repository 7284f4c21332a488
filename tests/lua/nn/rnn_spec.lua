-- nn.RNN, nn.GRU, nn.LSTM against PyTorch (tests/fixtures/rnn.lua, made by
-- tests/fixtures/gen/gen_rnn.py): outputs, final states and the gradients of
-- every parameter, the input and the initial state; names, shapes, printing,
-- constructor forms, dtype conversion, dropout. Packed inputs are in
-- rnn_packed_spec.lua, errors in rnn_errors_spec.lua.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("rnn")

local module_for = H.rnn_module

local function check_forward(case, r)
  H.assert_close(r.out, case.out, nil, nil, "output")
  H.assert_close(r.h_n, case.h_n, nil, nil, "h_n")
  if case.c_n then H.assert_close(r.c_n, case.c_n, nil, nil, "c_n") end
end

local function backward(case, r, out)
  local loss = ((out or r.out) * H.tensor_from_fixture(case.w_out)):sum()
    + (r.h_n * H.tensor_from_fixture(case.w_h)):sum()
  if case.w_c then loss = loss + (r.c_n * H.tensor_from_fixture(case.w_c)):sum() end
  loss:backward()
  return loss
end

local function check_grads(case, r)
  for _, g in ipairs(case.grad_params) do
    H.assert_close(r.m[g.name].grad, g.value, nil, nil, "grad of " .. g.name)
  end
  H.assert_close(r.x.grad, case.grad_x, nil, nil, "grad of x")
  if case.grad_h0 then H.assert_close(r.h0.grad, case.grad_h0, nil, nil, "grad of h0") end
  if case.grad_c0 then H.assert_close(r.c0.grad, case.grad_c0, nil, nil, "grad of c0") end
end

describe("nn.RNN/GRU/LSTM against PyTorch", function()
  for _, case in ipairs(cases) do
    if case.kind == "forward" and not case.lengths then
      it(case.name .. ": output, h_n (c_n) and every gradient equal PyTorch's", function()
        local r = H.rnn_forward(case)
        check_forward(case, r)
        local loss = backward(case, r)
        assert.is_true(math.abs(loss:item() - case.loss) <= 1e-4 * (1 + math.abs(case.loss)))
        check_grads(case, r)
      end)
    end
  end
end)

describe("nn.RNN/GRU/LSTM parameters and printing", function()
  for _, case in ipairs(cases) do
    if case.kind == "meta" then
      local label = string.format("%s(%d, %d, ...)", case.module, case.input_size, case.hidden_size)
      it(label .. " prints, names and shapes its parameters like PyTorch: " .. case.repr, function()
        local m = next(case.options) and nn[case.module](case.input_size, case.hidden_size, case.options)
          or nn[case.module](case.input_size, case.hidden_size)
        assert.are.equal(case.repr, tostring(m))
        assert.are.equal(case.repr:match("^%a+%((.*)%)$"), m:extra_repr())
        local i = 0
        for name, p in m:named_parameters() do
          i = i + 1
          assert.are.equal(case.names[i], name)
          assert.are.equal(H.shape_str(case.shapes[i]), tostring(p.shape))
          assert.are.equal(p, m[name]) -- reachable as a field
          assert.is_true(p.requires_grad)
        end
        assert.are.equal(#case.names, i)
        assert.are.equal(#case.names, #m:parameters())
        local keys = {}
        for k in pairs(m:state_dict()) do keys[#keys + 1] = k end
        table.sort(keys)
        local want = { table.unpack(case.names) }
        table.sort(want)
        assert.are.same(want, keys)
      end)
    end
  end

  it("initialises every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))", function()
    lucid.manual_seed(7)
    for _, m in ipairs({ nn.RNN(6, 16, 2), nn.GRU(6, 16, { bidirectional = true }),
      nn.LSTM(6, 16, { proj_size = 4 }) }) do
      local bound, biggest = 1 / 4, 0
      for name, p in m:named_parameters() do
        assert.is_true(p:abs():max():item() <= bound, name)
        biggest = math.max(biggest, p:abs():max():item())
        if p:numel() >= 64 then assert.is_true(math.abs(p:mean():item()) < 0.05, name) end
        assert.are.equal(lucid.float32, p.dtype)
      end
      assert.is_true(biggest > 0.95 * bound) -- spread over the whole range
    end
  end)

  it("all_weights lists the parameters per layer and direction, like PyTorch", function()
    local m = nn.LSTM(5, 4, { num_layers = 2, bidirectional = true, proj_size = 2, bias = false })
    local aw = m:all_weights()
    assert.are.equal(4, #aw)
    assert.are.equal(m.weight_ih_l0, aw[1][1])
    assert.are.equal(m.weight_hr_l0, aw[1][3])
    assert.are.equal(m.weight_ih_l0_reverse, aw[2][1])
    assert.are.equal(m.weight_hh_l1_reverse, aw[4][2])
    assert.is_nil(m.bias_ih_l0)
  end)

  it("keeps the options as fields", function()
    local m = nn.RNN(8, 6, 2, "relu", false, true, 0.25, true)
    assert.are.equal(8, m.input_size)
    assert.are.equal(6, m.hidden_size)
    assert.are.equal(2, m.num_layers)
    assert.are.equal("relu", m.nonlinearity)
    assert.are.equal("RNN_RELU", m.mode)
    assert.is_false(m.bias)
    assert.is_true(m.batch_first)
    assert.are.equal(0.25, m.dropout)
    assert.is_true(m.bidirectional)
    assert.are.equal(0, m.proj_size)
    assert.are.equal("GRU", nn.GRU(3, 3).mode)
    assert.are.equal("LSTM", nn.LSTM(3, 3).mode)
  end)
end)

describe("nn.RNN/GRU/LSTM constructor forms", function()
  local forms = {
    RNN = {
      function() return nn.RNN(5, 4, 2, "relu", false, true, 0.5, true) end,
      function() return nn.RNN(5, 4, { num_layers = 2, nonlinearity = "relu", bias = false,
        batch_first = true, dropout = 0.5, bidirectional = true }) end,
      function() return nn.RNN { input_size = 5, hidden_size = 4, num_layers = 2, nonlinearity = "relu",
        bias = false, batch_first = true, dropout = 0.5, bidirectional = true } end,
    },
    GRU = {
      function() return nn.GRU(5, 4, 2, false, true, 0.5, true) end,
      function() return nn.GRU(5, 4, 2, { bias = false, batch_first = true, dropout = 0.5, bidirectional = true }) end,
      function() return nn.GRU { input_size = 5, hidden_size = 4, num_layers = 2, bias = false,
        batch_first = true, dropout = 0.5, bidirectional = true } end,
    },
    LSTM = {
      function() return nn.LSTM(5, 4, 2, false, true, 0.5, true, 3) end,
      function() return nn.LSTM(5, 4, { num_layers = 2, bias = false, batch_first = true, dropout = 0.5,
        bidirectional = true, proj_size = 3 }) end,
      function() return nn.LSTM { input_size = 5, hidden_size = 4, num_layers = 2, bias = false,
        batch_first = true, dropout = 0.5, bidirectional = true, proj_size = 3 } end,
    },
  }
  for name, list in pairs(forms) do
    it(name .. ": positional, positional + options and a single options table agree", function()
      local reprs, names = {}, {}
      for i, f in ipairs(list) do
        local m = f()
        reprs[i] = tostring(m)
        names[i] = {}
        for n, p in m:named_parameters() do names[i][#names[i] + 1] = n .. tostring(p.shape) end
      end
      assert.are.equal(reprs[1], reprs[2])
      assert.are.equal(reprs[1], reprs[3])
      assert.are.same(names[1], names[2])
      assert.are.same(names[1], names[3])
      assert.is_truthy(reprs[1]:find("bidirectional=True", 1, true))
    end)
  end

  it("accepts dtype and device options", function()
    local m = nn.GRU(3, 2, { dtype = lucid.float64, device = "cpu" })
    for _, p in ipairs(m:parameters()) do assert.are.equal(lucid.float64, p.dtype) end
    local y, h = m(lucid.randn({ 4, 2, 3 }, { dtype = lucid.float64 }))
    assert.are.equal(lucid.float64, y.dtype)
    assert.are.equal(lucid.float64, h.dtype)
  end)
end)

describe("nn.RNN/GRU/LSTM dtype conversion", function()
  it("to(float64) converts in place and then matches the float64 fixture", function()
    local case
    for _, c in ipairs(cases) do
      if c.name == "lstm_proj_layers2_float64" then case = c end
    end
    assert.is_not_nil(case)
    local m = nn.LSTM(5, 4, { num_layers = 2, proj_size = 3 })
    local w = m.weight_hr_l1
    assert.are.equal(m, m:to(lucid.float64))
    assert.are.equal(w, m.weight_hr_l1) -- same tensor object
    for _, p in ipairs(m:parameters()) do assert.are.equal(lucid.float64, p.dtype) end
    local sd = {}
    for _, p in ipairs(case.params) do sd[p.name] = H.tensor_from_fixture(p.value) end
    m:load_state_dict(sd)
    local r = H.rnn_forward(case, m)
    check_forward(case, r)
    backward(case, r)
    check_grads(case, r)
    m:float()
    for _, p in ipairs(m:parameters()) do assert.are.equal(lucid.float32, p.dtype) end
    local y = m(lucid.randn(2, 5))
    assert.are.equal(lucid.float32, y.dtype)
  end)
end)

describe("nn.RNN/GRU/LSTM shapes and states", function()
  it("returns the documented shapes for every layout", function()
    local x = lucid.randn(6, 2, 5)
    local m = nn.GRU(5, 4, { num_layers = 3, bidirectional = true })
    local y, h = m(x)
    assert.are.equal("(6, 2, 8)", tostring(y.shape))
    assert.are.equal("(6, 2, 4)", tostring(h.shape))
    local mb = nn.GRU(5, 4, { num_layers = 3, bidirectional = true, batch_first = true })
    mb:load_state_dict(m:state_dict())
    local yb, hb = mb(x:transpose(1, 2))
    assert.are.equal("(2, 6, 8)", tostring(yb.shape))
    assert.are.equal("(6, 2, 4)", tostring(hb.shape)) -- batch_first never applies to h_n
    H.assert_close(yb:transpose(1, 2), y)
    H.assert_close(hb, h)
    local yu, hu = m(x:select(2, 2))
    assert.are.equal("(6, 8)", tostring(yu.shape))
    assert.are.equal("(6, 4)", tostring(hu.shape))
    H.assert_close(yu, y:select(2, 2), 1e-5, 1e-6)
    H.assert_close(hu, h:select(2, 2), 1e-5, 1e-6)
    local l = nn.LSTM(5, 4, { num_layers = 2, proj_size = 2 })
    local yl, s = l(x)
    assert.are.equal("(6, 2, 2)", tostring(yl.shape))
    assert.are.equal("(2, 2, 2)", tostring(s[1].shape))
    assert.are.equal("(2, 2, 4)", tostring(s[2].shape))
  end)

  it("the output's last step (forward direction) is the last layer's h_n", function()
    local m = nn.RNN(5, 4, { num_layers = 2, bidirectional = true })
    local y, h = m(lucid.randn(7, 3, 5))
    H.assert_close(y:select(1, 7):narrow(2, 1, 4), h:select(1, 3))
    H.assert_close(y:select(1, 1):narrow(2, 5, 4), h:select(1, 4))
  end)

  it("a 2D hx is the first layer's state: the same as a 3D hx with zeros for the others", function()
    lucid.manual_seed(3)
    for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
      local m = nn[name](5, 4, { num_layers = 3, bidirectional = true, dtype = lucid.float64 })
      local x = lucid.randn({ 4, 2, 5 }, { dtype = lucid.float64 })
      local h2 = lucid.randn({ 2, 4 }, { dtype = lucid.float64 })
      local z = lucid.zeros({ 4, 2, 4 }, { dtype = lucid.float64 })
      local h3 = lucid.cat({ h2:unsqueeze(1), h2:unsqueeze(1), z }, 1)
      if name == "LSTM" then
        local c2 = lucid.randn({ 2, 4 }, { dtype = lucid.float64 })
        local c3 = lucid.cat({ c2:unsqueeze(1), c2:unsqueeze(1), z }, 1)
        local ya, sa = m(x, { h2, c2 })
        local yb, sb = m(x, { h3, c3 })
        H.assert_close(ya, yb)
        H.assert_close(sa[1], sb[1])
        H.assert_close(sa[2], sb[2])
      else
        local ya, ha = m(x, h2)
        local yb, hb = m(x, h3)
        H.assert_close(ya, yb)
        H.assert_close(ha, hb)
      end
    end
  end)

  it("accepts a non-contiguous hx and input", function()
    local m = nn.GRU(5, 4, { num_layers = 2, dtype = lucid.float64 })
    local x = lucid.randn({ 3, 6, 5 }, { dtype = lucid.float64 })
    local h = lucid.randn({ 3, 2, 4 }, { dtype = lucid.float64 })
    local ya, ha = m(x:transpose(1, 2), h:transpose(1, 2))
    local yb, hb = m(x:transpose(1, 2):contiguous(), h:transpose(1, 2):contiguous())
    H.assert_close(ya, yb)
    H.assert_close(ha, hb)
  end)

  it("does not record a graph under no_grad", function()
    local m = nn.LSTM(5, 4)
    local y, s = lucid.no_grad(function() return m(lucid.randn(3, 2, 5)) end)
    assert.is_false(y.requires_grad)
    assert.is_false(s[1].requires_grad)
    assert.is_nil(y.grad_fn)
  end)

  it("passes a float64 gradcheck through layers, directions, batch_first and a 2D hx", function()
    lucid.manual_seed(11)
    for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
      local opts = { num_layers = 2, bidirectional = true, batch_first = true, dtype = lucid.float64 }
      if name == "LSTM" then opts.proj_size = 2 end
      local m = nn[name](3, 3, opts)
      local hout = name == "LSTM" and 2 or 3
      local x = lucid.randn({ 2, 3, 3 }, { dtype = lucid.float64, requires_grad = true })
      local h = lucid.randn({ 2, hout }, { dtype = lucid.float64, requires_grad = true })
      local c = lucid.randn({ 2, 3 }, { dtype = lucid.float64, requires_grad = true })
      local w = m.weight_ih_l1_reverse
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, cc, ww)
        if name == "LSTM" then
          local y, s = m(xx, { hh, cc })
          return y, s[1], s[2]
        end
        return m(xx, hh)
      end, { x, h, c, w }))
    end
  end)
end)

describe("nn.RNN/GRU/LSTM dropout", function()
  local function find(name)
    for _, c in ipairs(cases) do
      if c.name == name then return c end
    end
  end

  it("has no effect in eval mode or with dropout = 0", function()
    for _, name in ipairs({ "rnn_tanh_layers2_float64", "gru_layers2_float64", "lstm_layers2_float64" }) do
      local case = find(name)
      local base = module_for(case)
      local m = nn[case.module](5, 4, { num_layers = 2, dropout = 0.5, dtype = lucid.float64,
        nonlinearity = case.options.nonlinearity })
      m:load_state_dict(base:state_dict())
      m:eval()
      local r = H.rnn_forward(case, m)
      check_forward(case, r)
      backward(case, r)
      check_grads(case, r)
      -- dropout = 0 in training mode is the fixture too
      base:train()
      check_forward(case, H.rnn_forward(case, base))
    end
  end)

  it("drops between layers in training: calls differ, the last layer's output is never dropped", function()
    lucid.manual_seed(5)
    local m = nn.RNN(5, 16, { num_layers = 2, dropout = 0.5 })
    assert.is_true(m.training)
    local x = lucid.randn(6, 3, 5)
    local y1, h1 = m(x)
    local y2, h2 = m(x)
    assert.is_true((y1 - y2):abs():max():item() > 1e-3)
    -- first layer's h_n is its own state, before any dropout
    H.assert_close(h1:select(1, 1), h2:select(1, 1))
    -- tanh of a sum with a random bias is never exactly 0: nothing of the output is dropped
    assert.are.equal(0, y1:eq(0):sum():item())
    m:eval()
    local y3 = m(x)
    local y4 = m(x)
    H.assert_close(y3, y4)
  end)

  it("dropout with a single layer changes nothing (it only acts between layers)", function()
    local m = nn.GRU(5, 4, { dropout = 0.5 })
    local x = lucid.randn(6, 3, 5)
    local y1 = m(x)
    m:eval()
    H.assert_close(y1, (m(x)))
  end)

  it("with dropout = 1 the upper layers see zeros", function()
    lucid.manual_seed(9)
    for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
      local m = nn[name](5, 4, { num_layers = 3, dropout = 1, dtype = lucid.float64 })
      local x = lucid.randn({ 6, 2, 5 }, { dtype = lucid.float64 })
      local y, s = m(x)
      local h = name == "LSTM" and s[1] or s
      -- layers 2 and 3 each run on a zero input, as a lone layer with their parameters
      local function layer(l, nin)
        local single = nn[name](nin, 4, { dtype = lucid.float64 })
        local sd = {}
        for k, v in pairs(m:state_dict()) do
          if k:match("_l" .. l .. "$") then sd[(k:gsub("_l%d$", "_l0"))] = v end
        end
        single:load_state_dict(sd)
        local yl, sl = single(lucid.zeros({ 6, 2, nin }, { dtype = lucid.float64 }))
        return yl, name == "LSTM" and sl[1] or sl
      end
      local _, h1 = layer(1, 4)
      local y2, h2 = layer(2, 4)
      H.assert_close(h:narrow(1, 2, 1), h1)
      H.assert_close(h:narrow(1, 3, 1), h2)
      H.assert_close(y, y2) -- the last layer's output is not dropped
      -- and the first layer is untouched
      local bottom = nn[name](5, 4, { dtype = lucid.float64 })
      local sd0 = {}
      for k, v in pairs(m:state_dict()) do
        if k:match("_l0$") then sd0[k] = v end
      end
      bottom:load_state_dict(sd0)
      local _, s0 = bottom(x)
      H.assert_close(h:narrow(1, 1, 1), name == "LSTM" and s0[1] or s0)
      m:eval()
      local ye = m(x)
      assert.is_true((ye - y):abs():max():item() > 1e-6)
    end
  end)
end)

describe("one fused kernel call per layer", function()
  it("whatever the sequence length: no per-step work in Lua; both directions in one call", function()
    local one, both, calls = lucid._C.rnn_layer, lucid._C.rnn_bilayer, { one = 0, both = 0 }
    lucid._C.rnn_layer = function(...) calls.one = calls.one + 1; return one(...) end
    lucid._C.rnn_bilayer = function(...) calls.both = calls.both + 1; return both(...) end
    local ok, err = pcall(function()
      for _, L in ipairs({ 1, 7, 40 }) do
        for _, bidirectional in ipairs({ false, true }) do
          calls.one, calls.both = 0, 0
          local gru = nn.GRU(3, 4, { num_layers = 2, bidirectional = bidirectional })
          local out = gru(lucid.randn(L, 2, 3))
          out:sum():backward()
          assert.are.same(bidirectional and { one = 0, both = 2 } or { one = 2, both = 0 }, calls)
        end
      end
    end)
    lucid._C.rnn_layer, lucid._C.rnn_bilayer = one, both
    assert(ok, err)
  end)
end)

describe("the memory of a training step", function()
  -- As PyTorch frees saved variables in backward: the layer's workspace
  -- (gates, layer-norm statistics) goes when backward is done with it, not
  -- when the collector later reaches the outputs that still hold the graph.
  for _, case in ipairs({ { "LSTM", {} }, { "LSTM", { layer_norm = true } }, { "GRU", { bidirectional = true } },
    { "LSTM", { peephole = true, num_layers = 2 } } }) do
    it(case[1] .. " with " .. (next(case[2]) or "defaults") .. ": backward frees the workspace; a second backward is an error", function()
      local m = nn[case[1]](16, 32, case[2])
      local x = lucid.randn(50, 8, 16)
      collectgarbage()
      local before = lucid.live_bytes()
      local out = m(x)
      local loss = out:sum()
      local held = lucid.live_bytes() - before
      loss:backward()
      local after = lucid.live_bytes() - before
      -- what stays: the output (and its graph's small tensors), parameter gradients
      assert.is_true(after < held / 2, string.format("held %d bytes after forward, %d after backward", held, after))
      local err = H.err_of(function() loss:backward() end)
      assert.matches("backward: trying to backward through the graph a second time", err)
      local kept = m(x):sum()
      kept:backward({ retain_graph = true })
      kept:backward() -- retain_graph keeps the workspace for the second pass
    end)
  end
end)
