-- nn.utils.rnn (packed sequences) against PyTorch 1.13 (tests/fixtures/packed.lua, made
-- by tests/fixtures/gen/gen_packed.py). The fixture's sorted/unsorted indices are
-- PyTorch's 0-based ones; lucid's are 1-based, so the spec shifts them by 1.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local R = require("nn.utils.rnn")

local fx = H.load_fixture("packed")[1]

local function T(spec, opts) return H.tensor_from_fixture(spec, opts) end

local function assert_indices(actual, expected0, label)
  if expected0 == nil then
    assert.is_nil(actual, label .. " should be nil")
  else
    H.assert_close(actual, H.shifted(expected0, 1), nil, nil, label)
  end
end

-- Packing and padding copy values, so they must match exactly; float32 fixtures are
-- written with 9 significant digits, which identify the float32 value but read back as a
-- double within 5e-9 relative of it.
local function same(actual, expected, label)
  H.assert_close(actual, expected, expected.dtype == "float32" and 1e-8 or 0, 0, label)
end

local function assert_packed(p, c)
  assert.is_true(R.is_packed(p))
  same(p.data, c.data, "data")
  H.assert_close(p.batch_sizes, c.batch_sizes, nil, nil, "batch_sizes")
  assert_indices(p.sorted_indices, c.sorted_indices, "sorted_indices")
  assert_indices(p.unsorted_indices, c.unsorted_indices, "unsorted_indices")
end

local function seqs_of(c)
  local s = {}
  for i, spec in ipairs(c.sequences) do s[i] = T(spec) end
  return s
end

describe("nn.utils.rnn", function()
  it("is reachable as nn.utils.rnn", function()
    assert.are.equal(R, nn.utils.rnn)
  end)

  describe("pack_padded_sequence / pad_packed_sequence match PyTorch", function()
    for _, c in ipairs(fx.pack) do
      local float = c.dtype ~= "int64"
      it(c.name .. ": packed data, batch sizes, indices", function()
        local x = T(c.input)
        assert_packed(R.pack_padded_sequence(x, c.lengths, c.batch_first, c.enforce_sorted), c)
        -- lengths as an int64 tensor, options as a trailing table
        local lt = lucid.tensor(c.lengths, { dtype = lucid.int64 })
        assert_packed(R.pack_padded_sequence(x, lt,
          { batch_first = c.batch_first, enforce_sorted = c.enforce_sorted }), c)
        -- all named
        assert_packed(R.pack_padded_sequence{ input = x, lengths = c.lengths,
          batch_first = c.batch_first, enforce_sorted = c.enforce_sorted }, c)
      end)

      it(c.name .. ": padded output and lengths", function()
        local p = R.pack_padded_sequence(T(c.input), c.lengths, c.batch_first, c.enforce_sorted)
        local padded, lengths = R.pad_packed_sequence(p, c.batch_first, c.padding_value, c.total_length)
        same(padded, c.padded, "padded")
        H.assert_close(lengths, c.out_lengths, nil, nil, "lengths")
        local padded2, lengths2 = R.pad_packed_sequence(p, { batch_first = c.batch_first,
          padding_value = c.padding_value, total_length = c.total_length })
        same(padded2, c.padded, "padded (options)")
        H.assert_close(lengths2, c.out_lengths, nil, nil, "lengths (options)")
        local padded3 = R.pad_packed_sequence{ sequence = p, batch_first = c.batch_first,
          padding_value = c.padding_value, total_length = c.total_length }
        same(padded3, c.padded, "padded (named)")
      end)

      if float then
        it(c.name .. ": gradient from packed.data back to the padded input", function()
          local x = T(c.input, { requires_grad = true })
          local p = R.pack_padded_sequence(x, c.lengths, c.batch_first, c.enforce_sorted)
          ;(p.data * T(c.w_data)):sum():backward()
          H.assert_close(x.grad, c.grad_input, nil, nil, "grad input")
        end)

        it(c.name .. ": gradient from the padded output back to packed.data", function()
          local data = T(c.data, { requires_grad = true })
          local si = c.sorted_indices and H.tensor_from_fixture(H.shifted(c.sorted_indices, 1))
          local ui = c.unsorted_indices and H.tensor_from_fixture(H.shifted(c.unsorted_indices, 1))
          local p = R.PackedSequence(data, T(c.batch_sizes), si, ui)
          local padded = R.pad_packed_sequence(p, c.batch_first, c.padding_value, c.total_length)
          same(padded, c.padded, "padded")
          ;(padded * T(c.w_padded)):sum():backward()
          H.assert_close(data.grad, c.grad_data, nil, nil, "grad data")
        end)
      end
    end
  end)

  describe("pack_sequence matches PyTorch", function()
    for _, c in ipairs(fx.pack_sequence) do
      it(c.name, function()
        local s = seqs_of(c)
        assert_packed(R.pack_sequence(s, c.enforce_sorted), c)
        assert_packed(R.pack_sequence(s, { enforce_sorted = c.enforce_sorted }), c)
        assert_packed(R.pack_sequence{ sequences = s, enforce_sorted = c.enforce_sorted }, c)
      end)
    end
  end)

  describe("pad_sequence matches PyTorch", function()
    for _, c in ipairs(fx.pad_sequence) do
      it(c.name, function()
        local s = seqs_of(c)
        same(R.pad_sequence(s, c.batch_first, c.padding_value), c.padded)
        same(R.pad_sequence(s, { batch_first = c.batch_first, padding_value = c.padding_value }),
          c.padded)
        same(R.pad_sequence{ sequences = s, batch_first = c.batch_first,
          padding_value = c.padding_value }, c.padded)
      end)
    end
    it("defaults to time-major padding with zeros", function()
      local a, b = lucid.ones(3, 2), lucid.ones(1, 2)
      local y = R.pad_sequence({ a, b })
      assert.are.same({ 3, 2, 2 }, { y:size(1), y:size(2), y:size(3) })
      assert.are.same({ { { 1, 1 }, { 1, 1 } }, { { 1, 1 }, { 0, 0 } }, { { 1, 1 }, { 0, 0 } } }, y:tolist())
    end)
  end)

  describe("gradcheck (float64)", function()
    local gradcheck = lucid.autograd.gradcheck
    local function pad_pack(lengths, bf, es, pv, tl)
      return function(x)
        local p = R.pack_padded_sequence(x, lengths, { batch_first = bf, enforce_sorted = es })
        local y = R.pad_packed_sequence(p, { batch_first = bf, padding_value = pv, total_length = tl })
        return y, p.data
      end
    end
    it("pack then pad, time-major, unsorted with ties", function()
      lucid.manual_seed(1)
      local x = lucid.randn({ 5, 4, 2 }, { dtype = lucid.float64, requires_grad = true })
      assert.is_true(gradcheck(pad_pack({ 3, 5, 3, 1 }, false, false, 0.5, 6), { x }))
    end)
    it("pack then pad, batch-first, sorted", function()
      lucid.manual_seed(2)
      local x = lucid.randn({ 3, 4, 3 }, { dtype = lucid.float64, requires_grad = true })
      assert.is_true(gradcheck(pad_pack({ 4, 2, 2 }, true, true, 0, nil), { x }))
    end)
    it("pad then pack of packed data (unsorted)", function()
      lucid.manual_seed(3)
      local p0 = R.pack_padded_sequence(lucid.zeros(4, 3, 2, { dtype = lucid.float64 }), { 2, 4, 1 },
        { enforce_sorted = false })
      local d = lucid.randn(p0.data.shape, { dtype = lucid.float64, requires_grad = true })
      assert.is_true(gradcheck(function(data)
        local p = R.PackedSequence(data, p0.batch_sizes, p0.sorted_indices, p0.unsorted_indices)
        local y = R.pad_packed_sequence(p, { batch_first = true, total_length = 5 })
        return R.pack_padded_sequence(y, { 2, 4, 1 }, { batch_first = true, enforce_sorted = false }).data
      end, { d }))
    end)
    it("pad_sequence and pack_sequence", function()
      lucid.manual_seed(4)
      local a = lucid.randn({ 2, 3 }, { dtype = lucid.float64, requires_grad = true })
      local b = lucid.randn({ 4, 3 }, { dtype = lucid.float64, requires_grad = true })
      local c = lucid.randn({ 1, 3 }, { dtype = lucid.float64, requires_grad = true })
      assert.is_true(gradcheck(function(x, y, z)
        return R.pad_sequence({ x, y, z }, true, -1), R.pack_sequence({ x, y, z }, false).data
      end, { a, b, c }))
    end)
  end)

  it("takes an empty trailing table as (no) options", function()
    local x = lucid.ones(2, 2)
    local p = R.pack_padded_sequence(x, { 2, 1 }, {})
    assert.are.same({ 2, 1 }, p.batch_sizes:tolist())
    local y, l = R.pad_packed_sequence(p, {})
    assert.are.same({ { 1, 1 }, { 1, 0 } }, y:tolist())
    assert.are.same({ 2, 1 }, l:tolist())
    assert.are.same({ 2, 1 }, R.pack_sequence({ x, x:narrow(1, 1, 1) }, {}).batch_sizes:tolist())
    assert.are.same({ { 1, 1 }, { 1, 0 } }, R.pad_sequence({ x[1], x[1]:narrow(1, 1, 1) }, {}):tolist())
  end)

  it("returns fresh tensors, not views of the input", function()
    for _, rg in ipairs({ false, true }) do
      local x = lucid.ones({ 2, 2 }, { requires_grad = rg })
      local p = R.pack_padded_sequence(x, { 2, 2 })
      local y = R.pad_packed_sequence(p)
      lucid.no_grad(function() x:fill_(5) end)
      assert.are.same({ 1, 1, 1, 1 }, p.data:tolist())
      lucid.no_grad(function() p.data:fill_(7) end)
      assert.are.same({ { 1, 1 }, { 1, 1 } }, y:tolist())
    end
  end)

  describe("round trips", function()
    it("pad_packed_sequence inverts pack_padded_sequence on the valid steps", function()
      lucid.manual_seed(5)
      local x = lucid.randn(6, 5, 3, { dtype = lucid.float64 })
      local lengths = { 2, 6, 6, 1, 4 }
      local y, l = R.pad_packed_sequence(R.pack_padded_sequence(x, lengths, { enforce_sorted = false }))
      assert.are.same(lengths, l:tolist())
      for b = 1, 5 do
        same(y:select(2, b):narrow(1, 1, lengths[b]), x:select(2, b):narrow(1, 1, lengths[b]))
      end
    end)
  end)

  describe("PackedSequence", function()
    local data = lucid.tensor({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, { dtype = lucid.float64 })
    it("holds its fields; unsorted_indices defaults to the inverse of sorted_indices", function()
      local p = R.PackedSequence(data, { 2, 1 }, { 2, 1 })
      assert.are.equal(data, p.data)
      assert.are.equal(lucid.int64, p.batch_sizes.dtype)
      assert.are.same({ 2, 1 }, p.batch_sizes:tolist())
      assert.are.same({ 2, 1 }, p.sorted_indices:tolist())
      assert.are.same({ 2, 1 }, p.unsorted_indices:tolist())
      local q = R.PackedSequence(data, lucid.tensor({ 1, 1, 1 }, { dtype = lucid.int64 }))
      assert.is_nil(q.sorted_indices)
      assert.is_nil(q.unsorted_indices)
      local s = R.PackedSequence(lucid.zeros(6), { 3, 2, 1 }, { 3, 1, 2 })
      assert.are.same({ 2, 3, 1 }, s.unsorted_indices:tolist())
      local n = R.PackedSequence{ data = data, batch_sizes = { 2, 1 } }
      assert.are.same({ 2, 1 }, n.batch_sizes:tolist())
      assert.are.same({ data, n.batch_sizes }, { n:unpack() })
    end)
    it("is_packed tells packed sequences from anything else", function()
      assert.is_true(R.is_packed(R.PackedSequence(data, { 2, 1 })))
      assert.is_false(R.is_packed(data))
      assert.is_false(R.is_packed({ data = data }))
      assert.is_false(R.is_packed(nil))
    end)
    it("converts dtype with to / double / float / long", function()
      local p = R.PackedSequence(data, { 2, 1 }, { 2, 1 })
      local f = p:float()
      assert.is_true(R.is_packed(f))
      assert.are.equal(lucid.float32, f.data.dtype)
      assert.are.equal(p.batch_sizes, f.batch_sizes)
      assert.are.equal(p.sorted_indices, f.sorted_indices)
      assert.are.equal(lucid.float64, f:double().data.dtype)
      assert.are.equal(lucid.int64, p:to(lucid.int64).data.dtype)
      assert.are.equal(p, p:double())
      assert.has_error(function() p:to("half") end,
        "PackedSequence.to: dtype must be lucid.float32, lucid.float64 or lucid.int64, got 'half'")
      -- gradients pass through the conversion
      local d = lucid.tensor({ 1, 2, 3 }, { dtype = lucid.float64, requires_grad = true })
      R.PackedSequence(d, { 2, 1 }):float().data:sum():backward()
      assert.are.same({ 1, 1, 1 }, d.grad:tolist())
    end)
    it("prints like PyTorch's repr", function()
      local s = tostring(R.PackedSequence(data, { 2, 1 }, { 2, 1 }))
      assert.truthy(s:find("^PackedSequence%(data=\n"))
      assert.truthy(s:find("batch_sizes={2, 1}, sorted_indices={2, 1}, unsorted_indices={2, 1})", 1, true))
      assert.truthy(s:find("DoubleTensor of size (3, 2)", 1, true))
      local n = tostring(R.PackedSequence(data, { 2, 1 }))
      assert.truthy(n:find("sorted_indices=nil, unsorted_indices=nil)", 1, true))
    end)
    it("checks its arguments", function()
      assert.has_error(function() R.PackedSequence({ 1, 2 }, { 2 }) end,
        "PackedSequence: data must be a tensor, got table")
      assert.has_error(function() R.PackedSequence(data) end, "PackedSequence: missing argument 'batch_sizes'")
      assert.has_error(function() R.PackedSequence(lucid.zeros(0, 2), {}) end,
        "PackedSequence: batch_sizes must not be empty")
      assert.has_error(function() R.PackedSequence(data, { 1, 2 }) end,
        "PackedSequence: batch_sizes must be positive and non-increasing, got 2 at position 2")
      assert.has_error(function() R.PackedSequence(data, { 2, 2 }) end,
        "PackedSequence: batch_sizes sum to 4 but data has 3 rows")
      assert.has_error(function() R.PackedSequence(data, { 2, 1 }, { 1, 1 }) end,
        "PackedSequence: sorted_indices must be a permutation of 1..2 (1-based), got 1 at position 2")
      assert.has_error(function() R.PackedSequence(data, { 2, 1 }, { 0, 1 }) end,
        "PackedSequence: sorted_indices must be a permutation of 1..2 (1-based), got 0 at position 1")
      assert.has_error(function() R.PackedSequence(data, { 2, 1 }, { 1, 2, 3 }) end,
        "PackedSequence: index tensors must have batch_sizes[1] = 2 entries, got 3")
      assert.has_error(function() R.PackedSequence(data, { 2, 1 }, { bogus = 1 }) end,
        "PackedSequence: unknown option 'bogus'")
    end)
  end)

  describe("argument errors", function()
    local x = lucid.zeros(4, 3, 2)
    local P = "pack_padded_sequence: "
    it("pack_padded_sequence", function()
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 0, 1 }) end,
        P .. "lengths must be positive, got 0 at position 2")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, -1, 1 }, { enforce_sorted = false }) end,
        P .. "lengths must be positive, got -1 at position 2")
      assert.has_error(function() R.pack_padded_sequence(x, { 1, 3, 2 }) end,
        P .. "lengths must be sorted in decreasing order when enforce_sorted is true (got 1 then 3 at "
          .. "positions 1, 2); pass enforce_sorted = false to sort them")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2 }) end,
        P .. "got 2 lengths for a batch of 3 sequences")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2, 1 }, true) end,
        P .. "got 3 lengths for a batch of 4 sequences")
      assert.has_error(function() R.pack_padded_sequence(x, { 5, 2, 1 }) end,
        P .. "lengths[1] = 5 exceeds the sequence length 4 of input")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2.5, 1 }) end,
        P .. "lengths must hold integers, got 2.5 at position 2")
      assert.has_error(function() R.pack_padded_sequence(x, "3,2,1") end,
        P .. "lengths must be a Lua array of integers or a 1-D int64 tensor, got '3,2,1'")
      assert.has_error(function() R.pack_padded_sequence(x) end, P .. "missing argument 'lengths'")
      assert.has_error(function() R.pack_padded_sequence(lucid.zeros(3, 0, 2), {}) end,
        P .. "input has an empty batch (N = 0)")
      assert.has_error(function() R.pack_padded_sequence({ 1 }, { 1 }) end,
        P .. "input must be a tensor, got table")
      assert.has_error(function() R.pack_padded_sequence(lucid.zeros(3), { 1, 1, 1 }) end,
        P .. "input must have at least 2 dimensions (L, N, *), got 1")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2, 1 }, 1) end,
        P .. "batch_first must be a boolean, got integer")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2, 1 }, { sorted = false }) end,
        P .. "unknown option 'sorted'")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2, 1 }, false, { batch_first = true }) end,
        P .. "argument 'batch_first' given both by position and by name")
      assert.has_error(function() R.pack_padded_sequence(x, { 3, 2, 1 }, false, true, 1) end,
        P .. "expected at most 4 positional arguments, got 5")
    end)
    it("pad_packed_sequence", function()
      local p = R.pack_padded_sequence(x, { 3, 2, 1 })
      assert.has_error(function() R.pad_packed_sequence(x) end,
        "pad_packed_sequence: sequence must be a PackedSequence, got a tensor")
      assert.has_error(function() R.pad_packed_sequence(p, { total_length = 2 }) end,
        "pad_packed_sequence: total_length must be at least the length of the longest sequence 3, got 2")
      assert.has_error(function() R.pad_packed_sequence(p, { total_length = 3.5 }) end,
        "pad_packed_sequence: total_length must be an integer, got 3.5")
      assert.has_error(function() R.pad_packed_sequence(p, { padding_value = "x" }) end,
        "pad_packed_sequence: padding_value must be a number, got 'x'")
    end)
    it("pack_sequence and pad_sequence", function()
      for _, f in ipairs({ "pack_sequence", "pad_sequence" }) do
        assert.has_error(function() R[f]({}) end,
          f .. ": sequences must be a non-empty array of tensors, got an empty one")
        assert.has_error(function() R[f](lucid.zeros(2, 2)) end,
          f .. ": sequences must be a Lua array of tensors, got a tensor")
        assert.has_error(function() R[f]({ lucid.zeros(2, 3), lucid.zeros(1, 2) }) end,
          f .. ": sequences[2] has trailing dims (2), expected (3) as sequences[1]")
        assert.has_error(function() R[f]({ lucid.zeros(2, 3), lucid.zeros(1) }) end,
          f .. ": sequences[2] has trailing dims (), expected (3) as sequences[1]")
        assert.has_error(function() R[f]({ lucid.zeros(2), 3 }) end,
          f .. ": sequences[2] must be a tensor, got integer")
        assert.has_error(function() R[f]({ lucid.zeros(2), lucid.zeros(1, { dtype = lucid.float64 }) }) end,
          f .. ": sequences[2] has dtype lucid.float64, expected lucid.float32 as sequences[1]")
        assert.has_error(function() R[f]({ lucid.tensor(1) }) end,
          f .. ": sequences[1] must have at least 1 dimension (L, *), got a 0-D tensor")
      end
      assert.has_error(function() R.pack_sequence({ lucid.zeros(1), lucid.zeros(2) }) end,
        "pack_sequence: lengths must be sorted in decreasing order when enforce_sorted is true (got 1 then 2 "
          .. "at positions 1, 2); pass enforce_sorted = false to sort them")
      assert.has_error(function() R.pad_sequence({ lucid.zeros(1) }, "yes") end,
        "pad_sequence: batch_first must be a boolean, got 'yes'")
    end)
  end)
end)

describe("PackedSequence given only unsorted_indices", function()
  it("checks them and derives sorted_indices as their inverse", function()
    assert.matches("PackedSequence: index tensors must have batch_sizes%[1%] = 2 entries, got 3",
      H.err_of(R.PackedSequence, lucid.zeros(3, 2), { 2, 1 }, nil, { 1, 2, 3 }))
    local p = R.PackedSequence(lucid.zeros(3, 2), { 2, 1 }, nil, { 2, 1 })
    assert.are.same({ 2, 1 }, p.sorted_indices:tolist())
    p = R.PackedSequence(lucid.zeros(6, 2), { 3, 3 }, nil, { 3, 1, 2 })
    assert.are.same({ 2, 3, 1 }, p.sorted_indices:tolist())
  end)
end)
