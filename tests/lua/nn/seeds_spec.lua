-- The examples of the seed documents (work/shared/seeds: 000 lucid RNNCell, 001 lucid RNN,
-- 002 PyTorch RNNCell, 003 lucid GRUCell, 004 R torch nn_rnn), translated to Lua as API.md
-- fixes it, with the shapes the seeds print, plus the relations the seeds' formulas imply.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

describe("seed 000: lucid nn.RNNCell", function()
  it("manual time loop with tanh gives (3, 16)", function()
    local cell = nn.RNNCell{ input_size = 8, hidden_size = 16 }
    local x_seq = lucid.randn(5, 3, 8) -- (L=5, N=3, I=8)
    local h = lucid.zeros(3, 16)
    for t = 1, 5 do
      h = cell(x_seq[t], h) -- (N=3, H=16)
    end
    assert.is_true(h.shape == { 3, 16 })
    assert.are.equal("(3, 16)", tostring(h.shape))
    assert.is_true(h:abs():max():item() < 1) -- tanh
  end)

  it("relu cell without a state gives (4, 16), never negative", function()
    local cell_relu = nn.RNNCell(8, 16, { nonlinearity = "relu" })
    local h2 = cell_relu(lucid.randn(4, 8))
    assert.is_true(h2.shape == { 4, 16 })
    assert.are.equal("(4, 16)", tostring(h2.shape))
    assert.is_true(h2:min():item() >= 0)
  end)

  it("has the documented attributes and init", function()
    local cell = nn.RNNCell(8, 16)
    assert.is_true(cell.weight_ih.shape == { 16, 8 })
    assert.is_true(cell.weight_hh.shape == { 16, 16 })
    assert.is_true(cell.bias_ih.shape == { 16 })
    assert.is_true(cell.bias_hh.shape == { 16 })
    assert.is_nil(nn.RNNCell(8, 16, { bias = false }).bias_ih)
    assert.is_true(cell.weight_hh:abs():max():item() <= 1 / math.sqrt(16))
  end)
end)

describe("seed 001: lucid nn.RNN", function()
  it("tanh RNN over a batch-first sequence gives (4, 6, 12) and (1, 4, 12)", function()
    local seq = lucid.randn(4, 6, 10) -- (batch=4, seq_len=6, input_size=10)
    local rnn = nn.RNN{ input_size = 10, hidden_size = 12, batch_first = true }
    local output, h_n = rnn(seq)
    assert.is_true(output.shape == { 4, 6, 12 })
    assert.is_true(h_n.shape == { 1, 4, 12 })
    -- the last step of the output is the final hidden state
    H.assert_close(output:select(2, 6), h_n[1])
  end)

  it("stacked relu RNN with dropout and h0 gives (5, 3, 6) and (2, 3, 6)", function()
    local seq = lucid.randn(5, 3, 8) -- (seq_len=5, batch=3, input_size=8)
    local h0 = lucid.zeros(2, 3, 6) -- (num_layers=2, batch=3, hidden_size=6)
    local rnn = nn.RNN{
      input_size = 8,
      hidden_size = 6,
      num_layers = 2,
      nonlinearity = "relu",
      dropout = 0.2,
    }
    local output, h_n = rnn(seq, h0)
    assert.is_true(output.shape == { 5, 3, 6 })
    assert.is_true(h_n.shape == { 2, 3, 6 })
    assert.are.equal("(5, 3, 6)", tostring(output.shape))
    assert.is_true(output:min():item() >= 0)
    H.assert_close(output[5], h_n[2])
  end)

  it("the positional form follows the documented order", function()
    local rnn = nn.RNN(8, 6, 2, "relu", true, true, 0.0)
    local output, h_n = rnn(lucid.randn(3, 5, 8))
    assert.is_true(output.shape == { 3, 5, 6 })
    assert.is_true(h_n.shape == { 2, 3, 6 })
  end)
end)

describe("seed 002: PyTorch nn.RNNCell", function()
  it("collects the hidden state of six steps", function()
    local rnn = nn.RNNCell(10, 20)
    local input = lucid.randn(6, 3, 10)
    local hx = lucid.randn(3, 20)
    local output = {}
    for i = 1, 6 do
      hx = rnn(input[i], hx)
      output[#output + 1] = hx
    end
    assert.are.equal(6, #output)
    for i = 1, 6 do assert.is_true(output[i].shape == { 3, 20 }) end
  end)

  it("computes h' = tanh(W_ih x + b_ih + W_hh h + b_hh)", function()
    local rnn = nn.RNNCell(10, 20, { dtype = lucid.float64 })
    local x = lucid.randn(3, 10, { dtype = lucid.float64 })
    local h = lucid.randn(3, 20, { dtype = lucid.float64 })
    local want = (x:matmul(rnn.weight_ih:t()) + rnn.bias_ih + h:matmul(rnn.weight_hh:t()) + rnn.bias_hh):tanh()
    H.assert_close(rnn(x, h), want)
  end)
end)

describe("seed 003: lucid nn.GRUCell", function()
  it("manual sequence loop gives (4, 16)", function()
    local cell = nn.GRUCell{ input_size = 8, hidden_size = 16 }
    local x_seq = lucid.randn(6, 4, 8) -- (L=6, N=4, I=8)
    local h = lucid.zeros(4, 16)
    for t = 1, 6 do
      h = cell(x_seq[t], h)
    end
    assert.is_true(h.shape == { 4, 16 })
  end)

  it("no explicit initial state gives (3, 12)", function()
    local cell2 = nn.GRUCell(4, 12)
    local h2 = cell2(lucid.randn(3, 4))
    assert.is_true(h2.shape == { 3, 12 })
  end)

  it("stacks the gates [r; z; n] into (3H, *) parameters", function()
    local cell = nn.GRUCell(4, 12, { dtype = lucid.float64 })
    assert.is_true(cell.weight_ih.shape == { 36, 4 })
    assert.is_true(cell.weight_hh.shape == { 36, 12 })
    local x = lucid.randn(3, 4, { dtype = lucid.float64 })
    local h = lucid.randn(3, 12, { dtype = lucid.float64 })
    local gi = x:matmul(cell.weight_ih:t()) + cell.bias_ih
    local gh = h:matmul(cell.weight_hh:t()) + cell.bias_hh
    local r = (gi:narrow(2, 1, 12) + gh:narrow(2, 1, 12)):sigmoid()
    local z = (gi:narrow(2, 13, 12) + gh:narrow(2, 13, 12)):sigmoid()
    local n = (gi:narrow(2, 25, 12) + r * gh:narrow(2, 25, 12)):tanh()
    H.assert_close(cell(x, h), (1 - z) * n + z * h)
  end)
end)

describe("seed 004: R torch nn_rnn", function()
  it("two-layer RNN with h0 gives (5, 3, 20) and (2, 3, 20)", function()
    local rnn = nn.RNN(10, 20, 2)
    local input = lucid.randn(5, 3, 10)
    local h0 = lucid.randn(2, 3, 20)
    local output, h_n = rnn(input, h0)
    assert.is_true(output.shape == { 5, 3, 20 })
    assert.is_true(h_n.shape == { 2, 3, 20 })
    H.assert_close(output[5], h_n[2])
    -- the documented weights: weight_ih_l[k] is (H, I) for k = 0, (H, H) after
    assert.is_true(rnn.weight_ih_l0.shape == { 20, 10 })
    assert.is_true(rnn.weight_ih_l1.shape == { 20, 20 })
    assert.is_true(rnn.weight_hh_l1.shape == { 20, 20 })
    assert.is_true(rnn.bias_hh_l1.shape == { 20 })
  end)

  it("each layer applies h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh): a loop of RNNCells", function()
    local rnn = nn.RNN(10, 20, 2, { dtype = lucid.float64 })
    local input = lucid.randn(5, 3, 10, { dtype = lucid.float64 })
    local h0 = lucid.randn(2, 3, 20, { dtype = lucid.float64 })
    local output, h_n = rnn(input, h0)
    local cells = {}
    for k = 0, 1 do
      local cell = nn.RNNCell(k == 0 and 10 or 20, 20, { dtype = lucid.float64 })
      cell:load_state_dict({
        weight_ih = rnn["weight_ih_l" .. k], weight_hh = rnn["weight_hh_l" .. k],
        bias_ih = rnn["bias_ih_l" .. k], bias_hh = rnn["bias_hh_l" .. k],
      })
      cells[k + 1] = cell
    end
    local h = { h0[1], h0[2] }
    for t = 1, 5 do
      h[1] = cells[1](input[t], h[1])
      h[2] = cells[2](h[1], h[2])
      H.assert_close(output[t], h[2], 1e-12, 1e-14)
    end
    H.assert_close(h_n[1], h[1], 1e-12, 1e-14)
    H.assert_close(h_n[2], h[2], 1e-12, 1e-14)
  end)
end)
