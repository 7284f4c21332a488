-- nn.RNN, nn.GRU, nn.LSTM on packed sequences (nn.utils.rnn) against PyTorch
-- (tests/fixtures/rnn.lua, cases with `lengths`), and against running each
-- sequence on its own.
local lucid = require("lucid")
local nn = require("nn")
local rnn_utils = require("nn.utils.rnn")
local H = require("helpers")

local cases = H.load_fixture("rnn")

local function ints(t) return t:tolist() end

describe("nn.RNN/GRU/LSTM with packed input against PyTorch", function()
  for _, case in ipairs(cases) do
    if case.kind == "forward" and case.lengths then
      it(case.name .. ": packed output, h_n (c_n) and every gradient equal PyTorch's", function()
        local batch_first = case.options.batch_first or false
        local r = H.rnn_forward(case, nil, function(x)
          return rnn_utils.pack_padded_sequence(x, case.lengths, { batch_first = batch_first, enforce_sorted = false })
        end)
        local m, x, h0, c0, packed = r.m, r.x, r.h0, r.c0, r.input
        local out, h_n, c_n = r.out, r.h_n, r.c_n
        assert.is_true(rnn_utils.is_packed(out))
        H.assert_close(out.data, case.out, nil, nil, "output data")
        assert.are.same(ints(H.tensor_from_fixture(case.batch_sizes)), ints(out.batch_sizes))
        assert.are.same(ints(H.tensor_from_fixture(H.shifted(case.sorted_indices, 1))), ints(out.sorted_indices))
        -- unsorted_indices is the inverse permutation of PyTorch's sorted_indices
        local inverse = {}
        for i, k in ipairs(ints(H.tensor_from_fixture(H.shifted(case.sorted_indices, 1)))) do inverse[k] = i end
        assert.are.same(inverse, ints(out.unsorted_indices))
        H.assert_close(h_n, case.h_n, nil, nil, "h_n")
        if case.c_n then H.assert_close(c_n, case.c_n, nil, nil, "c_n") end
        local padded, lengths = rnn_utils.pad_packed_sequence(out, { batch_first = batch_first })
        H.assert_close(padded, case.out_padded, nil, nil, "padded output")
        assert.are.same(case.lengths, ints(lengths))

        local loss = (out.data * H.tensor_from_fixture(case.w_out)):sum()
          + (h_n * H.tensor_from_fixture(case.w_h)):sum()
        if case.w_c then loss = loss + (c_n * H.tensor_from_fixture(case.w_c)):sum() end
        loss:backward()
        for _, g in ipairs(case.grad_params) do
          H.assert_close(m[g.name].grad, g.value, nil, nil, "grad of " .. g.name)
        end
        H.assert_close(x.grad, case.grad_x, nil, nil, "grad of x")
        if case.grad_h0 then H.assert_close(h0.grad, case.grad_h0, nil, nil, "grad of h0") end
        if case.grad_c0 then H.assert_close(c0.grad, case.grad_c0, nil, nil, "grad of c0") end
      end)
    end
  end
end)

describe("nn.RNN/GRU/LSTM with packed input", function()
  -- Runs module m over sequence i alone (unbatched, its own length) from the
  -- state columns of hx; returns output and final states.
  local function alone(m, name, seq, h0, c0)
    if name == "LSTM" then
      local y, s = m(seq, h0 and { h0, c0 } or nil)
      return y, s[1], s[2]
    end
    return m(seq, h0)
  end

  for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
    it(name .. ": each sequence's outputs and h_n are those of the sequence run alone", function()
      lucid.manual_seed(21)
      local opts = { num_layers = 2, bidirectional = true, dtype = lucid.float64 }
      if name == "LSTM" then opts.proj_size = 3 end
      local m = nn[name](5, 6, opts)
      local hout = name == "LSTM" and 3 or 6
      local lengths = { 3, 7, 1, 5 }
      local x = lucid.randn({ 7, 4, 5 }, H.F64)
      local h0 = lucid.randn({ 4, 4, hout }, H.F64)
      local c0 = lucid.randn({ 4, 4, 6 }, H.F64)
      local packed = rnn_utils.pack_padded_sequence(x, lengths, { enforce_sorted = false })
      local out, h_n, c_n = alone(m, name, packed, h0, c0)
      local padded = rnn_utils.pad_packed_sequence(out)
      assert.are.equal(string.format("(7, 4, %d)", 2 * hout), tostring(padded.shape))
      for i, len in ipairs(lengths) do
        local seq = x:select(2, i):narrow(1, 1, len)
        local y, h, c = alone(m, name, seq, h0:select(2, i), c0:select(2, i))
        H.assert_close(padded:select(2, i):narrow(1, 1, len), y)
        H.assert_close(h_n:select(2, i), h)
        if c then H.assert_close(c_n:select(2, i), c) end
        if len < 7 then -- padding stays zero
          assert.are.equal(0, padded:select(2, i):narrow(1, len + 1, 7 - len):abs():sum():item())
        end
      end
    end)
  end

  for _, name in ipairs({ "GRU", "LSTM" }) do
    it(name .. " with layer_norm: the parameters' gradients are the sums over the sequences run alone", function()
      -- 11 sequences: the batch shrinks from 11 rows to 2 across steps, across the
      -- groups of 8 rows in which the backward adds up the layer norms' gradients
      lucid.manual_seed(22)
      local m = nn[name](3, 5, { layer_norm = true, dtype = lucid.float64 })
      lucid.no_grad(function()
        for _, p in ipairs(m:parameters()) do p:add_(lucid.randn(p.shape, H.F64) * 0.3) end
      end)
      local lengths = { 4, 6, 1, 6, 2, 5, 6, 3, 6, 2, 4 }
      local x = lucid.randn({ 6, #lengths, 3 }, H.F64)
      local function grads(run)
        m:zero_grad()
        run()
        local g = {}
        for pname, p in m:named_parameters() do g[pname] = p.grad:clone() end
        return g
      end
      local packed = grads(function()
        local out = alone(m, name, rnn_utils.pack_padded_sequence(x, lengths, { enforce_sorted = false }))
        local padded = rnn_utils.pad_packed_sequence(out)
        padded:pow(2):sum():backward()
      end)
      local summed = grads(function()
        for i, len in ipairs(lengths) do
          local y = alone(m, name, x:select(2, i):narrow(1, 1, len))
          y:pow(2):sum():backward() -- the gradients add up over the sequences
        end
      end)
      for pname, g in pairs(summed) do H.assert_close(packed[pname], g, 1e-10, 1e-10, pname) end
    end)
  end

  it("sorted input (enforce_sorted) keeps nil indices and matches the padded run on full lengths", function()
    local m = nn.GRU(5, 4, { num_layers = 2, dtype = lucid.float64 })
    local x = lucid.randn({ 6, 3, 5 }, H.F64)
    local packed = rnn_utils.pack_padded_sequence(x, { 6, 6, 6 })
    assert.is_nil(packed.sorted_indices)
    local out, h = m(packed)
    assert.is_nil(out.sorted_indices)
    assert.is_nil(out.unsorted_indices)
    local y, hp = m(x)
    H.assert_close(out.data, y:reshape(18, 4))
    H.assert_close(h, hp)
  end)

  it("accepts pack_sequence input and a 2D hx (first layer, in the caller's order)", function()
    lucid.manual_seed(4)
    local m = nn.LSTM(5, 4, { num_layers = 2, dtype = lucid.float64 })
    local seqs = { lucid.randn({ 2, 5 }, H.F64), lucid.randn({ 4, 5 }, H.F64), lucid.randn({ 3, 5 }, H.F64) }
    local packed = rnn_utils.pack_sequence(seqs, { enforce_sorted = false })
    local h2, c2 = lucid.randn({ 3, 4 }, H.F64), lucid.randn({ 3, 4 }, H.F64)
    local _, s = m(packed, { h2, c2 })
    for i, seq in ipairs(seqs) do
      local z = lucid.zeros({ 4 }, H.F64)
      local _, si = m(seq, { lucid.stack({ h2[i], z }, 1), lucid.stack({ c2[i], z }, 1) })
      H.assert_close(s[1]:select(2, i), si[1])
      H.assert_close(s[2]:select(2, i), si[2])
    end
  end)

  it("batch_first does not change the packed output; gradients reach the padded input", function()
    local m = nn.RNN(5, 4, { batch_first = true, dtype = lucid.float64 })
    local x = lucid.randn({ 3, 4, 5 }, { dtype = lucid.float64, requires_grad = true })
    local packed = rnn_utils.pack_padded_sequence(x, { 2, 4, 1 }, { batch_first = true, enforce_sorted = false })
    local out, h = m(packed)
    local padded = rnn_utils.pad_packed_sequence(out, { batch_first = true })
    assert.are.equal("(3, 4, 4)", tostring(padded.shape))
    assert.are.equal("(1, 3, 4)", tostring(h.shape))
    ;(out.data:sum() + h:sum()):backward()
    -- steps past a sequence's end get no gradient
    assert.are.equal(0, x.grad[1]:narrow(1, 3, 2):abs():sum():item())
    assert.are.equal(0, x.grad[3]:narrow(1, 2, 3):abs():sum():item())
    assert.is_true(x.grad[2]:abs():sum():item() > 0)
  end)

  it("checks a packed input's features, dtype and state", function()
    local m = nn.GRU(5, 4, 2)
    local err = H.err_str
    local p = rnn_utils.pack_padded_sequence(lucid.randn(4, 3, 6), { 4, 2, 3 }, { enforce_sorted = false })
    assert.is_truthy(err(function() return m(p) end):find("GRU: input has 6 features, expected input_size 5", 1, true))
    local q = rnn_utils.pack_padded_sequence(lucid.randn(4, 3, 5), { 4, 2, 3 }, { enforce_sorted = false })
    assert.is_truthy(err(function() return m(q, lucid.zeros(2, 4, 4)) end)
      :find("GRU: Expected hidden size (2, 3, 4), got (2, 4, 4)", 1, true))
    local d = rnn_utils.pack_padded_sequence(lucid.randn(4, 3, 5):double(), { 4, 2, 3 }, { enforce_sorted = false })
    assert.is_truthy(err(function() return m(d) end)
      :find("GRU: input has dtype float64 but the parameters have dtype float32", 1, true))
    -- the batch of a packed input is its first batch size
    local one = rnn_utils.pack_padded_sequence(lucid.randn(4, 3, 5), { 4, 1, 1 }, { enforce_sorted = false })
    local _, h = m(one, lucid.zeros(2, 3, 4))
    assert.are.equal("(2, 3, 4)", tostring(h.shape))
  end)
end)
