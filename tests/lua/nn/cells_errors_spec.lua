-- Bad arguments to nn.RNNCell, nn.GRUCell and nn.LSTMCell raise Lua errors that name the
-- module, the argument, what was expected and what was got (PyTorch's checks).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

-- Asserts fn raises an error containing `text` (plain).
local function raises(text, fn) return H.raises(fn, text) end

local NAMES = { "RNNCell", "GRUCell", "LSTMCell" }

describe("cell constructors reject bad arguments", function()
  for _, name in ipairs(NAMES) do
    it(name .. ": sizes must be positive integers", function()
      raises(name .. ": hidden_size must be at least 1, got 0", function() nn[name](8, 0) end)
      raises(name .. ": input_size must be at least 1, got -2", function() nn[name](-2, 4) end)
      raises(name .. ": input_size must be an integer, got float", function() nn[name](2.5, 4) end)
      raises(name .. ": missing argument 'hidden_size'", function() nn[name](8) end)
      raises(name .. ": hidden_size must be an integer, got '16'", function() nn[name](8, "16") end)
    end)

    it(name .. ": bias must be a boolean", function()
      raises(name .. ": bias must be a boolean, got integer", function() nn[name](8, 16, { bias = 1 }) end)
    end)

    it(name .. ": device must be 'cpu'", function()
      raises(name .. ": device 'cuda' is unavailable", function() nn[name](8, 16, { device = "cuda" }) end)
    end)

    it(name .. ": dtype must be float32 or float64", function()
      raises(name .. ": dtype must be lucid.float32 or lucid.float64, got lucid.int64",
        function() nn[name](8, 16, { dtype = lucid.int64 }) end)
    end)

    it(name .. ": unknown options are named", function()
      raises(name .. ": unknown option 'hiden_size'", function()
        nn[name]{ input_size = 8, hiden_size = 16 }
      end)
    end)
  end

  it("RNNCell: nonlinearity must be 'tanh' or 'relu'", function()
    raises("RNNCell: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'",
      function() nn.RNNCell(8, 16, { nonlinearity = "sigmoid" }) end)
    raises("RNNCell: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'",
      function() nn.RNNCell(8, 16, true, "sigmoid") end)
    raises("RNNCell: nonlinearity must be a string, got integer",
      function() nn.RNNCell(8, 16, { nonlinearity = 1 }) end)
  end)

  it("GRUCell and LSTMCell have no nonlinearity option", function()
    raises("GRUCell: unknown option 'nonlinearity'", function() nn.GRUCell(8, 16, { nonlinearity = "relu" }) end)
    raises("LSTMCell: unknown option 'nonlinearity'", function() nn.LSTMCell(8, 16, { nonlinearity = "relu" }) end)
  end)
end)

describe("cell forward rejects bad inputs", function()
  for _, name in ipairs(NAMES) do
    local cell = nn[name](8, 16)
    local what = name == "LSTMCell" and "h" or "hx"
    -- calls the cell with a state in the right form for its kind
    local function call(x, h)
      if name == "LSTMCell" then
        return cell(x, h and { h, lucid.zeros(h.shape) } or nil)
      end
      return cell(x, h)
    end

    it(name .. ": input must be a tensor", function()
      raises(name .. ": input must be a tensor, got table", function() cell({ 1, 2, 3 }) end)
      raises(name .. ": input must be a tensor, got nil", function() cell() end)
      raises(name .. ": input must be a tensor, got number", function() cell(3) end)
    end)

    it(name .. ": input must be 1D or 2D", function()
      raises(name .. ": Expected input to be 1D or 2D, got 3D tensor", function() cell(lucid.randn(5, 3, 8)) end)
      raises(name .. ": Expected input to be 1D or 2D, got 0D tensor", function() cell(lucid.tensor(1.0)) end)
    end)

    it(name .. ": input feature size must be input_size", function()
      raises(name .. ": input has 7 features, expected input_size 8", function() cell(lucid.randn(3, 7)) end)
      raises(name .. ": input has 9 features, expected input_size 8", function() cell(lucid.randn(9)) end)
    end)

    it(name .. ": input dtype must match the parameters", function()
      raises(name .. ": input has dtype float64, but the parameters are float32",
        function() cell(lucid.randn(3, 8, { dtype = lucid.float64 })) end)
      raises(name .. ": input has dtype int64, but the parameters are float32",
        function() cell(lucid.zeros(3, 8, { dtype = lucid.int64 })) end)
    end)

    it(name .. ": the state must have shape (N, hidden_size)", function()
      raises(name .. ": " .. what .. " has shape (3, 15), expected (3, 16)",
        function() call(lucid.randn(3, 8), lucid.randn(3, 15)) end)
      raises(name .. ": " .. what .. " has shape (16), expected (3, 16)",
        function() call(lucid.randn(3, 8), lucid.randn(16)) end)
      raises(name .. ": " .. what .. " has shape (1, 3, 16), expected (3, 16)",
        function() call(lucid.randn(3, 8), lucid.randn(1, 3, 16)) end)
    end)

    it(name .. ": the state's batch must match the input's", function()
      raises(name .. ": " .. what .. " has batch size 4 but the input has batch size 3",
        function() call(lucid.randn(3, 8), lucid.randn(4, 16)) end)
    end)

    it(name .. ": an unbatched input takes an unbatched state", function()
      raises(name .. ": " .. what .. " has shape (1, 16), expected (16) for an unbatched input",
        function() call(lucid.randn(8), lucid.randn(1, 16)) end)
    end)

    it(name .. ": the state's dtype must match the input's", function()
      raises(name .. ": " .. what .. " has dtype float64, but the input is float32",
        function() call(lucid.randn(3, 8), lucid.randn(3, 16, { dtype = lucid.float64 })) end)
    end)

    it(name .. ": errors point at the caller", function()
      local err = raises("features", function() cell(lucid.randn(3, 7)) end)
      assert.is_truthy(err:find("cells_errors_spec.lua", 1, true), err)
    end)
  end

  it("RNNCell and GRUCell: hx must be a tensor", function()
    raises("RNNCell: hx must be a tensor, got table",
      function() nn.RNNCell(8, 16)(lucid.randn(3, 8), { lucid.zeros(3, 16) }) end)
    raises("GRUCell: hx must be a tensor, got number", function() nn.GRUCell(8, 16)(lucid.randn(3, 8), 0) end)
  end)

  it("LSTMCell: the state must be a table {h, c}", function()
    local cell = nn.LSTMCell(8, 16)
    local x = lucid.randn(3, 8)
    raises("LSTMCell: state must be a table {h, c}, got a tensor", function() cell(x, lucid.zeros(3, 16)) end)
    raises("LSTMCell: state must be a table {h, c}, got number", function() cell(x, 1) end)
    raises("LSTMCell: state must be a table {h, c} of two tensors, got nil for c",
      function() cell(x, { lucid.zeros(3, 16) }) end)
    raises("LSTMCell: state must be a table {h, c} of two tensors, got nil for h", function() cell(x, {}) end)
    raises("LSTMCell: c must be a tensor, got string", function() cell(x, { lucid.zeros(3, 16), "c" }) end)
    raises("LSTMCell: c has shape (3, 15), expected (3, 16)",
      function() cell(x, { lucid.zeros(3, 16), lucid.zeros(3, 15) }) end)
  end)

  it("the core's check raises once, at the caller's line, for every recurrent module", function()
    local function position_of(fn)
      local err = raises("features", fn)
      local _, n = err:gsub("cells_errors_spec%.lua:%d+: ", "")
      assert.are.equal(1, n, err) -- one position, not the library's and not twice
      return err
    end
    local line = debug.getinfo(1, "l").currentline
    local err = position_of(function() local h = nn.GRUCell(8, 16)(lucid.randn(3, 7)); return h end)
    assert.is_truthy(err:find("cells_errors_spec.lua:" .. line + 1 .. ": GRUCell:", 1, true), err)
    position_of(function() local y = nn.LSTM(8, 16)(lucid.randn(5, 3, 7)); return y end)
    position_of(function() local y = nn.MinGRU(8, 16)(lucid.randn(5, 3, 7)); return y end)
    position_of(function() local y = nn.MinGRUCell(8, 16)(lucid.randn(3, 7)); return y end)
  end)

  it("the minimal RNN kernel's own check (a positive state) also raises once, at the caller's line", function()
    for _, case in ipairs({
      { "MinGRU: h0 must be positive",
        function() local y = nn.MinGRU(3, 2)(lucid.randn(4, 1, 3), lucid.zeros(1, 1, 2)); return y end },
      { "MinGRUCell: hx must be positive",
        function() local h = nn.MinGRUCell(3, 2)(lucid.randn(1, 3), lucid.zeros(1, 2)); return h end },
      { "MinLSTMCell: hx must be positive",
        function() local h = nn.MinLSTMCell(3, 2)(lucid.randn(3), -lucid.ones(2)); return h end },
    }) do -- (no tail calls: their frames would be gone from the stack)
      local err = raises(case[1], case[2])
      local _, n = err:gsub("cells_errors_spec%.lua:%d+: ", "")
      assert.are.equal(1, n, err)
    end
  end)

  it("step (what forward calls after its checks) names a state of the wrong width or kind", function()
    local cell, x = nn.LSTMCell(4, 5), lucid.randn(3, 4)
    raises("LSTMCell: step(input, h0 [, c0]) takes (N, input_size) and (N, 5) tensors", function()
      local h = cell:step(x, lucid.zeros(3, 6), lucid.zeros(3, 5)); return h end)
    raises("got (3, 4), (3, 5) and string", function() local h = cell:step(x, lucid.zeros(3, 5), "c"); return h end)
    raises("GRUCell: step(input, h0 [, c0])", function()
      local h = nn.GRUCell(4, 5):step(x, lucid.zeros(3, 5), lucid.zeros(3, 5)); return h end)
    local h, c = cell:step(x, lucid.zeros(3, 5), lucid.zeros(3, 5))
    assert.are.same({ 3, 5 }, { h:size(1), h:size(2) })
    assert.are.equal(5, c:size(2))
  end)

  it("a bad call leaves the cell usable", function()
    local cell = nn.GRUCell(8, 16)
    raises("GRUCell: input has 7 features, expected input_size 8", function() return cell(lucid.randn(3, 7)) end)
    assert.is_true(cell(lucid.randn(3, 8)).shape == { 3, 16 })
  end)
end)
