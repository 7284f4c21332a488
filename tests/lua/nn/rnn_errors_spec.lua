-- nn.RNN, nn.GRU, nn.LSTM: bad arguments raise Lua errors naming the module,
-- the argument, what was expected and what was got (PyTorch's checks).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

describe("nn.RNN/GRU/LSTM construction errors", function()
  for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
    local new = nn[name]
    it(name .. ": sizes, num_layers, dropout and option types are checked", function()
      H.raises(function() return new(8, 0) end, name .. ": hidden_size must be at least 1, got 0")
      H.raises(function() return new(8, -3) end, name .. ": hidden_size", "-3")
      H.raises(function() return new(0, 4) end, name .. ": input_size must be at least 1, got 0")
      H.raises(function() return new(8, 4, 0) end, name .. ": num_layers must be in [1, 1024], got 0")
      -- refused, not built layer by layer for minutes (fuzz seed 12)
      H.raises(function() return new(3, 1, math.maxinteger) end, name .. ": num_layers must be in [1, 1024]")
      H.raises(function() return new(8, 4, { dropout = 1.5 }) end, name .. ": dropout must be in [0, 1], got 1.5")
      H.raises(function() return new(8, 4, { dropout = -0.1 }) end, name .. ": dropout", "-0.1")
      H.raises(function() return new(8, 4, { dropout = true }) end, name .. ": dropout must be a number, got boolean")
      H.raises(function() return new(8.5, 4) end, name .. ": input_size must be an integer")
      H.raises(function() return new(8) end, name .. ": missing argument 'hidden_size'")
      H.raises(function() return new(8, 4, { bias = "yes" }) end, name .. ": bias must be a boolean, got 'yes'")
      H.raises(function() return new(8, 4, { batch_first = 1 }) end, name .. ": batch_first must be a boolean")
      H.raises(function() return new(8, 4, { bidirectional = "no" }) end, name .. ": bidirectional must be a boolean")
      H.raises(function() return new(8, 4, { hidden = 3 }) end, name .. ": unknown option 'hidden'")
      H.raises(function() return new(8, 4, { device = "cuda" }) end, name .. ": device 'cuda' is unavailable")
      H.raises(function() return new(8, 4, { dtype = lucid.int64 }) end, name .. ": dtype must be lucid.float32 or lucid.float64")
    end)
  end

  it("RNNBase itself is not constructed", function()
    H.raises(function() return nn.RNNBase() end, "RNNBase: construct nn.RNN, nn.GRU or nn.LSTM instead")
  end)

  it("RNN: an unknown nonlinearity", function()
    H.raises(function() return nn.RNN(8, 4, { nonlinearity = "sigmoid" }) end,
      "RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'")
    H.raises(function() return nn.RNN(8, 4, 1, "gelu") end, "RNN: nonlinearity", "'gelu'")
  end)

  it("RNN and GRU: proj_size is LSTM's only", function()
    H.raises(function() return nn.RNN(8, 4, { proj_size = 2 }) end,
      "RNN: proj_size is only supported by LSTM, not RNN or GRU")
    H.raises(function() return nn.GRU(8, 4, { proj_size = 0 }) end,
      "GRU: proj_size is only supported by LSTM, not RNN or GRU")
    assert.has_no.errors(function() return nn.LSTM(8, 4, { proj_size = 2 }) end)
  end)

  it("LSTM: proj_size negative or not smaller than hidden_size", function()
    H.raises(function() return nn.LSTM(8, 4, { proj_size = -1 }) end, "LSTM: proj_size", "got -1")
    H.raises(function() return nn.LSTM(8, 4, { proj_size = 4 }) end,
      "LSTM: proj_size must be smaller than hidden_size (4), got 4")
    H.raises(function() return nn.LSTM(8, 4, { proj_size = 9 }) end, "LSTM: proj_size", "got 9")
  end)
end)

describe("nn.RNN/GRU/LSTM forward errors", function()
  for _, name in ipairs({ "RNN", "GRU", "LSTM" }) do
    local lstm = name == "LSTM"
    -- the hidden state argument in this module's form
    local function state(h, c)
      if lstm then return { h, c or lucid.zeros(h.shape) } end
      return h
    end
    local what = lstm and "h0" or "hidden"

    it(name .. ": the input must be a 2D or 3D tensor with input_size features", function()
      local m = nn[name](8, 16, 2)
      H.raises(function() return m("x") end, name .. ": input must be a tensor or a PackedSequence, got string")
      H.raises(function() return m(nil) end, name .. ": input must be a tensor", "got nil")
      H.raises(function() return m({ 1, 2 }) end, name .. ": input must be a tensor", "got table")
      H.raises(function() return m(lucid.randn(2, 3, 4, 8)) end, name .. ": Expected input to be 2D or 3D, got 4D tensor")
      H.raises(function() return m(lucid.randn(8)) end, name .. ": Expected input to be 2D or 3D, got 1D tensor")
      H.raises(function() return m(lucid.randn(5, 3, 7)) end, name .. ": input has 7 features, expected input_size 8")
      H.raises(function() return m(lucid.randn(5, 9)) end, name .. ": input has 9 features, expected input_size 8")
    end)

    it(name .. ": an empty sequence or batch", function()
      local m = nn[name](8, 16)
      H.raises(function() return m(lucid.zeros(0, 3, 8)) end, name .. ": Expected a non-empty sequence", "(0, 3, 8)")
      H.raises(function() return m(lucid.zeros(4, 0, 8)) end, name .. ": Expected a non-empty sequence", "(4, 0, 8)")
      H.raises(function() return m(lucid.zeros(0, 8)) end, name .. ": Expected a non-empty sequence", "(0, 8)")
      local mb = nn[name](8, 16, { batch_first = true })
      H.raises(function() return mb(lucid.zeros(0, 4, 8)) end, name .. ": Expected a non-empty sequence", "(0, 4, 8)")
    end)

    it(name .. ": the hidden state's rank, shape and batch", function()
      local m = nn[name](8, 16, 2)
      local x = lucid.randn(5, 3, 8)
      H.raises(function() return m(x, state(lucid.zeros(1, 3, 16))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (1, 3, 16)")
      H.raises(function() return m(x, state(lucid.zeros(2, 3, 15))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (2, 3, 15)")
      H.raises(function() return m(x, state(lucid.zeros(2, 4, 16))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (2, 4, 16)", "batch 4, the input 3")
      H.raises(function() return m(x, state(lucid.zeros(2, 1, 3, 16))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (2, 1, 3, 16)")
      -- lucid's 2D rule: (batch, hidden) for the first layer, and nothing else 2D
      H.raises(function() return m(x, state(lucid.zeros(4, 16))) end,
        name .. ": Expected " .. what .. " size (3, 16) (first layer) or (2, 3, 16), got (4, 16)")
      H.raises(function() return m(x, state(lucid.zeros(16))) end, name .. ": Expected " .. what .. " size")
      -- batch_first does not apply to the state
      local mb = nn[name](8, 16, 2, { batch_first = true })
      H.raises(function() return mb(lucid.randn(3, 5, 8), state(lucid.zeros(2, 5, 16))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (2, 5, 16)")
      -- unbatched input wants an unbatched state
      H.raises(function() return m(lucid.randn(5, 8), state(lucid.zeros(2, 1, 16))) end,
        name .. ": Expected " .. what .. " size (2, 16) for unbatched input, got (2, 1, 16)")
      -- bidirectional doubles the first dim
      local bi = nn[name](8, 16, { bidirectional = true })
      H.raises(function() return bi(x, state(lucid.zeros(1, 3, 16))) end,
        name .. ": Expected " .. what .. " size (2, 3, 16), got (1, 3, 16)")
    end)

    it(name .. ": dtype mismatches between the input, the state and the parameters", function()
      local m = nn[name](8, 16)
      H.raises(function() return m(lucid.randn(5, 3, 8):double()) end,
        name .. ": input has dtype float64 but the parameters have dtype float32")
      H.raises(function() return m(lucid.randn(5, 3, 8):long()) end,
        name .. ": input has dtype int64 but the parameters have dtype float32")
      H.raises(function() return m(lucid.randn(5, 3, 8), state(lucid.zeros(1, 3, 16):double())) end,
        name .. ": " .. (lstm and "h0" or "hx") .. " has dtype float64 but the input has dtype float32")
    end)
  end

  it("RNN and GRU: the hidden state must be a tensor", function()
    for _, name in ipairs({ "RNN", "GRU" }) do
      local m = nn[name](8, 16)
      H.raises(function() return m(lucid.randn(5, 3, 8), { lucid.zeros(1, 3, 16) }) end,
        name .. ": hx must be a tensor, got table")
      H.raises(function() return m(lucid.randn(5, 3, 8), "h") end, name .. ": hx must be a tensor, got string")
    end
  end)

  it("LSTM: the state must be a table {h0, c0} of correctly shaped tensors", function()
    local m = nn.LSTM(8, 16, { proj_size = 4 })
    local x = lucid.randn(5, 3, 8)
    H.raises(function() return m(x, lucid.zeros(1, 3, 4)) end, "LSTM: hx must be a table {h0, c0}, got a tensor")
    H.raises(function() return m(x, 3) end, "LSTM: hx must be a table {h0, c0}, got number")
    H.raises(function() return m(x, { lucid.zeros(1, 3, 4) }) end,
      "LSTM: hx must be a table {h0, c0} of two tensors, got userdata and nil")
    H.raises(function() return m(x, { lucid.zeros(1, 3, 4), "c" }) end, "LSTM: c0 must be a tensor, got string")
    -- h0 has proj_size features, c0 hidden_size
    H.raises(function() return m(x, { lucid.zeros(1, 3, 16), lucid.zeros(1, 3, 16) }) end,
      "LSTM: Expected h0 size (1, 3, 4), got (1, 3, 16)")
    H.raises(function() return m(x, { lucid.zeros(1, 3, 4), lucid.zeros(1, 3, 4) }) end,
      "LSTM: Expected c0 size (1, 3, 16), got (1, 3, 4)")
    H.raises(function() return m(x, { lucid.zeros(1, 3, 4), lucid.zeros(1, 3, 16):double() }) end,
      "LSTM: c0 has dtype float64 but the input has dtype float32")
  end)

  it("errors point at the caller's line, not into the module", function()
    local m = nn.RNN(8, 16)
    -- not a tail call, so the caller is this function
    local err = H.raises(function() local y = m(lucid.randn(5, 3, 7)); return y end, "RNN: input has 7 features")
    assert.is_truthy(err:find("rnn_errors_spec.lua:" .. debug.getinfo(1, "l").currentline - 1 .. ":", 1, true), err)
  end)

  it("a failed call leaves the module usable", function()
    local m = nn.GRU(8, 16)
    H.raises(function() return m(lucid.randn(5, 3, 7)) end, "GRU: input has 7 features")
    local y, h = m(lucid.randn(5, 3, 8))
    assert.are.equal("(5, 3, 16)", tostring(y.shape))
    assert.are.equal("(1, 3, 16)", tostring(h.shape))
  end)
end)
