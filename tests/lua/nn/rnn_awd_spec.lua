-- An AWD-LSTM-style character language model (weight_dropout on W_hh,
-- variational dropout between layers and on the recurrent state) trains on
-- Debian's fortunes corpus: a few hundred Adam steps lower the validation
-- loss, and training is reproducible under lucid.manual_seed.
local lucid = require("lucid")
local nn = require("nn")

local CORPUS = "/usr/share/games/fortunes/fortunes"

local function read_corpus()
  local f = assert(io.open(CORPUS, "rb"), "rnn_awd_spec: needs Debian's fortunes package")
  local text = f:read(60000)
  f:close()
  return text
end

local function encode(text)
  local index, n, ids = {}, 0, {}
  for i = 1, #text do
    local b = text:byte(i)
    if not index[b] then n = n + 1; index[b] = n end
    ids[i] = index[b]
  end
  return lucid.tensor(ids, { dtype = lucid.int64 }), n
end

-- (seq, N) input and target windows starting at the given positions.
local function batch(data, starts, seq)
  local rows = {}
  for i, s in ipairs(starts) do rows[i] = data:narrow(1, s, seq + 1) end
  local w = lucid.stack(rows, 2)
  return w:narrow(1, 1, seq):contiguous(), w:narrow(1, 2, seq):contiguous()
end

local function train(steps, seed)
  lucid.manual_seed(seed)
  math.randomseed(seed)
  local data, V = encode(read_corpus())
  local n_val = 6000
  local train_data, val_data = data:narrow(1, 1, data:numel() - n_val), data:narrow(1, data:numel() - n_val + 1, n_val)
  local embed = nn.Embedding(V, 24)
  local rnn = nn.LSTM(24, 48, 2, { weight_dropout = 0.3, variational = true, dropout = 0.2,
    recurrent_dropout = 0.1 })
  local head = nn.Linear(48, V)
  local params = {}
  for _, m in ipairs({ embed, rnn, head }) do
    for _, p in ipairs(m:parameters()) do params[#params + 1] = p end
  end
  local opt = lucid.optim.Adam(params, { lr = 1e-2 })
  local ce = nn.CrossEntropyLoss()
  local seq, N = 24, 8
  local function loss_of(x, y)
    local out = rnn(embed(x))
    return ce(head(out):view(-1, V), y:view(-1))
  end
  local val_starts = {}
  for i = 1, N do val_starts[i] = 1 + (i - 1) * ((n_val - seq - 2) // N) end
  local function val_loss()
    rnn:eval()
    local l = lucid.no_grad(function() return loss_of(batch(val_data, val_starts, seq)):item() end)
    rnn:train()
    return l
  end
  local before = val_loss()
  local last
  for _ = 1, steps do
    local starts = {}
    for i = 1, N do starts[i] = math.random(1, train_data:numel() - seq - 1) end
    opt:zero_grad()
    local loss = loss_of(batch(train_data, starts, seq))
    loss:backward()
    opt:step()
    last = loss:item()
  end
  return before, val_loss(), last
end

describe("an AWD-LSTM-style language model", function()
  it("lowers the validation loss on the fortunes corpus in a few hundred steps", function()
    local before, after = train(200, 1)
    assert.is_true(after < before - 1.0, string.format("validation loss %.3f -> %.3f", before, after))
  end)

  it("trains reproducibly under lucid.manual_seed", function()
    local _, a, la = train(5, 7)
    local _, b, lb = train(5, 7)
    assert.are.equal(a, b)
    assert.are.equal(la, lb)
  end)
end)
