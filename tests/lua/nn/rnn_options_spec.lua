-- lucid's recurrent options beyond PyTorch (docs/recurrent.md, "Recurrent
-- options"): each against the equations written with primitive ops
-- (rnn_reference.lua) in float64 to 1e-10, outputs, h_n/c_n and the gradients
-- of the input, the states and every parameter; statistics of the random
-- options; the refused combinations.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local ref = require("nn.rnn_reference")

local f64 = { dtype = lucid.float64 }

-- A fixed weighting of each output, so that every gradient element differs.
local function weights_like(t)
  local n = t:numel()
  return lucid.arange(1, n + 1, f64):mul(0.37):add(-0.18 * n):tanh():view(t.shape)
end

local function loss_of(out, hn, cn)
  local l = (out * weights_like(out)):sum() + (hn * weights_like(hn)):sum()
  if cn then l = l + (cn * weights_like(cn)):sum() end
  return l
end

-- Runs m (fused) and the reference on the same input and seed; compares the
-- outputs and the gradients of x, h0, c0 and every parameter to 1e-10.
local function check_against_reference(m, L, N, seed)
  local D = m.bidirectional and 2 or 1
  local S = m.num_layers * D
  local is_lstm = m.mode == "LSTM"
  local x = lucid.randn(L, N, m.input_size, f64)
  local h0 = lucid.randn(S, N, m.hidden_size, f64)
  local c0 = is_lstm and lucid.randn(S, N, m.hidden_size, f64) or nil
  local function grads(run)
    m:zero_grad()
    local xs, hs = x:clone(), h0:clone()
    xs.requires_grad, hs.requires_grad = true, true
    local cs = c0 and c0:clone()
    if cs then cs.requires_grad = true end
    lucid.manual_seed(seed)
    local out, hn, cn = run(xs, hs, cs)
    loss_of(out, hn, cn):backward()
    local g = { out = out, hn = hn, cn = cn, x = xs.grad, h0 = hs.grad, c0 = cs and cs.grad }
    for name, p in m:named_parameters() do g[name] = p.grad:clone() end
    return g
  end
  local fused = grads(function(xs, hs, cs)
    if is_lstm then
      local out, st = m(xs, { hs, cs })
      return out, st[1], st[2]
    end
    local out, hn = m(xs, hs)
    return out, hn
  end)
  local want = grads(function(xs, hs, cs) return ref.run(m, xs, hs, cs) end)
  for k, v in pairs(want) do
    H.assert_close(fused[k], v, 1e-10, 1e-10, k)
  end
end

-- A cell (kind "lstm" or "gru") against rnn_reference's step on the same
-- input: h' (and c') and the gradients of x, h, c and every parameter to 1e-10.
local function check_cell_against_reference(kind, cell)
  local H_ = cell.hidden_size
  local x, h = lucid.randn(2, cell.input_size, f64), lucid.randn(2, H_, f64)
  local c = kind == "lstm" and lucid.randn(2, H_, f64) or nil
  local function grads(run)
    cell:zero_grad()
    local xs, hs, cs = x:clone(), h:clone(), c and c:clone()
    xs.requires_grad, hs.requires_grad = true, true
    if cs then cs.requires_grad = true end
    local h1, c1 = run(xs, hs, cs)
    loss_of(h1, h1, c1):backward()
    local g = { h = h1, c = c1, dx = xs.grad, dh = hs.grad, dc = cs and cs.grad }
    for name, p in cell:named_parameters() do g[name] = p.grad:clone() end
    return g
  end
  local fused = grads(function(xs, hs, cs)
    if kind == "lstm" then return cell(xs, { hs, cs }) end
    return cell(xs, hs)
  end)
  local want = grads(function(xs, hs, cs) return ref.step(kind, cell, xs, hs, cs, H_) end)
  for k, v in pairs(want) do H.assert_close(fused[k], v, 1e-10, 1e-10, k) end
end

describe("forget_bias", function()
  it("sets the forget-gate slice of every bias_ih to v and of bias_hh to 0, the rest drawn as usual", function()
    local m = nn.LSTM(3, 4, 2, { forget_bias = 1.5, bidirectional = true, dtype = lucid.float64 })
    for _, sfx in ipairs({ "_l0", "_l1", "_l0_reverse", "_l1_reverse" }) do
      local bi, bh = m["bias_ih" .. sfx], m["bias_hh" .. sfx]
      assert.are.same({ 1.5, 1.5, 1.5, 1.5 }, bi:narrow(1, 5, 4):tolist())
      assert.are.same({ 0, 0, 0, 0 }, bh:narrow(1, 5, 4):tolist())
      assert.is_true(bi:narrow(1, 1, 4):abs():max():item() <= 0.5)   -- U(-1/sqrt(4), 1/sqrt(4))
      assert.is_true(bi:narrow(1, 9, 8):abs():sum():item() > 0)
      assert.is_true(bi.requires_grad)
    end
    local c = nn.LSTMCell(3, 4, { forget_bias = -2 })
    assert.are.same({ -2, -2, -2, -2 }, c.bias_ih:narrow(1, 5, 4):tolist())
    assert.are.same({ 0, 0, 0, 0 }, c.bias_hh:narrow(1, 5, 4):tolist())
  end)

  it("is applied again by reset_parameters, which draws every parameter anew", function()
    for _, m in ipairs({ nn.LSTM(3, 4, { forget_bias = 1 }), nn.LSTMCell(3, 4, { forget_bias = 1 }) }) do
      local sfx = m.mode and "_l0" or ""
      local w_before = m["weight_ih" .. sfx]:clone()
      m["bias_ih" .. sfx]:detach():fill_(7)
      m:reset_parameters()
      assert.is_true((m["weight_ih" .. sfx] - w_before):abs():max():item() > 0)
      assert.is_true(m["weight_ih" .. sfx]:abs():max():item() <= 0.5)
      assert.are.same({ 1, 1, 1, 1 }, m["bias_ih" .. sfx]:narrow(1, 5, 4):tolist())
      assert.are.same(0, m["bias_ih" .. sfx]:eq(7):sum():item())
    end
    local plain = nn.GRU(2, 3)
    plain:reset_parameters()
    assert.is_true(plain.bias_hh_l0:abs():max():item() <= 1 / math.sqrt(3))
  end)

  it("changes nothing else: the module computes the plain equations", function()
    check_against_reference(nn.LSTM(3, 4, 2, { forget_bias = 1, dtype = lucid.float64 }), 5, 2, 1)
  end)

  it("needs a bias and an LSTM", function()
    H.raises(function() nn.LSTM(3, 4, { forget_bias = 1, bias = false }) end,
      "LSTM: forget_bias needs bias = true")
    H.raises(function() nn.LSTMCell(3, 4, { forget_bias = 1, bias = false }) end,
      "LSTMCell: forget_bias needs bias = true")
    H.raises(function() nn.GRU(3, 4, { forget_bias = 1 }) end, "GRU: unknown option 'forget_bias'")
    H.raises(function() nn.LSTM(3, 4, { forget_bias = 0 / 0 }) end, "LSTM: forget_bias must be a finite number, got")
    H.raises(function() nn.LSTMCell(3, 4, { forget_bias = math.huge }) end,
      "LSTMCell: forget_bias must be a finite number, got inf")
    H.raises(function() nn.LSTM(3, 4, { forget_bias = "1" }) end, "LSTM: forget_bias must be a number")
  end)

  it("prints", function()
    assert.are.equal("LSTM(3, 4, forget_bias=1.0)", tostring(nn.LSTM(3, 4, { forget_bias = 1 })))
  end)
end)

describe("weight_dropout", function()
  it("equals the equations with W_hh dropped once per forward, gradients reaching the raw weight", function()
    for _, mod in ipairs({ "LSTM", "GRU" }) do
      local m = nn[mod](3, 4, 2, { weight_dropout = 0.4, bidirectional = true, dtype = lucid.float64 })
      check_against_reference(m, 5, 2, 7)
    end
  end)

  it("keeps each weight with probability 1 - p, a new mask at each forward; eval uses the raw weight", function()
    local p, Hs = 0.3, 48
    local m = nn.LSTM(1, Hs, { weight_dropout = p, bias = false, dtype = lucid.float64 })
    -- one step from h0 = 1: dL/dW_hh[g, j] is zero exactly where the mask dropped it
    local x, h0, c0 = lucid.zeros(1, 1, 1, f64), lucid.ones(1, 1, Hs, f64), lucid.ones(1, 1, Hs, f64)
    local function kept()
      m:zero_grad()
      local out = m(x, { h0, c0 })
      out:sum():backward()
      return m.weight_hh_l0.grad:ne(0)
    end
    local a, b = kept(), kept()
    local n = a:numel()
    local rate = a:sum():item() / n
    assert.is_true(math.abs(rate - (1 - p)) < 4 * math.sqrt(p * (1 - p) / n), "keep rate " .. rate)
    assert.is_true(a:ne(b):sum():item() > 0)                 -- a new mask per forward
    lucid.manual_seed(3); local y1 = m(x, { h0, c0 })
    lucid.manual_seed(3); local y2 = m(x, { h0, c0 })
    assert.are.equal(0, (y1 - y2):abs():max():item())     -- reproducible under manual_seed
    m:eval()
    local e1, e2 = m(x, { h0, c0 }), m(x, { h0, c0 })
    local plain = nn.LSTM(1, Hs, { bias = false, dtype = lucid.float64 })
    plain:load_state_dict(m:state_dict())
    assert.are.equal(0, (e1 - e2):abs():max():item())
    assert.are.equal(0, (e1 - plain(x, { h0, c0 })):abs():max():item())
  end)

  -- A cell's step (training) against the reference on the same draws, in
  -- the order the cell makes them: W_hh's uniform noise (lucid.rand of its
  -- shape), then zoneout's; outputs and the gradients of x, h, c and every
  -- parameter, the raw weight_hh's through the mask, to 1e-10.
  local function check_cell(cell, kind, seed)
    local p, Hs, N = cell.weight_dropout, cell.hidden_size, 3
    local x = lucid.randn(N, cell.input_size, f64):requires_grad_()
    local h, c = lucid.randn(N, Hs, f64):requires_grad_(), lucid.randn(N, Hs, f64):requires_grad_()
    local function run(f)
      lucid.manual_seed(seed)
      local h2, c2 = f()
      local l = (h2 * weights_like(h2)):sum()
      if c2 then l = l + (c2 * weights_like(c2)):sum() end
      l:backward()
      local g = { x = x.grad, h = h.grad, c = c.grad }
      x.grad, h.grad, c.grad = nil, nil, nil
      return h2, c2, g
    end
    cell:zero_grad()
    local h1, c1, g1 = run(function() return cell(x, kind == "lstm" and { h, c } or h) end)
    local q = {}
    for name, t in cell:named_parameters() do q[name] = t:detach():clone():requires_grad_() end
    local h2, c2, g2 = run(function()
      local keep = lucid.rand(cell.weight_hh.shape, f64):lt(1 - p):double() / (1 - p)
      local zh, zc
      if cell.zoneout > 0 then
        zh = lucid.rand(N, Hs, f64):lt(cell.zoneout):double()
        if kind == "lstm" then zc = lucid.rand(N, Hs, f64):lt(cell.zoneout):double() end
      end
      local dropped = setmetatable({ weight_hh = q.weight_hh * keep }, { __index = q })
      return ref.step(kind, dropped, x, h, kind == "lstm" and c or nil, Hs, nil, zh, zc)
    end)
    local what = tostring(cell)
    H.assert_close(h1, h2, 1e-10, 1e-10, what .. " h'")
    if kind == "lstm" then H.assert_close(c1, c2, 1e-10, 1e-10, what .. " c'") end
    for _, k in ipairs({ "x", "h", "c" }) do
      if g2[k] then H.assert_close(g1[k], g2[k], 1e-10, 1e-10, what .. " grad " .. k) end
    end
    for name, t in cell:named_parameters() do
      H.assert_close(t.grad, q[name].grad, 1e-10, 1e-10, what .. " grad " .. name)
    end
    return h1
  end

  it("on a cell equals the equations with W_hh dropped at each call, gradients reaching the raw weight", function()
    local o = { weight_dropout = 0.4, dtype = lucid.float64 }
    local function with(extra)
      local t = { weight_dropout = o.weight_dropout, dtype = o.dtype }
      for k, v in pairs(extra) do t[k] = v end
      return t
    end
    for _, kind in ipairs({ "lstm", "gru" }) do
      local Cell = nn[kind == "lstm" and "LSTMCell" or "GRUCell"]
      check_cell(Cell(3, 5, o), kind, 41)
      check_cell(Cell(3, 5, with({ layer_norm = true })), kind, 42)
      check_cell(Cell(3, 5, with({ zoneout = 0.3 })), kind, 43) -- the layer kernel's path
    end
    check_cell(nn.LSTMCell(3, 5, with({ peephole = true, forget_bias = 1 })), "lstm", 44)
  end)

  it("on a cell draws a new mask at each call, the draws nn.functional.dropout makes; eval uses W_hh", function()
    local c = nn.GRUCell(3, 5, { weight_dropout = 0.5, dtype = lucid.float64 })
    local x, h = lucid.randn(2, 3, f64), lucid.randn(2, 5, f64)
    lucid.manual_seed(11)
    local got, again = c(x, h), c(x, h)
    assert.is_true((got - again):abs():max():item() > 0) -- a new mask per call
    lucid.manual_seed(11)
    local w = nn.functional.dropout(c.weight_hh, 0.5, true) -- the stream cells drew before the fused mask
    local want = ref.step("gru", { weight_ih = c.weight_ih, weight_hh = w, bias_ih = c.bias_ih,
      bias_hh = c.bias_hh }, x, h, nil, 5)
    H.assert_close(got, want, 1e-12, 1e-12)
    c:eval()
    local e1, e2 = c(x, h), c(x, h)
    assert.are.equal(0, (e1 - e2):abs():max():item())
    H.assert_close(e1, ref.step("gru", c, x, h, nil, 5), 1e-12, 1e-12)
    assert.are.equal(0, (lucid.no_grad(c, x, h) - e1):abs():max():item())
  end)

  it("must be in [0, 1), and NaN is not", function()
    H.raises(function() nn.GRU(3, 4, { weight_dropout = 1 }) end, "GRU: weight_dropout must be in [0, 1), got 1")
    H.raises(function() nn.GRU(3, 4, { weight_dropout = -0.1 }) end,
      "GRU: weight_dropout must be in [0, 1), got -0.1")
    H.raises(function() nn.GRU(3, 4, { weight_dropout = 0 / 0 }) end, "GRU: weight_dropout must be in [0, 1), got")
    H.raises(function() nn.LSTM(3, 4, { variational = true, recurrent_dropout = 0 / 0 }) end,
      "LSTM: recurrent_dropout must be in [0, 1), got")
    assert.are.equal(0.999, nn.GRU(3, 4, { weight_dropout = 0.999 }).weight_dropout)
  end)
end)

-- The fraction of columns of g (a gradient (rows, F)) that are zero in every
-- row: the units a per-sequence mask dropped at every step.
local function dropped_columns(g)
  return g:ne(0):sum(1):eq(0):sum():item(), g:size(2)
end

describe("variational and recurrent_dropout", function()
  it("equal the equations with one mask per sequence, between layers and on the state fed to W_hh", function()
    for _, mod in ipairs({ "LSTM", "GRU" }) do
      local m = nn[mod](3, 4, 3, { variational = true, dropout = 0.3, recurrent_dropout = 0.4,
        bidirectional = true, dtype = lucid.float64 })
      check_against_reference(m, 5, 3, 5)
      local w = nn[mod](3, 4, 2, { variational = true, dropout = 0.5, weight_dropout = 0.3,
        dtype = lucid.float64 })
      check_against_reference(w, 4, 2, 9)
    end
  end)

  it("drop a unit at every step or at none, at rate p; eval is deterministic", function()
    local p, Hs = 0.35, 40
    -- one sequence: a column of dW_hh (dW_ih of layer 2) is zero exactly when
    -- its unit's mask is zero at every step
    local m = nn.GRU(3, Hs, 2, { variational = true, dropout = p, recurrent_dropout = p, dtype = lucid.float64 })
    local x = lucid.randn(6, 1, 3, f64)
    local rec, inter, n = 0, 0, 0
    for _ = 1, 25 do
      m:zero_grad()
      local out = m(x)
      out:sum():backward()
      local a, cols = dropped_columns(m.weight_hh_l0.grad)
      local b = dropped_columns(m.weight_ih_l1.grad)
      rec, inter, n = rec + a, inter + b, n + cols
    end
    local sd = math.sqrt(p * (1 - p) / n)
    assert.is_true(math.abs(rec / n - p) < 4 * sd, "recurrent drop rate " .. rec / n)
    assert.is_true(math.abs(inter / n - p) < 4 * sd, "between-layer drop rate " .. inter / n)
    m:eval()
    local e1, e2 = m(x), m(x)
    assert.are.equal(0, (e1 - e2):abs():max():item())
  end)

  it("work with packed sequences: each sequence keeps its mask at every step", function()
    local rnn_utils = nn.utils.rnn
    local m = nn.LSTM(2, 3, 2, { variational = true, dropout = 0.5, recurrent_dropout = 0.5,
      dtype = lucid.float64 })
    local seqs = { lucid.randn(4, 2, f64), lucid.randn(3, 2, f64) }
    local packed = rnn_utils.pack_sequence(seqs)
    lucid.manual_seed(4)
    local out = m(packed)
    local padded = rnn_utils.pad_packed_sequence(out)
    -- the same masks on the padded batch (the second sequence padded with zeros)
    lucid.manual_seed(4)
    local x = rnn_utils.pad_sequence(seqs)
    local want = ref.run(m, x)
    H.assert_close(padded:narrow(1, 1, 3), want:narrow(1, 1, 3), 1e-10, 1e-10)
    H.assert_close(padded[4][1], want[4][1], 1e-10, 1e-10)
  end)

  it("refuse recurrent_dropout without variational, naming both", function()
    H.raises(function() nn.LSTM(3, 4, { recurrent_dropout = 0.2 }) end,
      "LSTM: recurrent_dropout needs variational = true")
    H.raises(function() nn.GRUCell(3, 4, { variational = true }) end, "GRUCell: unknown option 'variational'")
    assert.are.equal("GRU(3, 4, num_layers=2, dropout=0.5, variational=True, recurrent_dropout=0.25)",
      tostring(nn.GRU(3, 4, 2, { dropout = 0.5, variational = true, recurrent_dropout = 0.25 })))
  end)
end)

describe("zoneout", function()
  it("equals the equations, in training (0/1 draws per step and unit) and in eval (the expectation)", function()
    for _, mod in ipairs({ "LSTM", "GRU" }) do
      local m = nn[mod](3, 4, 2, { zoneout = 0.3, bidirectional = true, dtype = lucid.float64 })
      check_against_reference(m, 5, 2, 13)
      m:eval()
      check_against_reference(m, 5, 2, 13)
    end
    local all = nn.LSTM(3, 4, 2, { zoneout = 0.2, weight_dropout = 0.3, variational = true, dropout = 0.4,
      recurrent_dropout = 0.3, forget_bias = 1, dtype = lucid.float64 })
    check_against_reference(all, 4, 3, 17)
  end)

  it("in eval mixes h' = p h + (1 - p) h_new, h_new from the unmixed c_new, on cells too", function()
    local p = 0.25
    local cell = nn.LSTMCell(3, 4, { zoneout = p, dtype = lucid.float64 })
    cell:eval()
    local x, h, c = lucid.randn(2, 3, f64), lucid.randn(2, 4, f64), lucid.randn(2, 4, f64)
    local hn, cn = ref.plain_step("lstm", cell, x, h, c, 4)
    local h1, c1 = cell(x, { h, c })
    H.assert_close(h1, p * h + (1 - p) * hn, 1e-12, 1e-12)
    H.assert_close(c1, p * c + (1 - p) * cn, 1e-12, 1e-12)
  end)

  it("keeps each unit's old value with probability p, drawn anew at every step", function()
    local p, Hs, N = 0.3, 50, 4
    local cell = nn.GRUCell(2, Hs, { zoneout = p, dtype = lucid.float64 })
    local x, h = lucid.randn(N, 2, f64), lucid.randn(N, Hs, f64)
    lucid.manual_seed(21)
    local a = cell(x, h):eq(h)
    local b = cell(x, h):eq(h)
    local n = a:numel()
    local rate = a:sum():item() / n
    assert.is_true(math.abs(rate - p) < 4 * math.sqrt(p * (1 - p) / n), "keep rate " .. rate)
    assert.is_true(a:ne(b):sum():item() > 0)
    lucid.manual_seed(21)
    assert.are.equal(0, cell(x, h):eq(h):ne(a):sum():item()) -- reproducible
  end)

  it("must be in [0, 1), and NaN is not", function()
    H.raises(function() nn.LSTMCell(3, 4, { zoneout = 1 }) end, "LSTMCell: zoneout must be in [0, 1), got 1")
    H.raises(function() nn.LSTM(3, 4, { zoneout = 0 / 0 }) end, "LSTM: zoneout must be in [0, 1), got")
  end)
end)

describe("peephole", function()
  it("adds weight_ci, weight_cf, weight_co per layer and direction", function()
    local m = nn.LSTM(3, 4, 2, { peephole = true, bidirectional = true })
    for _, sfx in ipairs({ "_l0", "_l1", "_l0_reverse", "_l1_reverse" }) do
      for _, w in ipairs({ "weight_ci", "weight_cf", "weight_co" }) do
        assert.are.equal("(4)", tostring(m[w .. sfx].shape))
        assert.is_true(m[w .. sfx]:abs():max():item() <= 0.5)
      end
    end
    assert.are.equal(28, #m:parameters())
    assert.are.equal("LSTM(3, 4, num_layers=2, bidirectional=True, peephole=True)", tostring(m))
    local c = nn.LSTMCell(3, 4, { peephole = true })
    assert.are.equal(7, #c:parameters())
  end)

  it("equals the equations: i, f see c, o sees c', with every option", function()
    check_against_reference(nn.LSTM(3, 4, 2, { peephole = true, bidirectional = true, dtype = lucid.float64 }),
      5, 2, 23)
    local all = nn.LSTM(3, 4, 2, { peephole = true, zoneout = 0.2, weight_dropout = 0.3, variational = true,
      dropout = 0.4, recurrent_dropout = 0.3, forget_bias = 1, dtype = lucid.float64 })
    check_against_reference(all, 4, 3, 29)
  end)

  it("on LSTMCell: values and gradients as the equations, and gradcheck", function()
    local cell = nn.LSTMCell(3, 4, { peephole = true, dtype = lucid.float64 })
    check_cell_against_reference("lstm", cell)
    local x, h, c = lucid.randn(2, 3, f64), lucid.randn(2, 4, f64), lucid.randn(2, 4, f64)
    local w = cell.weight_cf
    assert.is_true(lucid.autograd.gradcheck(function(v)
      cell.weight_cf = v
      local hh, cc = cell(x, { h, c })
      return hh + cc
    end, { w }))
    cell.weight_cf = w
  end)

  it("is an LSTM option only", function()
    H.raises(function() nn.GRU(3, 4, { peephole = true }) end, "GRU: unknown option 'peephole'")
  end)
end)

describe("layer_norm", function()
  -- layer norms start at weight 1, bias 0: perturb them so that they matter
  local function perturb(m)
    lucid.no_grad(function()
      for name, p in m:named_parameters() do
        if name:find("^ln_") then p:add_(lucid.randn(p.shape, { dtype = p.dtype }) * 0.3) end
      end
    end)
    return m
  end

  it("has the layer norms' parameters instead of the biases", function()
    local m = nn.LSTM(3, 4, { layer_norm = true, bidirectional = true })
    assert.is_nil(m.bias_ih_l0)
    assert.are.equal("(16)", tostring(m.ln_ih_weight_l0_reverse.shape))
    assert.are.equal("(4)", tostring(m.ln_c_bias_l0.shape))
    assert.are.same({ 1, 1, 1, 1 }, m.ln_c_weight_l0:tolist())
    assert.are.equal(0, m.ln_hh_bias_l0:abs():sum():item())
    m:reset_parameters()
    assert.are.equal(16, m.ln_ih_weight_l0:sum():item())
    local g = nn.GRUCell(3, 4, { layer_norm = true })
    assert.are.equal("(12)", tostring(g.ln_hh_weight.shape))
    assert.is_nil(g.ln_c_weight)
    assert.are.equal(6, #g:parameters())
  end)

  it("equals the equations (LN over the projections, and over c' for LSTM), with the other options", function()
    for _, mod in ipairs({ "LSTM", "GRU" }) do
      for _, H_ in ipairs({ 1, 2 }) do -- fewer units than the row statistics kept per row
        check_against_reference(perturb(nn[mod](3, H_, 2, { layer_norm = true, bidirectional = true,
          dtype = lucid.float64 })), 5, 3, 30 + H_)
      end
      check_against_reference(perturb(nn[mod](3, 4, 2, { layer_norm = true, bidirectional = true,
        dtype = lucid.float64 })), 5, 2, 31)
      check_against_reference(perturb(nn[mod](3, 4, 2, { layer_norm = true, zoneout = 0.2, weight_dropout = 0.3,
        variational = true, dropout = 0.4, recurrent_dropout = 0.3, dtype = lucid.float64 })), 4, 3, 37)
    end
  end)

  it("equals the equations at widths and batches that are not multiples of the kernel's 8", function()
    -- H = 11: the LSTM's 4H = 44 and the GRU's 3H = 33 are blocks of 8 partial sums and a
    -- rest, the LSTM's LN over c' (11) one block and a rest (H = 4 above has only whole
    -- blocks or rests); N = 19: the backward adds the LN parameters' gradients of groups
    -- of 8 batch rows, here two whole groups and a rest
    for _, mod in ipairs({ "LSTM", "GRU" }) do
      check_against_reference(perturb(nn[mod](5, 11, { layer_norm = true, dtype = lucid.float64 })), 4, 19, 41)
    end
  end)

  it("on cells equals the equations, values and gradients", function()
    for _, kind in ipairs({ "lstm", "gru" }) do
      local cell = perturb(nn[kind == "lstm" and "LSTMCell" or "GRUCell"](3, 4, { layer_norm = true, dtype = lucid.float64 }))
      check_cell_against_reference(kind, cell)
    end
  end)

  it("on cells reads its parameters at each call: in-place changes, .data, reassignment, load_state_dict", function()
    local cell = perturb(nn.LSTMCell(3, 4, { layer_norm = true, dtype = lucid.float64 }))
    local x, h, c = lucid.randn(2, 3, f64), lucid.randn(2, 4, f64), lucid.randn(2, 4, f64)
    local function same_as_reference(what)
      local h1, c1 = cell(x, { h, c })
      local h2, c2 = ref.step("lstm", cell, x, h, c, 4)
      H.assert_close(h1, h2, 1e-12, 1e-12, what .. " h'")
      H.assert_close(c1, c2, 1e-12, 1e-12, what .. " c'")
      return h1, c1
    end
    local before = same_as_reference("first call")
    lucid.no_grad(function() cell.ln_c_weight:mul_(1.5) end)
    local after = same_as_reference("in place")
    assert.is_true((after - before):abs():max():item() > 1e-3)
    cell.ln_hh_bias.data = lucid.randn(16, f64)
    same_as_reference(".data")
    local old = cell.ln_ih_bias
    cell.ln_ih_bias = lucid.randn(16, f64)
    same_as_reference("reassigned")
    local h1, c1 = cell(x, { h, c })
    old.grad = nil
    ;(h1:sum() + c1:sum()):backward()
    assert.is_nil(old.grad)                                 -- the replaced tensor is out of the graph
    assert.are.equal("(16)", tostring(cell.ln_ih_bias.grad.shape)) -- the new one is in it
    local other = perturb(nn.LSTMCell(3, 4, { layer_norm = true, dtype = lucid.float64 }))
    cell:load_state_dict(other:state_dict())
    local h3 = same_as_reference("load_state_dict")
    H.assert_close(h3, (other(x, { h, c })), 0, 0, "as the other cell")
  end)

  it("refuses peephole and forget_bias with it, naming both", function()
    H.raises(function() nn.LSTM(3, 4, { layer_norm = true, peephole = true }) end,
      "LSTM: peephole and layer_norm cannot be combined")
    H.raises(function() nn.LSTMCell(3, 4, { layer_norm = true, forget_bias = 1 }) end,
      "LSTMCell: forget_bias and layer_norm cannot be combined")
    H.raises(function() nn.GRU(3, 4, { layer_norm = true, bias = false }) end,
      "GRU: layer_norm and bias = false cannot be combined")
    H.raises(function() nn.GRUCell(3, 4, { layer_norm = true, bias = false }) end,
      "GRUCell: layer_norm and bias = false cannot be combined")
  end)
end)
