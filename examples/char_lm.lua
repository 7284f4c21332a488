-- A character-level language model: an embedding, a GRU or LSTM, and a linear
-- read-out, trained on a text corpus to predict the next byte.
--
--   build/bin/lucid examples/char_lm.lua [--model gru|lstm] [--corpus FILE] ...
--
-- By default the corpus is the fortune cookies of Debian's `fortunes` package
-- (/usr/share/games/fortunes). It trains with Adam and gradient clipping,
-- shows a progress bar, reports a validation loss, saves checkpoints with
-- lucid.save (and resumes from one with --resume), plots the loss curve with
-- gnuplot when it is installed, and ends by sampling text at a temperature.
local lucid = require("lucid")
local nn = require("nn")
local utils = require("lucid.utils")

local DEFAULTS = {
  model = "gru", corpus = "", max_chars = 400000, hidden = 256, layers = 2, embed = 32,
  seq = 64, batch = 32, steps = 1400, lr = 3e-3, clip = 1.0, val_every = 100, val_batches = 4,
  checkpoint = "char_lm.ckpt", resume = false, sample = 300, temperature = 0.8,
  prime = "The ", plot = "char_lm_loss.png", seed = 1, threads = 0, layer_norm = false,
}
local USAGE = [[
usage: lucid examples/char_lm.lua [options]
  --model gru|lstm|awd the recurrent layer (gru); awd: an AWD-LSTM-style LSTM with
                       weight dropout (0.5 on W_hh) and variational dropout (0.3)
  --layer-norm         layer-normalised cells (GRU, LSTM or the AWD LSTM)
  --corpus FILE        text to train on (Debian's fortunes)
  --max_chars N        use at most N characters of it (400000)
  --hidden N, --layers N, --embed N   model sizes (256, 2, 32)
  --seq N, --batch N   window length and batch size (64, 32)
  --steps N, --lr X, --clip X         training (1400, 0.003, 1.0)
  --val_every N, --val_batches N      validation (100, 4)
  --checkpoint FILE    where checkpoints go (char_lm.ckpt)
  --resume             continue from --checkpoint; its model, sizes and vocabulary are
                       kept, and a --model, --hidden, --layers or --embed that differs
                       from them is an error
  --sample N, --temperature X, --prime TEXT   sampling (300, 0.8, "The ")
  --plot FILE          the loss-curve PNG, "" for none (char_lm_loss.png)
  --seed N, --threads N                random seed (1), threads (0: lucid's default)
  --help               this text
]]

-- Errors in the command line print the message and the usage, without a
-- traceback, and exit with status 2 (as most command-line tools do).
local function usage_error(msg)
  io.stderr:write("char_lm: ", msg, "\n", USAGE)
  os.exit(2)
end

for _, a in ipairs(arg) do
  if a == "--help" or a == "-h" then
    io.write(USAGE)
    os.exit(0)
  end
end
local parsed, opts = pcall(utils.parse_args, arg, DEFAULTS)
if not parsed then usage_error(opts) end
if opts.model ~= "gru" and opts.model ~= "lstm" and opts.model ~= "awd" then
  usage_error("--model must be gru, lstm or awd, got '" .. opts.model .. "'")
end
-- The options given on the command line (not defaults), to check --resume.
local given = {}
for _, a in ipairs(arg) do
  local name = a:match("^%-%-([%w_%-]+)")
  if name then given[(name:gsub("%-", "_"))] = true end
end
if opts.threads > 0 then lucid.set_num_threads(opts.threads) end
lucid.manual_seed(opts.seed)

-- ---- the corpus -------------------------------------------------------------

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then error("char_lm: cannot read " .. err, 0) end
  local text = f:read("a")
  f:close()
  return text
end

local text = opts.corpus ~= "" and read_file(opts.corpus) or lucid.datasets.fortunes()
if #text > opts.max_chars then text = text:sub(1, opts.max_chars) end
if #text < 2 * (opts.seq + 1) then
  error(string.format("char_lm: the corpus has %d characters, too few for --seq %d", #text, opts.seq), 0)
end

-- ---- the vocabulary: the bytes that occur, as 1-based class indices ---------

local function build_vocab(str)
  local seen, chars = {}, {}
  for i = 1, #str do seen[str:byte(i)] = true end
  for b = 0, 255 do
    if seen[b] then chars[#chars + 1] = string.char(b) end
  end
  return table.concat(chars)
end

local function encode(str, vocab)
  local index, ids = {}, {}
  for i = 1, #vocab do index[vocab:byte(i)] = i end
  for i = 1, #str do ids[i] = index[str:byte(i)] or 1 end
  return lucid.tensor(ids, { dtype = lucid.int64 })
end

-- ---- the model ----------------------------------------------------------------

local CharModel = nn.Module:extend("CharModel", {
  { "vocab", "integer", min = 1 },
  { "embed", "integer", min = 1 },
  { "hidden", "integer", min = 1 },
  { "layers", "integer", min = 1 },
  { "kind", "string", choices = { "gru", "lstm", "awd" } },
  { "layer_norm", "boolean", default = false },
})

-- The recurrent layer's options for each --model (the fused kernel's own
-- options: docs/recurrent.md).
local RNN_OPTIONS = {
  gru = {}, lstm = {},
  awd = { weight_dropout = 0.5, variational = true, dropout = 0.3 },
}

function CharModel:init(a)
  self.kind = a.kind
  self:add_module("embedding", nn.Embedding(a.vocab, a.embed))
  local Rnn = a.kind == "gru" and nn.GRU or nn.LSTM
  local o = { num_layers = a.layers, layer_norm = a.layer_norm or nil }
  for k, v in pairs(RNN_OPTIONS[a.kind]) do o[k] = v end
  if a.layers == 1 then o.dropout, o.variational = nil, nil end -- dropout is between layers
  self:add_module("rnn", Rnn(a.embed, a.hidden, o))
  self:add_module("head", nn.Linear(a.hidden, a.vocab))
end

-- ids (L, N) -> logits (L, N, V) and the recurrent state.
function CharModel:forward(ids, state)
  local out, new_state = self.rnn(self.embedding(ids), state)
  return self.head(out), new_state
end

-- ---- batches: random windows of seq + 1 characters --------------------------

local function batch_from(data, starts, seq)
  local rows = {}
  for i, s in ipairs(starts) do rows[i] = data:narrow(1, s, seq + 1) end
  local windows = lucid.stack(rows, 2) -- (seq + 1, N)
  return windows:narrow(1, 1, seq):contiguous(), windows:narrow(1, 2, seq):contiguous()
end

local function random_batch(data, n, seq)
  local starts, limit = {}, data:numel() - seq
  for i = 1, n do starts[i] = math.random(1, limit) end
  return batch_from(data, starts, seq)
end

-- ---- training -----------------------------------------------------------------

local ckpt = opts.resume and lucid.load(opts.checkpoint) or nil
local vocab, data, model, optimizer, first_step, history
if ckpt then
  for _, name in ipairs({ "model", "hidden", "layers", "embed", "layer_norm" }) do
    if given[name] and opts[name] ~= ckpt[name] then
      usage_error(string.format("--resume: the checkpoint %s has --%s %s, not %s; drop --%s or start afresh",
        opts.checkpoint, name, tostring(ckpt[name]), tostring(opts[name]), name))
    end
  end
  vocab, opts.model, opts.hidden, opts.layers, opts.embed, opts.layer_norm =
    ckpt.vocab, ckpt.model, ckpt.hidden, ckpt.layers, ckpt.embed, ckpt.layer_norm or false
  first_step, history = ckpt.step, ckpt.history
  print(string.format("resuming from %s at step %d", opts.checkpoint, first_step))
else
  vocab, first_step, history = build_vocab(text), 0, {}
end
data = encode(text, vocab)
local n_val = math.max(opts.seq + 2, data:numel() // 10)
local train_data = data:narrow(1, 1, data:numel() - n_val)
local val_data = data:narrow(1, data:numel() - n_val + 1, n_val)

model = CharModel(#vocab, opts.embed, opts.hidden, opts.layers, opts.model, opts.layer_norm)
optimizer = lucid.optim.Adam(model:parameters(), { lr = opts.lr })
if ckpt then
  model:load_state_dict(ckpt.model_state)
  optimizer:load_state_dict(ckpt.optimizer_state)
end
local criterion = nn.CrossEntropyLoss()
math.randomseed(opts.seed + first_step)

local function loss_of(inputs, targets)
  local logits = model(inputs)
  local V = logits:size(3)
  return criterion(logits:view(-1, V), targets:view(-1))
end

-- The validation windows are fixed, so the numbers are comparable over time.
local val_starts = {}
for i = 1, opts.val_batches * opts.batch do
  val_starts[i] = 1 + (i - 1) * (val_data:numel() - opts.seq - 1) // (opts.val_batches * opts.batch)
end
local function validation_loss()
  model:eval()
  local total = 0
  lucid.no_grad(function()
    for b = 1, opts.val_batches do
      local starts = table.move(val_starts, (b - 1) * opts.batch + 1, b * opts.batch, 1, {})
      total = total + loss_of(batch_from(val_data, starts, opts.seq)):item()
    end
  end)
  model:train()
  return total / opts.val_batches
end

local function save_checkpoint(step)
  lucid.save({
    model_state = model:state_dict(), optimizer_state = optimizer:state_dict(), step = step,
    vocab = vocab, model = opts.model, hidden = opts.hidden, layers = opts.layers,
    embed = opts.embed, layer_norm = opts.layer_norm, history = history,
  }, opts.checkpoint)
end

print(string.format("corpus: %d characters, vocabulary %d; model: %s, %d layer(s) of %d, %d parameters",
  #text, #vocab, opts.model:upper(), opts.layers, opts.hidden,
  (function() local n = 0; for _, p in ipairs(model:parameters()) do n = n + p:numel() end; return n end)()))

-- the losses, per step (a resumed run replays its checkpoint's history)
local log = utils.Logger()
local function record(e) log:log{ step = e.step, training = e.loss, validation = e.val } end
for _, e in ipairs(history) do record(e) end

local last_step = first_step + opts.steps
local bar = utils.progress(last_step, { first = first_step })
local val = #history > 0 and history[#history].val or nil
for step = first_step + 1, last_step do
  local inputs, targets = random_batch(train_data, opts.batch, opts.seq)
  optimizer:zero_grad()
  local loss = loss_of(inputs, targets)
  loss:backward()
  nn.utils.clip_grad_norm_(model:parameters(), opts.clip)
  optimizer:step()
  local entry = { step = step, loss = loss:item() }
  history[#history + 1] = entry
  if step % opts.val_every == 0 or step == last_step then
    val = validation_loss()
    entry.val = val
    save_checkpoint(step) -- after the entry, so a resumed history is whole
  end
  record(entry)
  bar:update(step, { loss = entry.loss, val = val })
end
local seconds = bar:done()
print(string.format("trained %d steps in %.1f s (%.1f steps/s); validation loss %.4f; checkpoint %s",
  opts.steps, seconds, opts.steps / seconds, val, opts.checkpoint))

-- ---- the loss curve -------------------------------------------------------------

local function plot(path)
  if path == "" then return end
  local ok, err = pcall(log.plot, log, { output = path, ylabel = "cross-entropy (nats)" })
  print(ok and "loss curve: " .. path or "loss curve skipped: " .. tostring(err))
end
plot(opts.plot)

-- ---- sampling ----------------------------------------------------------------------

-- Draws a class from logits / temperature (softmax, then the inverse CDF).
local function draw(logits, temperature)
  local probs = (logits / temperature):softmax(1):tolist()
  local u, acc = math.random(), 0
  for i, p in ipairs(probs) do
    acc = acc + p
    if u <= acc then return i end
  end
  return #probs
end

local function sample(n, prime, temperature)
  model:eval()
  local index = {}
  for i = 1, #vocab do index[vocab:sub(i, i)] = i end
  local out, state = { prime }, nil
  lucid.no_grad(function()
    local ids = {}
    for i = 1, #prime do ids[i] = index[prime:sub(i, i)] or 1 end
    local logits
    logits, state = model(lucid.tensor(ids, { dtype = lucid.int64 }):view(-1, 1), state)
    local last = logits[logits:size(1)][1]
    for _ = 1, n do
      local id = draw(last, temperature)
      out[#out + 1] = vocab:sub(id, id)
      logits, state = model(lucid.tensor({ { id } }, { dtype = lucid.int64 }), state)
      last = logits[1][1]
    end
  end)
  model:train()
  return table.concat(out)
end

print(string.format("sample (temperature %.2f):", opts.temperature))
print(sample(opts.sample, opts.prime, opts.temperature))
