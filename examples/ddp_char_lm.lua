-- The character language model of char_lm.lua, trained by N processes with
-- DistributedDataParallel: each rank draws its own windows of the corpus,
-- gradients are averaged across ranks in the backward pass, and rank 0
-- reports and writes the checkpoint.
--
--   mpirun -np 2 --bind-to none build/bin/lucid examples/ddp_char_lm.lua [--steps 300] [--corpus FILE]
--
-- With N ranks and --batch B per rank, a step trains on N * B windows.
local lucid = require("lucid")
local nn = require("nn")
local utils = require("lucid.utils")
local dist = require("lucid.distributed")

local opts = utils.parse_args(arg, {
  corpus = "", max_chars = 400000, hidden = 256, layers = 2, embed = 32, seq = 64, batch = 16,
  steps = 300, lr = 3e-3, clip = 1.0, report = 50, checkpoint = "ddp_char_lm.ckpt", seed = 1,
})

dist.init_process_group{ backend = "mpi", timeout = 600 }
local rank, world = dist.get_rank(), dist.get_world_size()
local function say(...) if rank == 0 then print(string.format(...)) end end

-- the corpus: a file, or Debian's fortunes
local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local text = opts.corpus ~= "" and read(opts.corpus) or lucid.datasets.fortunes()
text = text:sub(1, opts.max_chars)

-- bytes as 1-based classes
local index, vocab = {}, 0
for b = 0, 255 do
  if text:find(string.char(b), 1, true) then vocab = vocab + 1; index[b] = vocab end
end
local ids = {}
for i = 1, #text do ids[i] = index[text:byte(i)] end
local data = lucid.tensor(ids, { dtype = lucid.int64 })

local CharModel = nn.Module:extend("CharModel", {})
function CharModel:init()
  self.embedding = nn.Embedding(vocab, opts.embed)
  self.rnn = nn.GRU(opts.embed, opts.hidden, { num_layers = opts.layers })
  self.head = nn.Linear(opts.hidden, vocab)
end
function CharModel:forward(x) return self.head((self.rnn(self.embedding(x)))) end

lucid.manual_seed(opts.seed)
local model = nn.parallel.DistributedDataParallel(CharModel())
local optimizer = lucid.optim.Adam(model:parameters(), { lr = opts.lr })
local criterion = nn.CrossEntropyLoss()
math.randomseed(opts.seed * 1000 + rank) -- each rank its own windows

local function batch()
  local rows, limit = {}, data:numel() - opts.seq
  for i = 1, opts.batch do rows[i] = data:narrow(1, math.random(1, limit), opts.seq + 1) end
  local w = lucid.stack(rows, 2)
  return w:narrow(1, 1, opts.seq), w:narrow(1, 2, opts.seq):contiguous()
end

say("%d ranks x batch %d; corpus %d characters, vocabulary %d", world, opts.batch, #text, vocab)
local first, running
local t0 = lucid.clock()
for step = 1, opts.steps do
  local x, y = batch()
  optimizer:zero_grad()
  local loss = criterion(model(x):view(-1, vocab), y:view(-1))
  loss:backward()
  nn.utils.clip_grad_norm_(model:parameters(), opts.clip)
  optimizer:step()
  local avg = lucid.tensor({ loss:item() })
  dist.all_reduce(avg, { op = "avg" })
  running = running and 0.9 * running + 0.1 * avg:item() or avg:item()
  first = first or running
  if step % opts.report == 0 or step == opts.steps then
    say("step %4d  loss %.3f  (%.0f windows/s)", step, running,
      step * opts.batch * world / (lucid.clock() - t0))
  end
end
dist.save({ model = model:state_dict(), vocab = vocab }, opts.checkpoint)
say("loss %.3f -> %.3f; checkpoint %s", first, running, opts.checkpoint)
