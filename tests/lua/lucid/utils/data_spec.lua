-- lucid.utils.data: datasets, samplers, collation and the DataLoader
-- (torch.utils.data's semantics with 1-based indices).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local data = require("lucid.utils.data")

-- The values of an iteration as a Lua array.
local function collect(it)
  local out = {}
  for v in it do out[#out + 1] = v end
  return out
end

-- True when list is a permutation of 1..n.
local function is_permutation(list, n)
  if #list ~= n then return false end
  local seen = {}
  for _, v in ipairs(list) do
    if math.type(v) ~= "integer" or v < 1 or v > n or seen[v] then return false end
    seen[v] = true
  end
  return true
end

local function range_dataset(n)
  return data.TensorDataset(lucid.arange(1, n + 1, { dtype = lucid.int64 }))
end

describe("lucid.utils.data", function()
  it("is reachable as require('lucid.utils.data') and lucid.utils.data", function()
    assert.are.equal(data, lucid.utils.data)
    assert.is_nil(data.NoSuchThing)
  end)

  describe("datasets", function()
    it("TensorDataset: ds[i] is the array of rows i, #ds the row count", function()
      local x = lucid.tensor({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
      local y = lucid.tensor({ 7, 8, 9 }, { dtype = lucid.int64 })
      local ds = data.TensorDataset(x, y)
      assert.are.equal(3, #ds)
      assert.are.same({ 3, 4 }, ds[2][1]:tolist())
      assert.are.equal(8, ds[2][2]:item())
      assert.are.equal(9, ds[-1][2]:item())
      H.raises(function() return ds[4] end, "TensorDataset: index 4 is out of range for 3 items")
      H.raises(function() data.TensorDataset(x, lucid.zeros(2)) end, "size mismatch", "tensor 2 has 2")
      H.raises(function() data.TensorDataset(x, 5) end, "argument 2 must be a tensor")
    end)

    it("a Dataset subclass with positional init, __getitem__ and __len__", function()
      local Squares = data.Dataset:extend("Squares")
      function Squares:init(n) self.n = n end
      function Squares:__getitem__(i) return i * i end
      function Squares:__len__() return self.n end
      local ds = Squares(4)
      assert.are.equal(4, #ds)
      assert.are.equal(9, ds[3])
      local both = ds + Squares(2)                 -- a ConcatDataset
      assert.are.equal(6, #both)
      assert.are.same({ 1, 4, 9, 16, 1, 4 }, { both[1], both[2], both[3], both[4], both[5], both[6] })
      assert.are.equal(4, both[-1])
      H.raises(function() return both[7] end, "ConcatDataset: index 7 is out of range for 6 items")
      H.raises(function() return data.Dataset()[1] end, "Dataset: __getitem__ is not implemented")
    end)

    it("Subset reads the chosen items in order; ConcatDataset its datasets in turn", function()
      local ds = range_dataset(10)
      local sub = data.Subset(ds, { 10, 2, 5 })
      assert.are.equal(3, #sub)
      assert.are.same({ 10, 2, 5 }, { sub[1][1]:item(), sub[2][1]:item(), sub[3][1]:item() })
      H.raises(function() data.Subset(ds, { 0 }) end, "Subset: indices must be in 1..10, got 0")
      local cat = data.ConcatDataset({ range_dataset(2), range_dataset(3) })
      assert.are.same({ 2, 5 }, cat.cumulative_sizes)
      assert.are.equal(3, cat[5][1]:item())
    end)

    it("IterableDataset streams items into batches", function()
      local Count = data.IterableDataset:extend("Count")
      function Count:init(n) self.n = n end
      function Count:__iter__()
        local i = 0
        return function()
          i = i + 1
          if i <= self.n then return i end
        end
      end
      local batches = collect(data.DataLoader(Count(5), { batch_size = 2 }):iter())
      assert.are.equal(3, #batches)
      assert.are.same({ 1, 2 }, batches[1]:tolist())
      assert.are.same({ 5 }, batches[3]:tolist())
      assert.are.equal(2, #collect(data.DataLoader(Count(5), { batch_size = 2, drop_last = true }):iter()))
      H.raises(function() return #data.DataLoader(Count(5)) end, "an IterableDataset has no length")
    end)

    it("random_split: disjoint subsets covering the dataset, repeatable by seed", function()
      local ds = range_dataset(10)
      local a, b = table.unpack(data.random_split(ds, { 7, 3 }, { seed = 5 }))
      assert.are.equal(7, #a)
      assert.are.equal(3, #b)
      local all = {}
      for _, s in ipairs({ a, b }) do
        for i = 1, #s do all[#all + 1] = s[i][1]:item() end
      end
      assert.is_true(is_permutation(all, 10))
      local again = data.random_split(ds, { 7, 3 }, { seed = 5 })
      assert.are.same(a.indices:tolist(), again[1].indices:tolist())
      assert.are.not_same(a.indices:tolist(), data.random_split(ds, { 7, 3 }, { seed = 6 })[1].indices:tolist())
      -- fractions: floor(0.33 * 10) = 3 each, the remainder 1 goes to the first
      local parts = data.random_split(ds, { 0.34, 0.33, 0.33 }, { generator = data.Generator(1) })
      assert.are.same({ 4, 3, 3 }, { #parts[1], #parts[2], #parts[3] })
      H.raises(function() data.random_split(ds, { 5, 4 }) end,
        "random_split: sum of input lengths (9) does not equal the length of the input dataset (10)")
    end)
  end)

  describe("samplers", function()
    it("SequentialSampler yields 1..n; pairs and iter agree", function()
      local s = data.SequentialSampler(range_dataset(4))
      assert.are.equal(4, #s)
      assert.are.same({ 1, 2, 3, 4 }, collect(s:iter()))
      local seen = {}
      for k, i in pairs(s) do seen[k] = i end
      assert.are.same({ 1, 2, 3, 4 }, seen)
    end)

    it("RandomSampler: a permutation per pass, the same for the same seed", function()
      local ds = range_dataset(50)
      local s = data.RandomSampler(ds, { seed = 7 })
      local first, second = collect(s:iter()), collect(s:iter())
      assert.is_true(is_permutation(first, 50))
      assert.is_true(is_permutation(second, 50))
      assert.are.not_same(first, second)               -- a new order each pass
      local t = data.RandomSampler(ds, { seed = 7 })
      assert.are.same(first, collect(t:iter()))
      assert.are.same(second, collect(t:iter()))
      -- without a seed: the global generator, repeatable with manual_seed
      lucid.manual_seed(3)
      local g1 = collect(data.RandomSampler(ds):iter())
      lucid.manual_seed(3)
      assert.are.same(g1, collect(data.RandomSampler(ds):iter()))
      -- num_samples beyond n without replacement: whole permutations back to back
      local long = collect(data.RandomSampler(ds, { num_samples = 120, seed = 1 }):iter())
      assert.are.equal(120, #long)
      assert.is_true(is_permutation(table.move(long, 51, 100, 1, {}), 50))
      local rep = collect(data.RandomSampler(range_dataset(3), { replacement = true, num_samples = 300, seed = 2 }):iter())
      local counts = { 0, 0, 0 }
      for _, v in ipairs(rep) do counts[v] = counts[v] + 1 end
      assert.are.equal(300, counts[1] + counts[2] + counts[3])
      for k = 1, 3 do assert.is_true(counts[k] > 60, "index " .. k .. " drawn " .. counts[k] .. " times") end
      H.raises(function() data.RandomSampler(ds, { num_samples = 0 }) end,
        "RandomSampler: num_samples should be a positive integer value, but got num_samples=0")
    end)

    it("a large permutation is a permutation", function()
      local p = data.Generator(11):randperm(200003)
      local sorted = p:tolist()
      table.sort(sorted)
      for i = 1, #sorted, 997 do assert.are.equal(i, sorted[i]) end
      assert.are.equal(200003, sorted[200003])
      assert.are.same(p:tolist(), data.Generator(11):randperm(200003):tolist())
    end)

    it("SubsetRandomSampler permutes the given indices", function()
      local got = collect(data.SubsetRandomSampler({ 4, 8, 15 }, { seed = 1 }):iter())
      table.sort(got)
      assert.are.same({ 4, 8, 15 }, got)
    end)

    it("WeightedRandomSampler draws in proportion to the weights", function()
      local s = data.WeightedRandomSampler({ 1, 0, 3 }, 4000, { seed = 3 })
      local counts = { 0, 0, 0 }
      for _, v in pairs(s) do counts[v] = counts[v] + 1 end
      assert.are.equal(0, counts[2])
      assert.is_true(math.abs(counts[3] / 4000 - 0.75) < 0.03, "share of index 3: " .. counts[3] / 4000)
      local once = collect(data.WeightedRandomSampler({ 1, 0, 3, 2 }, 3, { replacement = false, seed = 1 }):iter())
      table.sort(once)
      assert.are.same({ 1, 3, 4 }, once)                 -- each positive weight once
      H.raises(function() data.WeightedRandomSampler({ 1, 0 }, 2, false) end,
        "cannot draw 2 samples without replacement from 1 positive weights")
      H.raises(function() data.WeightedRandomSampler({ 1, -1 }, 2) end, "weights must be finite and non-negative")
    end)

    it("BatchSampler groups a sampler's indices, dropping the tail with drop_last", function()
      local base = data.SequentialSampler(range_dataset(5))
      local bs = data.BatchSampler(base, 2, false)
      assert.are.equal(3, #bs)
      assert.are.same({ { 1, 2 }, { 3, 4 }, { 5 } }, collect(bs:iter()))
      local dropped = data.BatchSampler(base, { batch_size = 2, drop_last = true })
      assert.are.equal(2, #dropped)
      assert.are.same({ { 1, 2 }, { 3, 4 } }, collect(dropped:iter()))
      assert.are.same({ { 3, 1 } }, collect(data.BatchSampler({ 3, 1 }, 4, false):iter()))
      H.raises(function() data.BatchSampler(base, 0, false) end,
        "BatchSampler: batch_size should be a positive integer value, but got batch_size=0")
    end)

    it("BucketBatchSampler batches items of similar length, covering every index once", function()
      local lengths = {}
      for i = 1, 40 do lengths[i] = (i * 7) % 13 + 1 end
      local s = data.BucketBatchSampler(lengths, 4, { seed = 2, bucket_size_multiplier = 5 })
      local all, spread = {}, 0
      for batch in s:iter() do
        local lo, hi = math.huge, -math.huge
        for _, i in ipairs(batch) do
          all[#all + 1] = i
          lo, hi = math.min(lo, lengths[i]), math.max(hi, lengths[i])
        end
        spread = spread + (hi - lo)
      end
      assert.is_true(is_permutation(all, 40))
      assert.are.equal(10, #s)
      assert.is_true(spread / 10 <= 3, "mean length spread in a batch: " .. spread / 10)
      -- without shuffle: the length-sorted order, cut in batches
      local sorted = collect(data.BucketBatchSampler({ 3, 1, 2, 1 }, 2, { shuffle = false }):iter())
      assert.are.same({ { 2, 4 }, { 3, 1 } }, sorted)
    end)
  end)

  describe("collation", function()
    it("default_collate stacks tensors, makes numbers tensors and recurses into tables", function()
      local batch = data.default_collate({
        { lucid.tensor({ 1, 2 }), 3, 0.5, { label = 1, name = "a" } },
        { lucid.tensor({ 4, 5 }), 6, 1.5, { label = 2, name = "b" } },
      })
      assert.are.same({ { 1, 2 }, { 4, 5 } }, batch[1]:tolist())
      assert.are.equal(lucid.int64, batch[2].dtype)
      assert.are.same({ 3, 6 }, batch[2]:tolist())
      assert.are.equal(lucid.float64, batch[3].dtype)
      assert.are.same({ 0.5, 1.5 }, batch[3]:tolist())
      assert.are.same({ 1, 2 }, batch[4].label:tolist())
      assert.are.same({ "a", "b" }, batch[4].name)
      H.raises(function() data.default_collate({ lucid.zeros(2), lucid.zeros(3) }) end,
        "default_collate: items must be tensors of one shape")
    end)

    it("pad_collate pads sequences with their lengths, or packs them", function()
      local items = { { lucid.tensor({ { 1.0 }, { 2.0 } }), 1 }, { lucid.tensor({ { 3.0 }, { 4.0 }, { 5.0 } }), 0 } }
      local padded = data.pad_collate({ padding_value = -1 })(items)
      assert.are.same({ { { 1 }, { 2 }, { -1 } }, { { 3 }, { 4 }, { 5 } } }, padded[1]:tolist())
      assert.are.same({ 2, 3 }, padded[2]:tolist())
      assert.are.same({ 1, 0 }, padded[3]:tolist())
      local time_major = data.pad_collate({ batch_first = false })(items)
      assert.are.same({ 3, 2, 1 }, { time_major[1]:size(1), time_major[1]:size(2), time_major[1]:size(3) })
      local packed = data.pad_collate({ packed = true })(items)
      assert.are.same({ 2, 2, 1 }, packed[1].batch_sizes:tolist())
      assert.are.same({ 3, 1, 4, 2, 5 }, packed[1].data:view(-1):tolist())
      -- a GRU takes the packed batch directly
      local out = nn.GRU(1, 2)(packed[1])
      assert.are.same({ 5, 2 }, { out.data:size(1), out.data:size(2) })
    end)
  end)

  describe("DataLoader", function()
    it("batches a TensorDataset in order: #loader, pairs and iter", function()
      local x = lucid.arange(0, 10):view(5, 2)
      local ds = data.TensorDataset(x, lucid.arange(1, 6, { dtype = lucid.int64 }))
      local loader = data.DataLoader(ds, { batch_size = 2 })
      assert.are.equal(3, #loader)
      local seen = {}
      for i, batch in pairs(loader) do
        seen[i] = batch[2]:tolist()
        assert.are.same(batch[2]:size(1), batch[1]:size(1))
      end
      assert.are.same({ { 1, 2 }, { 3, 4 }, { 5 } }, seen)
      local first = loader:iter()()
      assert.are.same({ { 0, 1 }, { 2, 3 } }, first[1]:tolist())
      assert.are.equal(2, #data.DataLoader(ds, 2, { drop_last = true }))
    end)

    it("shuffle with a seed: every row once per pass, new orders, repeatable", function()
      local ds = range_dataset(23)
      local function epochs(loader)
        local out = {}
        for e = 1, 2 do
          local order = {}
          for batch in loader:iter() do
            for _, v in ipairs(batch[1]:tolist()) do order[#order + 1] = v end
          end
          out[e] = order
        end
        return out
      end
      local a = epochs(data.DataLoader(ds, { batch_size = 4, shuffle = true, seed = 9 }))
      assert.is_true(is_permutation(a[1], 23))
      assert.is_true(is_permutation(a[2], 23))
      assert.are.not_same(a[1], a[2])
      assert.are.same(a, epochs(data.DataLoader(ds, { batch_size = 4, shuffle = true, seed = 9 })))
    end)

    it("the fast path (one gather per tensor) gives what default_collate of the items gives", function()
      local x, y = lucid.randn(30, 3), lucid.randint(1, 5, { 30 })
      local ds = data.TensorDataset(x, y)
      local fast = data.DataLoader(ds, { batch_size = 7, shuffle = true, seed = 4 })
      local slow = data.DataLoader(ds, { batch_size = 7, shuffle = true, seed = 4,
        collate_fn = function(items) return data.default_collate(items) end })
      local it = slow:iter()
      for batch in fast:iter() do
        local other = it()
        assert.are.same(other[1]:tolist(), batch[1]:tolist())
        assert.are.same(other[2]:tolist(), batch[2]:tolist())
      end
    end)

    it("takes a sampler, a batch_sampler or a custom collate_fn", function()
      local ds = range_dataset(6)
      local by_sampler = collect(data.DataLoader(ds, { batch_size = 2, sampler = { 6, 5, 4 } }):iter())
      assert.are.same({ 6, 5 }, by_sampler[1][1]:tolist())
      assert.are.same({ 4 }, by_sampler[2][1]:tolist())
      local bs = data.BatchSampler(data.SequentialSampler(ds), 4, false)
      local loader = data.DataLoader(ds, { batch_sampler = bs, collate_fn = function(items) return #items end })
      assert.are.same({ 4, 2 }, collect(loader:iter()))
      H.raises(function() data.DataLoader(ds, { batch_sampler = bs, batch_size = 2 }) end,
        "batch_sampler option is mutually exclusive")
      H.raises(function() data.DataLoader(ds, { sampler = { 1 }, shuffle = true }) end,
        "sampler option is mutually exclusive with shuffle")
      H.raises(function() data.DataLoader(ds, { num_workers = 2 }) end, "num_workers must be 0")
      H.raises(function() data.DataLoader(ds, { bacth_size = 2 }) end, "DataLoader: unknown option 'bacth_size'")
      H.raises(function() data.DataLoader(42) end, "DataLoader: dataset must be a map-style dataset")
    end)

    it("takes a DistributedSampler: each rank's loader batches its own share", function()
      local ds = range_dataset(10)
      local seen = {}
      for rank = 0, 1 do
        local s = data.DistributedSampler(ds, { num_replicas = 2, rank = rank, seed = 3 })
        local loader = data.DataLoader(ds, { batch_size = 2, sampler = s })
        assert.are.equal(3, #loader)
        for batch in loader:iter() do
          for _, v in ipairs(batch[1]:tolist()) do seen[#seen + 1] = v end
        end
      end
      assert.is_true(is_permutation(seen, 10))
    end)

    it("feeds a padded, length-bucketed batch of sequences to an LSTM", function()
      local Seqs = data.Dataset:extend("Seqs")
      function Seqs:init(n) self.n = n end
      function Seqs:__getitem__(i) return { lucid.ones(i % 5 + 1, 3) * i, i % 2 + 1 } end
      function Seqs:__len__() return self.n end
      local ds = Seqs(12)
      local lengths = {}
      for i = 1, #ds do lengths[i] = i % 5 + 1 end
      local loader = data.DataLoader(ds, {
        batch_sampler = data.BucketBatchSampler(lengths, 4, { seed = 1 }),
        collate_fn = data.pad_collate({ packed = true }),
      })
      local lstm, rows = nn.LSTM(3, 4), 0
      for _, batch in pairs(loader) do
        local out = lstm(batch[1])
        rows = rows + out.data:size(1)
        assert.are.equal(lucid.int64, batch[2].dtype)
      end
      local total = 0
      for _, l in ipairs(lengths) do total = total + l end
      assert.are.equal(total, rows)
    end)
  end)
end)
