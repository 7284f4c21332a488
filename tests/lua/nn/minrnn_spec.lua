-- nn.MinGRU and nn.MinLSTM against a reference written from the equations of
-- Feng et al. 2024 with primitive lucid ops (a Lua loop over time in linear
-- space), plus gradcheck, packed input, the two kernel paths and errors.
local lucid = require("lucid")
local nn = require("nn")
local rnn_utils = require("nn.utils.rnn")
local H = require("helpers")

local F64 = { dtype = lucid.float64 }

-- g(v) = v + 0.5 for v >= 0, sigmoid(v) otherwise.
local function g(v) return lucid.where(v:ge(0), v + 0.5, v:sigmoid()) end

-- One layer: x (L, N, I), h (N, H) -> outputs (L, N, H), last h.
local function ref_layer(kind, x, h, w, b)
  local Hs = w:size(1) // (kind == "MinGRU" and 2 or 3)
  local outs = {}
  for t = 1, x:size(1) do
    local p = x[t]:matmul(w:t())
    if b then p = p + b end
    local function part(k) return p:narrow(2, (k - 1) * Hs + 1, Hs) end
    if kind == "MinGRU" then
      local z = part(1):sigmoid()
      h = (1 - z) * h + z * g(part(2))
    else
      local f, i = part(1):sigmoid(), part(2):sigmoid()
      h = f / (f + i) * h + i / (f + i) * g(part(3))
    end
    outs[t] = h
  end
  return lucid.stack(outs, 1), h
end

-- The whole module from its parameters: x (L, N, I), h0 (layers, N, H) or nil.
local function reference(m, x, h0)
  local hn = {}
  for l = 0, m.num_layers - 1 do
    local h = h0 and h0[l + 1] or lucid.zeros({ x:size(2), m.hidden_size }, { dtype = x.dtype })
    x, hn[l + 1] = ref_layer(m.__name, x, h, m["weight_ih_l" .. l], m["bias_ih_l" .. l])
  end
  return x, lucid.stack(hn, 1)
end

local function grads(m, extra)
  local out = {}
  for _, p in ipairs(m:parameters()) do out[#out + 1] = p.grad end
  for _, t in ipairs(extra) do out[#out + 1] = t.grad end
  return out
end

local function zero(m, extra)
  m:zero_grad()
  for _, t in ipairs(extra) do t.grad = nil end
end

for _, kind in ipairs({ "MinGRU", "MinLSTM" }) do
  describe("nn." .. kind, function()
    it("matches the reference from the equations: outputs, h_n and every gradient (float64, 1e-10)", function()
      lucid.manual_seed(1)
      for _, opts in ipairs({
        { num_layers = 2, dtype = lucid.float64 },
        { num_layers = 1, bias = false, batch_first = true, dtype = lucid.float64 },
      }) do
        local m = nn[kind](5, 4, opts)
        local x = lucid.randn({ 6, 3, 5 }, F64):requires_grad_()
        local h0 = (lucid.rand({ opts.num_layers, 3, 4 }, F64) + 0.05):requires_grad_()
        local wy = lucid.randn({ 6, 3, 4 }, F64)
        local wh = lucid.randn({ opts.num_layers, 3, 4 }, F64)
        local input = opts.batch_first and x:transpose(1, 2) or x
        local y, hn = m(input, h0)
        if opts.batch_first then y = y:transpose(1, 2) end
        local loss = (y * wy):sum() + (hn * wh):sum()
        loss:backward()
        local got = grads(m, { x, h0 })
        zero(m, { x, h0 })
        local ry, rhn = reference(m, x, h0)
        local rloss = (ry * wy):sum() + (rhn * wh):sum()
        rloss:backward()
        local want = grads(m, { x, h0 })
        H.assert_close(y, ry, 1e-10, 1e-12, "output")
        H.assert_close(hn, rhn, 1e-10, 1e-12, "h_n")
        assert.are.equal(#want, #got)
        for k = 1, #want do H.assert_close(got[k], want[k], 1e-10, 1e-12, "gradient " .. k) end
      end
    end)

    it("starts from the zero state without h0, and float32 agrees with float64", function()
      lucid.manual_seed(2)
      local m = nn[kind](3, 5, { dtype = lucid.float64 })
      local x = lucid.randn({ 7, 2, 3 }, F64)
      local y, hn = m(x)
      local ry, rhn = reference(m, x, nil)
      H.assert_close(y, ry, 1e-10, 1e-12, "output")
      H.assert_close(hn, rhn, 1e-10, 1e-12, "h_n")
      m:float()
      local y32 = m(x:float())
      H.assert_close(y32, ry:float(), 1e-5, 1e-6, "float32 output")
    end)

    it("passes lucid.autograd.gradcheck through two layers, batch_first and h0", function()
      lucid.manual_seed(3)
      local m = nn[kind](3, 3, { num_layers = 2, batch_first = true, dtype = lucid.float64 })
      local x = lucid.randn({ 2, 4, 3 }, F64):requires_grad_()
      local h0 = (lucid.rand({ 2, 2, 3 }, F64) + 0.1):requires_grad_()
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, w0, b1)
        return m(xx, hh)
      end, { x, h0, m.weight_ih_l0, m.bias_ih_l1 }))
    end)

    it("scan and step-by-step kernel paths agree (outputs, h_n, gradients)", function()
      lucid.manual_seed(4)
      for _, dtype in ipairs({ lucid.float64, lucid.float32 }) do
        local G = kind == "MinGRU" and 2 or 3
        local x = lucid.randn({ 40 * 3, 8 }, { dtype = dtype }):requires_grad_()
        local w = lucid.randn({ G * 16, 8 }, { dtype = dtype }):requires_grad_()
        local b = lucid.randn({ G * 16 }, { dtype = dtype }):requires_grad_()
        local h0 = (lucid.rand({ 3, 16 }, { dtype = dtype }) + 0.1):requires_grad_()
        local function run(path)
          x.grad, w.grad, b.grad, h0.grad = nil, nil, nil, nil
          local y, hn = lucid._C.minrnn_layer({ mode = kind:lower(), input = x, batch_sizes = 40, h0 = h0,
            weight = w, bias = b, path = path })
          local loss = (y * y):sum() + hn:sum()
          loss:backward()
          return { y:detach(), hn:detach(), x.grad, w.grad, b.grad, h0.grad }
        end
        local scan, seq = run("scan"), run("sequential")
        local rtol = dtype == lucid.float64 and 1e-10 or 1e-4
        for k = 1, #scan do H.assert_close(scan[k], seq[k], rtol, rtol, "result " .. k) end
      end
    end)

    it("runs packed sequences as each sequence alone; h_n in the caller's order", function()
      lucid.manual_seed(5)
      local m = nn[kind](4, 3, { num_layers = 2, dtype = lucid.float64 })
      local lengths = { 3, 6, 1 }
      local x = lucid.randn({ 6, 3, 4 }, F64)
      local h0 = lucid.rand({ 2, 3, 3 }, F64) + 0.1
      local packed = rnn_utils.pack_padded_sequence(x, lengths, { enforce_sorted = false })
      local out, hn = m(packed, h0)
      local padded = rnn_utils.pad_packed_sequence(out)
      for n, len in ipairs(lengths) do
        local y1, h1 = m(x:narrow(1, 1, len):narrow(2, n, 1), h0:narrow(2, n, 1))
        H.assert_close(padded:narrow(1, 1, len):narrow(2, n, 1), y1, 1e-12, 1e-14, "output " .. n)
        H.assert_close(hn:narrow(2, n, 1), h1, 1e-12, 1e-14, "h_n " .. n)
      end
    end)

    it("takes unbatched input with an unbatched h0, and one step", function()
      lucid.manual_seed(6)
      local m = nn[kind](4, 3, { dtype = lucid.float64 })
      local x = lucid.randn({ 5, 4 }, F64)
      local h0 = lucid.rand({ 1, 3 }, F64) + 0.2
      local y, hn = m(x, h0)
      assert.are.same({ 5, 3 }, H.shape_of(y))
      assert.are.same({ 1, 3 }, H.shape_of(hn))
      local by, bhn = m(x:unsqueeze(2), h0:unsqueeze(2))
      H.assert_close(y, by:squeeze(2), 0, 0, "output")
      -- one step at a time (the step-by-step path) equals the whole sequence
      local h = h0:unsqueeze(2)
      for t = 1, 5 do
        local yt
        yt, h = m(x:narrow(1, t, 1):unsqueeze(2), h)
        H.assert_close(yt:squeeze(1), by[t], 1e-12, 1e-14, "step " .. t)
      end
      H.assert_close(h, bhn, 1e-12, 1e-14, "h_n")
    end)

    it("has nn.GRU's parameter names, stacking, initialisation and repr", function()
      lucid.manual_seed(7)
      local G = kind == "MinGRU" and 2 or 3
      local m = nn[kind](10, 20, { num_layers = 2, batch_first = true })
      local sd = m:state_dict()
      assert.are.same({ G * 20, 10 }, H.shape_of(sd.weight_ih_l0))
      assert.are.same({ G * 20, 20 }, H.shape_of(sd.weight_ih_l1))
      assert.are.same({ G * 20 }, H.shape_of(sd.bias_ih_l1))
      assert.is_nil(sd.weight_hh_l0)
      local bound = 1 / math.sqrt(20)
      assert.is_true(sd.weight_ih_l1:abs():max():item() <= bound)
      assert.is_true(sd.weight_ih_l1:abs():max():item() > 0.9 * bound)
      assert.are.equal(kind .. "(10, 20, num_layers=2, batch_first=True)", tostring(m))
      assert.are.equal(kind .. "(3, 4, bias=False)", tostring(nn[kind](3, 4, { bias = false })))
      assert.is_nil(nn[kind](3, 4, { bias = false }).bias_ih_l0)
    end)

    it("names the module, the argument, what was expected and what was got", function()
      local m = nn[kind](4, 3, { num_layers = 2, dtype = lucid.float64 })
      local x = lucid.randn({ 5, 2, 4 }, F64)
      H.raises(function() nn[kind](4, 0) end, kind, "hidden_size")
      H.raises(function() m(lucid.randn({ 5, 2, 7 }, F64)) end, kind, "input has 7 features", "input_size 4")
      H.raises(function() m(x:float()) end, kind, "dtype float32", "float64")
      H.raises(function() m(x, lucid.rand({ 1, 2, 3 }, F64)) end, kind, "h0", "(2, 2, 3)", "(1, 2, 3)")
      H.raises(function() m("x") end, kind, "input must be a tensor", "string")
      local h0 = lucid.rand({ 2, 2, 3 }, F64) + 0.1
      h0[2][1][3] = -0.5
      H.raises(function() m(x, h0) end, kind, "h0 must be positive", "-0.5", "[1, 3]")
      H.raises(function() m(x, lucid.zeros({ 2, 2, 3 }, F64)) end, kind, "h0 must be positive", "got 0")
    end)
  end)
end
