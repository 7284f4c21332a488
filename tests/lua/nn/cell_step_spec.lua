-- lucid._C.rnn_cell_step, the one-step kernel behind RNNCell, GRUCell and
-- LSTMCell (core/rnn_step.c): for every cell kind it gives the outputs and
-- gradients of the layer kernel (lucid._C.rnn_layer) run over one time step,
-- and of the same step written with nn.functional ops; it passes a float64
-- gradcheck; the cell's parameter may come in parts; under weight dropout it
-- equals the plain step on the masked weight; bad arguments raise errors.
local lucid = require("lucid")
local F = require("nn.functional")
local H = require("helpers")

local step, layer = lucid._C.rnn_cell_step, lucid._C.rnn_layer
local f64 = { dtype = lucid.float64, requires_grad = true }

-- The parameters of a cell kind (from rnn_cell's facts) for N rows of I
-- inputs and H hidden units, float64 leaves; extra per H as the kind says.
local function params(kind, N, I, Hs)
  local info = lucid._C.rnn_cell(kind)
  local G = info.gates * Hs
  local p = {
    x = lucid.randn(N, I, f64), h = lucid.randn(N, Hs, f64),
    c = info.has_cell and lucid.randn(N, Hs, f64) or nil,
    w_ih = lucid.randn(G, I, f64), w_hh = lucid.randn(G, Hs, f64),
  }
  if kind:match("_ln$") == nil then p.b_ih, p.b_hh = lucid.randn(G, f64), lucid.randn(G, f64) end
  if info.extra > 0 then p.extra = (lucid.randn(info.extra * Hs, { dtype = lucid.float64 }) * 0.5 + 1):requires_grad_() end
  return p
end

local ORDER = { "x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh", "extra" }

local function leaves(p)
  local out = {}
  for _, k in ipairs(ORDER) do
    if p[k] then out[#out + 1] = { k, p[k] } end
  end
  return out
end

-- h' and c' of one step through each kernel.
local function by_step(kind, p)
  return step(kind, p.x, p.h, p.c, p.w_ih, p.w_hh, p.b_ih, p.b_hh, nil, nil, p.extra)
end

local function by_layer(kind, p)
  local _, h, c = layer(kind, p.x, 1, false, p.h, p.c, p.w_ih, p.w_hh, p.b_ih, p.b_hh, nil, nil, nil, nil, p.extra)
  return h, c
end

-- Runs both kernels on the same leaves with the same random output weights;
-- returns their outputs and every leaf's gradient.
local function outputs_and_grads(kernel, kind, p, wh, wc)
  for _, l in ipairs(leaves(p)) do l[2].grad = nil end
  local h, c = kernel(kind, p)
  local loss = (h * wh):sum()
  if c then loss = loss + (c * wc):sum() end
  loss:backward()
  local grads = {}
  for _, l in ipairs(leaves(p)) do grads[l[1]] = l[2].grad end
  return h, c, grads
end

local KINDS = { "rnn_tanh", "rnn_relu", "gru", "lstm", "lstm_peephole", "lstm_ln", "gru_ln" }

describe("lucid._C.rnn_cell_step", function()
  for _, kind in ipairs(KINDS) do
    it(kind .. " equals the layer kernel over one step: outputs and every gradient", function()
      lucid.manual_seed(7)
      local p = params(kind, 5, 3, 4)
      local wh, wc = lucid.randn(5, 4, { dtype = lucid.float64 }), lucid.randn(5, 4, { dtype = lucid.float64 })
      local h1, c1, g1 = outputs_and_grads(by_step, kind, p, wh, wc)
      local h2, c2, g2 = outputs_and_grads(by_layer, kind, p, wh, wc)
      H.assert_close(h1, h2, 1e-12, 1e-12, "h")
      if c2 then H.assert_close(c1, c2, 1e-12, 1e-12, "c") else assert.is_nil(c1) end
      for _, l in ipairs(leaves(p)) do
        assert.is_not_nil(g1[l[1]], "grad " .. l[1])
        H.assert_close(g1[l[1]], g2[l[1]], 1e-12, 1e-12, "grad " .. l[1])
      end
    end)

    it(kind .. " passes gradcheck (float64) w.r.t. every input", function()
      lucid.manual_seed(8)
      local p = params(kind, 3, 2, 3)
      local ls = leaves(p)
      local inputs, names = {}, {}
      for i, l in ipairs(ls) do inputs[i], names[i] = l[2], l[1] end
      local function fn(...)
        local q = {}
        for i, v in ipairs({ ... }) do q[names[i]] = v end
        return by_step(kind, q)
      end
      assert.is_true(lucid.autograd.gradcheck(fn, inputs))
    end)
  end

  it("equals the step written with nn.functional ops (tanh RNN, GRU, LSTM), float32", function()
    lucid.manual_seed(9)
    local N, I, Hs = 4, 3, 5
    local x, h, c = lucid.randn(N, I), lucid.randn(N, Hs), lucid.randn(N, Hs)
    local function lin(v, w, b) return F.linear(v, w, b) end
    -- RNN
    local w_ih, w_hh, b_ih, b_hh = lucid.randn(Hs, I), lucid.randn(Hs, Hs), lucid.randn(Hs), lucid.randn(Hs)
    H.assert_close(step("rnn_tanh", x, h, nil, w_ih, w_hh, b_ih, b_hh),
      (lin(x, w_ih, b_ih) + lin(h, w_hh, b_hh)):tanh(), 1e-5, 1e-6, "rnn h'")
    -- GRU, gates [r; z; n]
    w_ih, w_hh, b_ih, b_hh = lucid.randn(3 * Hs, I), lucid.randn(3 * Hs, Hs), lucid.randn(3 * Hs), lucid.randn(3 * Hs)
    local gi, gh = lin(x, w_ih, b_ih), lin(h, w_hh, b_hh)
    local function part(t, k) return t:narrow(2, (k - 1) * Hs + 1, Hs) end
    local r = (part(gi, 1) + part(gh, 1)):sigmoid()
    local z = (part(gi, 2) + part(gh, 2)):sigmoid()
    local n = (part(gi, 3) + r * part(gh, 3)):tanh()
    H.assert_close(step("gru", x, h, nil, w_ih, w_hh, b_ih, b_hh), (1 - z) * n + z * h, 1e-5, 1e-6, "gru h'")
    -- LSTM, gates [i; f; g; o]
    w_ih, w_hh, b_ih, b_hh = lucid.randn(4 * Hs, I), lucid.randn(4 * Hs, Hs), lucid.randn(4 * Hs), lucid.randn(4 * Hs)
    local g = lin(x, w_ih, b_ih) + lin(h, w_hh, b_hh)
    local c2 = part(g, 2):sigmoid() * c + part(g, 1):sigmoid() * part(g, 3):tanh()
    local h1, c1 = step("lstm", x, h, c, w_ih, w_hh, b_ih, b_hh)
    H.assert_close(c1, c2, 1e-5, 1e-6, "lstm c'")
    H.assert_close(h1, part(g, 4):sigmoid() * c2:tanh(), 1e-5, 1e-6, "lstm h'")
  end)

  it("takes the cell's parameter in parts: the same outputs, each part its own gradient", function()
    lucid.manual_seed(10)
    local p = params("lstm_ln", 3, 2, 4) -- 18 H: ln_ih w, b, ln_hh w, b (4H each), ln_c w, b (H each)
    local sizes = { 16, 16, 16, 16, 4, 4 }
    local parts, at = {}, 1
    for j, n in ipairs(sizes) do
      parts[j] = p.extra:detach():narrow(1, at, n):clone():requires_grad_()
      at = at + n
    end
    local wh, wc = lucid.randn(3, 4, { dtype = lucid.float64 }), lucid.randn(3, 4, { dtype = lucid.float64 })
    local h1, c1, g1 = outputs_and_grads(by_step, "lstm_ln", p, wh, wc)
    local h2, c2 = step("lstm_ln", p.x, p.h, p.c, p.w_ih, p.w_hh, nil, nil, nil, nil, table.unpack(parts))
    H.assert_close(h2, h1, 1e-14, 0, "h")
    H.assert_close(c2, c1, 1e-14, 0, "c")
    local loss = (h2 * wh):sum() + (c2 * wc):sum()
    loss:backward()
    at = 1
    for j, n in ipairs(sizes) do
      H.assert_close(parts[j].grad, g1.extra:narrow(1, at, n), 1e-14, 0, "part " .. j)
      at = at + n
    end
  end)

  it("runs on W_hh * [u < 1 - p] / (1 - p) under weight dropout; W_hh's gradient goes through the mask", function()
    for _, kind in ipairs(KINDS) do
      lucid.manual_seed(12)
      local p = params(kind, 4, 3, 5)
      local drop = 0.35
      local u = lucid.rand(p.w_hh.shape, { dtype = lucid.float64 })
      local keep = u:lt(1 - drop):double() / (1 - drop)
      local wh, wc = lucid.randn(4, 5, { dtype = lucid.float64 }), lucid.randn(4, 5, { dtype = lucid.float64 })
      local function dropped(_, q) -- the reference: the plain step on the masked weight
        local w = q.w_hh * keep
        return step(kind, q.x, q.h, q.c, q.w_ih, w, q.b_ih, q.b_hh, nil, nil, q.extra)
      end
      local function noisy(_, q) return step(kind, q.x, q.h, q.c, q.w_ih, q.w_hh, q.b_ih, q.b_hh, u, drop, q.extra) end
      local h1, c1, g1 = outputs_and_grads(noisy, kind, p, wh, wc)
      local h2, c2, g2 = outputs_and_grads(dropped, kind, p, wh, wc)
      H.assert_close(h1, h2, 1e-12, 1e-12, kind .. " h")
      if c2 then H.assert_close(c1, c2, 1e-12, 1e-12, kind .. " c") end
      for _, l in ipairs(leaves(p)) do H.assert_close(g1[l[1]], g2[l[1]], 1e-12, 1e-12, kind .. " grad " .. l[1]) end
      assert.is_true(g1.w_hh:eq(0):sum():item() >= u:ge(1 - drop):sum():item(), "dropped weights get no gradient")
    end
  end)

  it("is one autograd node, and records none under no_grad", function()
    local p = params("gru", 2, 3, 4)
    local h = by_step("gru", p)
    assert.are.equal("GRUBackward", h.grad_fn.name)
    local h0 = lucid.no_grad(by_step, "gru", p)
    assert.is_nil(h0.grad_fn)
    assert.is_false(h0.requires_grad)
  end)

  it("refuses bad arguments with errors naming the cell and what is wrong", function()
    local x, h = lucid.randn(2, 3), lucid.randn(2, 4)
    local w_ih, w_hh = lucid.randn(4, 3), lucid.randn(4, 4)
    local function err(...)
      local ok, e = pcall(step, ...)
      assert.is_false(ok)
      return tostring(e)
    end
    assert.matches("unknown cell kind 'nope'", err("nope", x, h, nil, w_ih, w_hh))
    assert.matches("RNN: weight_ih has shape %(4, 2%) and dtype float32, expected %(4, 3%)",
      err("rnn_tanh", x, h, nil, lucid.randn(4, 2), w_hh))
    assert.matches("RNN: h has shape %(3, 4%)", err("rnn_tanh", x, lucid.randn(3, 4), nil, w_ih, w_hh))
    assert.matches("RNN: give both biases or neither", err("rnn_tanh", x, h, nil, w_ih, w_hh, lucid.randn(4)))
    assert.matches("RNN: bias_ih has shape %(5%)", err("rnn_tanh", x, h, nil, w_ih, w_hh, lucid.randn(5), lucid.randn(4)))
    assert.matches("RNN: c given, but this cell %(rnn_tanh%) has no cell state", err("rnn_tanh", x, h, h, w_ih, w_hh))
    assert.matches("LSTM: c has shape none", err("lstm", x, h, nil, lucid.randn(16, 3), lucid.randn(16, 4)))
    assert.matches("RNN: weight_hh has shape %(4, 4%) and dtype float64",
      err("rnn_tanh", x, h, nil, w_ih, w_hh:double()))
    assert.matches("a cell step takes a 2%-D %(N, I%) float input", err("rnn_tanh", lucid.randn(3), h, nil, w_ih, w_hh))
    assert.matches("rnn_cell_step: argument 2 must be a tensor, got nil", err("rnn_tanh", nil, h, nil, w_ih, w_hh))
    assert.matches("RNN: the weight dropout draws has shape %(4, 3%)", err("rnn_tanh", x, h, nil, w_ih, w_hh, nil, nil, w_ih, 0.5))
    assert.matches("RNN: weight dropout must be in %[0, 1%), got 1", err("rnn_tanh", x, h, nil, w_ih, w_hh, nil, nil, w_hh, 1))
    local q = lucid.randn(4)
    assert.matches("rnn_cell_step: at most 6 parts of the cell's parameter, got 7",
      err("lstm_peephole", x, h, h, w_ih, w_hh, nil, nil, nil, nil, q, q, q, q, q, q, q))
    assert.matches("LSTM: the cell's parameter has 8 elements %(its parts together%), expected 12",
      err("lstm_peephole", x, h, h, lucid.randn(16, 3), lucid.randn(16, 4), nil, nil, nil, nil, q, q))
  end)
end)
