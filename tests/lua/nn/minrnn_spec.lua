-- nn.MinGRU and nn.MinLSTM against a reference written from the equations of
-- Feng et al. 2024 with primitive lucid ops (a Lua loop over time in linear
-- space), plus gradcheck, packed input, the two kernel paths and errors.
local lucid = require("lucid")
local nn = require("nn")
local rnn_utils = require("nn.utils.rnn")
local F = require("nn.functional")
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

-- The whole module from its parameters: x (L, N, I), every sequence of
-- length L; h0 (layers * D, N, H) or nil. The reverse direction is the same
-- layer run on x flipped in time, its outputs flipped back. In training,
-- dropout between layers draws its mask as the module does (one (L, N, F)
-- draw, or one (N, F) per sequence with variational), so under the same
-- lucid.manual_seed both see the same masks.
local function reference(m, x, h0)
  local D, hn = m.bidirectional and 2 or 1, {}
  for l = 0, m.num_layers - 1 do
    local outs = {}
    for d = 1, D do
      local sfx, i = l .. (d == 2 and "_reverse" or ""), l * D + d
      local h = h0 and h0[i] or lucid.zeros({ x:size(2), m.hidden_size }, { dtype = x.dtype })
      local y
      y, hn[i] = ref_layer(m.__name, d == 2 and x:flip(1) or x, h, m["weight_ih_l" .. sfx], m["bias_ih_l" .. sfx])
      outs[d] = d == 2 and y:flip(1) or y
    end
    x = lucid.cat(outs, 3)
    if m.training and m.dropout > 0 and l < m.num_layers - 1 then
      x = x * F.dropout(lucid.ones_like(m.variational and x[1] or x), m.dropout, true)
    end
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
    it("matches the reference from the equations: outputs, h_n and every gradient (float64, 1e-10); "
      .. "bidirectional: the reverse direction is the reference run on the flipped input", function()
      lucid.manual_seed(1)
      for _, opts in ipairs({
        { num_layers = 2, dtype = lucid.float64 },
        { num_layers = 1, bias = false, batch_first = true, dtype = lucid.float64 },
        { num_layers = 2, bidirectional = true, dtype = lucid.float64 },
        { num_layers = 2, bidirectional = true, batch_first = true, bias = false, dtype = lucid.float64 },
      }) do
        local m = nn[kind](5, 4, opts)
        local D = opts.bidirectional and 2 or 1
        local x = lucid.randn({ 6, 3, 5 }, F64):requires_grad_()
        local h0 = (lucid.rand({ opts.num_layers * D, 3, 4 }, F64) + 0.05):requires_grad_()
        local wy = lucid.randn({ 6, 3, 4 * D }, F64)
        local wh = lucid.randn({ opts.num_layers * D, 3, 4 }, F64)
        local input = opts.batch_first and x:transpose(1, 2) or x
        local y, hn = m(input, h0)
        if opts.batch_first then y = y:transpose(1, 2) end
        assert.are.same({ 6, 3, 4 * D }, H.shape_of(y))
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
        assert.are.equal(#m:parameters() + 2, #got) -- every parameter, x and h0
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

    -- The time-parallel path (few columns, long sequences: see
    -- docs/recurrent.md) forced with path = "chunked" and a chunk count,
    -- against the column scan. x (T, I), batch_sizes a table or a number.
    local function both_paths(x, batch_sizes, h0, w, b, chunks)
      local function run(path)
        for _, t in ipairs({ x, w, b, h0 or x }) do t.grad = nil end
        local y, hn = lucid._C.minrnn_layer({ mode = kind:lower(), input = x, batch_sizes = batch_sizes,
          h0 = h0, weight = w, bias = b, path = path, chunks = chunks })
        local loss = (y * y):sum() + (hn * hn * hn):sum()
        loss:backward()
        return { y:detach(), hn:detach(), x.grad, w.grad, b.grad, h0 and h0.grad or nil }
      end
      return run("columns"), run("chunked")
    end

    local function params(dtype, I, Hs, N)
      local G = kind == "MinGRU" and 2 or 3
      local o = { dtype = dtype }
      return lucid.randn({ G * Hs, I }, o):requires_grad_(), lucid.randn({ G * Hs }, o):requires_grad_(),
        (lucid.rand({ N, Hs }, o) + 0.1):requires_grad_()
    end

    it("time-parallel path equals the column scan (float64, 1e-12): outputs, h_n, every gradient", function()
      lucid.manual_seed(14)
      -- L = 40 in 3 chunks (uneven), automatic, 7; L = 5 in 9 (more chunks than steps);
      -- H = 70 spans two 64-unit bands
      for _, case in ipairs({ { L = 40, chunks = 3 }, { L = 40, chunks = nil }, { L = 40, chunks = 7 },
                               { L = 5, chunks = 9 } }) do
        for _, with_h0 in ipairs({ true, false }) do
          local w, b, h0 = params(lucid.float64, 6, 70, 2)
          local x = lucid.randn({ case.L * 2, 6 }, F64):requires_grad_()
          local col, chk = both_paths(x, case.L, with_h0 and h0 or nil, w, b, case.chunks)
          for k = 1, #col do
            H.assert_close(chk[k], col[k], 1e-12, 1e-12,
              ("L = %d, chunks = %s, h0 = %s, result %d"):format(case.L, case.chunks, with_h0, k))
          end
          if with_h0 then assert.is_true(chk[6]:abs():sum():item() > 0) end
        end
      end
    end)

    it("time-parallel path with packed sequences of unequal lengths chunks each over its own length", function()
      lucid.manual_seed(15)
      local sizes = {} -- sequences of 37, 20 and 9 steps
      for t = 1, 37 do sizes[t] = (t <= 9 and 3) or (t <= 20 and 2) or 1 end
      local w, b, h0 = params(lucid.float64, 5, 12, 3)
      local x = lucid.randn({ 37 + 20 + 9, 5 }, F64):requires_grad_()
      for _, chunks in ipairs({ 4, 11 }) do
        local col, chk = both_paths(x, sizes, h0, w, b, chunks)
        for k = 1, #col do H.assert_close(chk[k], col[k], 1e-12, 1e-12, "chunks " .. chunks .. ", result " .. k) end
      end
    end)

    it("time-parallel path with saturated gates: chunk products far below 1e-308, outputs below 1e-150", function()
      lucid.manual_seed(17)
      local w, b = params(lucid.float64, 6, 10, 2)
      w = (w:detach() * 60):requires_grad_() -- |p| in the hundreds: a = sigmoid(-p_z) down to 1e-200
      local x = lucid.randn({ 200 * 2, 6 }, F64):requires_grad_()
      local col, chk = both_paths(x, 200, nil, w, b, 3)
      assert.is_true(col[1]:min():item() < 1e-150)
      for k = 1, 5 do H.assert_close(chk[k], col[k], 1e-12, 1e-12, "result " .. k) end
    end)

    it("the default path with both gates underflowing stays finite and equals the columns (2 threads, float32)",
      function()
      -- one sequence of 4 units cannot fill 2 threads: MinGRU's default takes the
      -- time chunks; MinLSTM keeps the columns, whose f / (f + i) survives f and i
      -- both underflowing (the chunks' fix-up, reading the saved gates, would not)
      local threads = lucid.get_num_threads()
      lucid.set_num_threads(2)
      assert.are.equal(2, lucid.get_num_threads())
      local G, Hs, L = kind == "MinGRU" and 2 or 3, 4, 600
      local bias = {}
      for j = 1, G * Hs do bias[j] = j <= (G - 1) * Hs and -120 or 0.5 end
      local b, w = lucid.tensor(bias), lucid.randn({ G * Hs, 2 }) * 0.01
      local x = lucid.randn({ L, 2 })
      local run = function(path)
        return lucid._C.minrnn_layer({ mode = kind:lower(), input = x, batch_sizes = L, weight = w, bias = b,
          path = path })
      end
      local default, columns = run("scan"), run("columns")
      lucid.set_num_threads(threads)
      assert.are.equal(0, default:ne(default):sum():item())
      H.assert_close(default, columns, 1e-5, 1e-30)
    end)

    it("time-parallel path in float32 agrees with float64 within 1e-5 relative, and passes gradcheck", function()
      lucid.manual_seed(16)
      local w, b, h0 = params(lucid.float64, 4, 9, 1)
      local x = lucid.randn({ 300, 4 }, F64):requires_grad_()
      local _, chk64 = both_paths(x, 300, h0, w, b, 5)
      local f32 = function(t) return t:detach():to(lucid.float32):requires_grad_() end
      local _, chk32 = both_paths(f32(x), 300, f32(h0), f32(w), f32(b), 5)
      for k = 1, #chk64 do
        H.assert_close(chk32[k], chk64[k]:to(lucid.float32), 1e-5, 1e-5, "float32 result " .. k)
      end
      local xs = lucid.randn({ 7 * 2, 3 }, F64):requires_grad_()
      local w2, b2, h2 = params(lucid.float64, 3, 4, 2)
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, ww, bb)
        return lucid._C.minrnn_layer({ mode = kind:lower(), input = xx, batch_sizes = 7, h0 = hh, weight = ww,
          bias = bb, path = "chunked", chunks = 3 })
      end, { xs, h2, w2, b2 }))
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

    it("bidirectional packed input: the reverse direction runs each sequence over its own length, reversed",
      function()
      lucid.manual_seed(12)
      local m = nn[kind](4, 3, { num_layers = 2, bidirectional = true, dtype = lucid.float64 })
      local lengths = { 3, 6, 1, 4 }
      local x = lucid.randn({ 6, 4, 4 }, F64):requires_grad_()
      local h0 = (lucid.rand({ 4, 4, 3 }, F64) + 0.1):requires_grad_()
      local wy, wh = lucid.randn({ 6, 4, 6 }, F64), lucid.randn({ 4, 4, 3 }, F64)
      local out, hn = m(rnn_utils.pack_padded_sequence(x, lengths, { enforce_sorted = false }), h0)
      local padded = rnn_utils.pad_packed_sequence(out)
      local loss = (padded * wy):sum() + (hn * wh):sum()
      loss:backward()
      local got = grads(m, { x, h0 })
      zero(m, { x, h0 })
      -- each sequence alone, as an unpadded batch of one
      local rloss = 0
      for n, len in ipairs(lengths) do
        local ry, rhn = reference(m, x:narrow(1, 1, len):narrow(2, n, 1), h0:narrow(2, n, 1))
        H.assert_close(padded:narrow(1, 1, len):narrow(2, n, 1), ry, 1e-10, 1e-12, "output " .. n)
        H.assert_close(hn:narrow(2, n, 1), rhn, 1e-10, 1e-12, "h_n " .. n)
        rloss = rloss + (ry * wy:narrow(1, 1, len):narrow(2, n, 1)):sum() + (rhn * wh:narrow(2, n, 1)):sum()
      end
      rloss:backward()
      local want = grads(m, { x, h0 })
      assert.are.equal(#want, #got)
      for k = 1, #want do H.assert_close(got[k], want[k], 1e-10, 1e-12, "gradient " .. k) end
    end)

    it("bidirectional: unbatched input, one step, and lucid.autograd.gradcheck of a layer", function()
      lucid.manual_seed(13)
      local m = nn[kind](3, 2, { bidirectional = true, dtype = lucid.float64 })
      local x, h0 = lucid.randn({ 5, 3 }, F64), lucid.rand({ 2, 2 }, F64) + 0.2
      local y, hn = m(x, h0)
      local by, bhn = m(x:unsqueeze(2), h0:unsqueeze(2))
      H.assert_close(y, by:squeeze(2), 0, 0, "unbatched output")
      H.assert_close(hn, bhn:squeeze(2), 0, 0, "unbatched h_n")
      local y1 = m(x:narrow(1, 1, 1), h0) -- L = 1: the step-by-step path, both directions see one step
      local ry1 = reference(m, x:narrow(1, 1, 1):unsqueeze(2), h0:unsqueeze(2))
      H.assert_close(y1, ry1:squeeze(2), 1e-12, 1e-14, "one step")
      local xg = lucid.randn({ 4, 2, 3 }, F64):requires_grad_()
      local hg = (lucid.rand({ 2, 2, 2 }, F64) + 0.1):requires_grad_()
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, w, b) return m(xx, hh) end,
        { xg, hg, m.weight_ih_l0_reverse, m.bias_ih_l0_reverse }))
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, w)
        local out, h_n = m(rnn_utils.pack_padded_sequence(xx, { 4, 2 }), hh)
        return out.data, h_n
      end, { xg, hg, m.weight_ih_l0_reverse }))
    end)

    it("bidirectional parameters: _reverse names, 2H inputs above the first layer, repr", function()
      local G = kind == "MinGRU" and 2 or 3
      local m = nn[kind](10, 20, { num_layers = 2, bidirectional = true, dropout = 0.25, variational = true })
      local sd = m:state_dict()
      assert.are.same({ G * 20, 10 }, H.shape_of(sd.weight_ih_l0_reverse))
      assert.are.same({ G * 20, 40 }, H.shape_of(sd.weight_ih_l1))
      assert.are.same({ G * 20, 40 }, H.shape_of(sd.weight_ih_l1_reverse))
      assert.are.same({ G * 20 }, H.shape_of(sd.bias_ih_l1_reverse))
      assert.are.equal(8, #m:parameters())
      assert.are.equal(kind .. "(10, 20, num_layers=2, dropout=0.25, bidirectional=True, variational=True)",
        tostring(m))
      -- positional, in nn.GRU's order
      local p = nn[kind](10, 20, 2, true, false, 0.5, true)
      assert.is_true(p.bidirectional and p.dropout == 0.5)
    end)

    it("dropout between layers: the equations with the module's masks under one seed, plain and variational",
      function()
      for _, variational in ipairs({ false, true }) do
        local m = nn[kind](3, 4, { num_layers = 3, bidirectional = true, dropout = 0.4, variational = variational,
          dtype = lucid.float64 })
        local x = lucid.randn({ 5, 2, 3 }, F64):requires_grad_()
        local wy = lucid.randn({ 5, 2, 8 }, F64)
        lucid.manual_seed(21)
        local y, hn = m(x)
        local loss = (y * wy):sum() + hn:sum()
        loss:backward()
        local got = grads(m, { x })
        zero(m, { x })
        lucid.manual_seed(21)
        local ry, rhn = reference(m, x)
        local rloss = (ry * wy):sum() + rhn:sum()
        rloss:backward()
        local want = grads(m, { x })
        H.assert_close(y, ry, 1e-10, 1e-12, "output")
        H.assert_close(hn, rhn, 1e-10, 1e-12, "h_n")
        for k = 1, #want do H.assert_close(got[k], want[k], 1e-10, 1e-12, "gradient " .. k) end
        lucid.manual_seed(22)
        local a = m(x)
        lucid.manual_seed(22)
        assert.are.equal(0, (m(x) - a):abs():max():item()) -- reproducible under lucid.manual_seed
        assert.is_true((m(x) - a):abs():max():item() > 0)  -- another draw, other masks
      end
    end)

    it("dropout keeps each unit at rate 1 - p (within 4 sd); variational: one mask per sequence for every step",
      function()
      local p, Hs, rounds = 0.35, 40, 25
      -- one sequence; layer 1's outputs are positive (h > 0), so a column of
      -- layer 2's dW_ih is zero exactly when its unit was dropped at every step
      local function drop_rate(variational, L)
        local m = nn[kind](3, Hs, { num_layers = 2, dropout = p, variational = variational, dtype = lucid.float64 })
        local x = lucid.randn({ L, 1, 3 }, F64)
        local dropped = 0
        for _ = 1, rounds do
          m:zero_grad()
          m(x):sum():backward()
          dropped = dropped + m.weight_ih_l1.grad:abs():sum(1):eq(0):sum():item()
        end
        return dropped / (rounds * Hs)
      end
      local sd = math.sqrt(p * (1 - p) / (rounds * Hs))
      local plain, var = drop_rate(false, 1), drop_rate(true, 6)
      assert.is_true(math.abs(plain - p) < 4 * sd, "plain drop rate " .. plain)
      -- per step masks would drop a unit at all 6 steps at rate p^6 = 0.002
      assert.is_true(math.abs(var - p) < 4 * sd, "variational drop rate over 6 steps " .. var)
    end)

    it("dropout with packed input: each sequence keeps its variational mask at every step", function()
      local m = nn[kind](2, 3, { num_layers = 2, dropout = 0.5, variational = true, dtype = lucid.float64 })
      local seqs = { lucid.randn({ 4, 2 }, F64), lucid.randn({ 3, 2 }, F64), lucid.randn({ 1, 2 }, F64) }
      lucid.manual_seed(31)
      local padded = rnn_utils.pad_packed_sequence((m(rnn_utils.pack_sequence(seqs))))
      lucid.manual_seed(31) -- the same (N, F) mask on the zero-padded batch
      local want = reference(m, rnn_utils.pad_sequence(seqs))
      for n, s in ipairs(seqs) do
        local len = s:size(1)
        H.assert_close(padded:narrow(1, 1, len):narrow(2, n, 1), want:narrow(1, 1, len):narrow(2, n, 1), 1e-10,
          1e-12, "sequence " .. n)
      end
    end)

    it("dropout: eval, and the last layer's output, are deterministic and equal the module without it", function()
      lucid.manual_seed(41)
      local m = nn[kind](3, 4, { num_layers = 2, bidirectional = true, dropout = 0.5, dtype = lucid.float64 })
      local plain = nn[kind](3, 4, { num_layers = 2, bidirectional = true, dtype = lucid.float64 })
      plain:load_state_dict(m:state_dict())
      local x = lucid.randn({ 5, 2, 3 }, F64)
      local want, want_h = plain(x)
      m:eval()
      local a, ah = m(x)
      assert.are.equal(0, (a - want):abs():max():item())
      assert.are.equal(0, (ah - want_h):abs():max():item())
      local one = nn[kind](3, 4, { dropout = 0.5, variational = true, dtype = lucid.float64 })
      assert.are.equal(0, (one(x) - one(x)):abs():max():item()) -- one layer: nothing between layers
    end)

    it("reset_parameters draws every parameter again from U(-1/sqrt(H), 1/sqrt(H))", function()
      lucid.manual_seed(51)
      local m = nn[kind](6, 16, { num_layers = 2, bidirectional = true })
      local before = m:state_dict()
      for name, t in pairs(before) do before[name] = t:clone() end
      lucid.manual_seed(52)
      m:reset_parameters()
      local n = 0
      for name, p in m:named_parameters() do
        n = n + 1
        assert.are.equal(0, p:eq(before[name]):sum():item(), name .. " drawn again")
        assert.is_true(p:abs():max():item() <= 0.25, name .. " within the bound")
        assert.is_true(p.requires_grad, name .. " still a parameter")
      end
      assert.are.equal(8, n)
      lucid.manual_seed(52)
      local again = nn[kind](6, 16, { num_layers = 2, bidirectional = true })
      lucid.manual_seed(52)
      again:reset_parameters()
      assert.are.equal(0, (again.weight_ih_l1_reverse - m.weight_ih_l1_reverse):abs():max():item())
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
      local bi = nn[kind](4, 3, { num_layers = 2, bidirectional = true, dtype = lucid.float64 })
      H.raises(function() bi(x, lucid.rand({ 2, 2, 3 }, F64) + 0.1) end, kind, "h0", "(4, 2, 3)", "(2, 2, 3)")
      H.raises(function() nn[kind](4, 3, { dropout = 1.5 }) end, kind, "dropout must be in [0, 1]", "1.5")
      H.raises(function() nn[kind](4, 3, { dropout = 0 / 0 }) end, kind, "dropout must be in [0, 1]", "nan")
      H.raises(function() nn[kind](4, 3, { bidirectional = 1 }) end, kind, "bidirectional", "boolean")
      H.raises(function() nn[kind](4, 3, { recurrent_dropout = 0.1 }) end, kind, "unknown option 'recurrent_dropout'")
      H.raises(function()
        lucid._C.minrnn_layer({ mode = kind:lower(), input = x:reshape({ 10, 4 }), batch_sizes = 5,
          weight = m.weight_ih_l0, path = "chunked", chunks = -1 })
      end, "minrnn_layer", "chunks must be a non-negative integer", "-1")
    end)
  end)
end
