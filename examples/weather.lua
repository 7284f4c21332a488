-- Sequence classification on real data: the weather of a day in Seattle
-- (drizzle, fog, rain, snow or sun) from the measurements of the days up to
-- it, with windows of different lengths (3 to 14 days).
--
--   build/bin/lucid examples/weather.lua [--epochs 8] [--hidden 32] [--batch 32]
--
-- It shows the pieces a real training script uses: a Dataset of
-- variable-length sequences, a DataLoader whose BucketBatchSampler groups
-- windows of similar length and whose pad_collate packs them, an LSTM over
-- the packed batch, a LayerNorm (when nn has it) and a linear read-out,
-- Adam with OneCycleLR stepped after every batch. The data is
-- seattle-weather.csv from Debian's python3-vega-datasets (2012-2015, one
-- row a day: precipitation, temp_max, temp_min, wind, weather); the first
-- 80% of the days train, the rest test.
local lucid = require("lucid")
local nn = require("nn")
local data = require("lucid.utils.data")
local utils = require("lucid.utils")

local opts = utils.parse_args(arg, {
  epochs = 8, hidden = 32, batch = 32, lr = 0.01, seed = 1,
  csv = "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv",
})
lucid.manual_seed(opts.seed)

-- ---- the data ---------------------------------------------------------------

local CLASSES = { "drizzle", "fog", "rain", "snow", "sun" }
local class_of = {}
for i, name in ipairs(CLASSES) do class_of[name] = i end

local function read_csv(path)
  local f = io.open(path)
  if not f then
    io.stderr:write("cannot read " .. path .. " (apt-get install python3-vega-datasets)\n")
    os.exit(1)
  end
  local rows, labels = {}, {}
  local header = true
  for line in f:lines() do
    if header then
      header = false
    else
      local _, p, tmax, tmin, wind, weather = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$")
      rows[#rows + 1] = { tonumber(p), tonumber(tmax), tonumber(tmin), tonumber(wind) }
      labels[#labels + 1] = class_of[weather]
    end
  end
  f:close()
  return lucid.tensor(rows), labels
end

local features, labels = read_csv(opts.csv)          -- (days, 4), one label a day
local days = features:size(1)
local split = math.floor(days * 0.8)
-- standardised with the training days' statistics
local train_part = features:narrow(1, 1, split)
local mean = train_part:mean(1, true)
local std = ((train_part - mean) ^ 2):mean(1, true):sqrt()
features = (features - mean) / std

local MAX_LEN = 14

-- Item i: the window of days ending on day `last` (its length varies with
-- the day) and that day's class.
local Windows = data.Dataset:extend("Windows")
function Windows:init(first, last)
  self.first, self.n = first, last - first + 1
end
function Windows:__len__() return self.n end
function Windows:length(i) return (self.first + i - 1) * 7 % (MAX_LEN - 2) + 3 end
function Windows:__getitem__(i)
  local last, len = self.first + i - 1, self:length(i)
  return { features:narrow(1, last - len + 1, len), labels[last] }
end

local train = Windows(MAX_LEN, split)
local test = Windows(split + 1, days)

local function loader(ds, shuffle)
  local lengths = {}
  for i = 1, #ds do lengths[i] = ds:length(i) end
  return data.DataLoader(ds, {
    batch_sampler = data.BucketBatchSampler(lengths, opts.batch, { shuffle = shuffle, seed = opts.seed }),
    collate_fn = data.pad_collate({ packed = true }),
  })
end
local train_loader, test_loader = loader(train, true), loader(test, false)

-- ---- the model --------------------------------------------------------------

local Classifier = nn.Module:extend("Classifier")
function Classifier:init(n_features, hidden, n_classes)
  self.lstm = nn.LSTM(n_features, hidden)
  -- nn.LayerNorm arrives with the layers of issue 14; the example runs either way
  if nn.LayerNorm then self.norm = nn.LayerNorm(hidden) end
  self.head = nn.Linear(hidden, n_classes)
end
function Classifier:forward(packed)
  local _, state = self.lstm(packed)
  local h = state[1][1]                                -- the last layer's h_n: (batch, hidden)
  if self.norm then h = self.norm(h) end
  return self.head(h)
end

local model = Classifier(4, opts.hidden, #CLASSES)
local optimizer = lucid.optim.Adam(model:parameters(), { lr = opts.lr })
local scheduler = lucid.optim.lr_scheduler.OneCycleLR(optimizer, opts.lr,
  { epochs = opts.epochs, steps_per_epoch = #train_loader })
local loss_fn = nn.CrossEntropyLoss()

local function accuracy(dl)
  local right, total = 0, 0
  model:eval()
  lucid.no_grad(function()
    for batch in dl:iter() do
      right = right + model(batch[1]):argmax(2):eq(batch[2]):sum():item()
      total = total + batch[2]:size(1)
    end
  end)
  model:train()
  return right / total
end

print(string.format("%d training windows, %d test windows, %d batches an epoch%s", #train, #test,
  #train_loader, model.norm and ", with LayerNorm" or ""))
for epoch = 1, opts.epochs do
  local total, n = 0, 0
  for _, batch in pairs(train_loader) do
    optimizer:zero_grad()
    local loss = loss_fn(model(batch[1]), batch[2])
    loss:backward()
    optimizer:step()
    scheduler:step()
    total, n = total + loss:item(), n + 1
  end
  print(string.format("epoch %d  loss %.4f  lr %.5f  test accuracy %.3f", epoch, total / n,
    scheduler:get_last_lr()[1], accuracy(test_loader)))
end

-- the baseline: always the most frequent class of the training days
local counts = {}
for i = MAX_LEN, split do counts[labels[i]] = (counts[labels[i]] or 0) + 1 end
local best = 1
for k, c in pairs(counts) do
  if c > (counts[best] or 0) then best = k end
end
local base = 0
for i = split + 1, days do base = base + (labels[i] == best and 1 or 0) end
print(string.format("test accuracy %.3f (always '%s': %.3f)", accuracy(test_loader), CLASSES[best],
  base / (days - split)))
