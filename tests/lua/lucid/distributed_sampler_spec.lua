-- DistributedSampler: each rank's share of a dataset, disjoint and covering.
local DistributedSampler = require("lucid.utils.data.DistributedSampler")

local function dataset(n) return setmetatable({}, { __len = function() return n end }) end

local function shares(n, replicas, opts)
  local all = {}
  for rank = 0, replicas - 1 do
    local o = { num_replicas = replicas, rank = rank }
    for k, v in pairs(opts or {}) do o[k] = v end
    local s = DistributedSampler(dataset(n), o)
    local list = {}
    for _, idx in pairs(s) do list[#list + 1] = idx end
    assert.are.equal(#s, #list)
    all[rank + 1] = list
  end
  return all
end

describe("DistributedSampler", function()
  it("splits 1..n round-robin without shuffle, padding from the start as PyTorch", function()
    local s = shares(10, 4, { shuffle = false })
    assert.are.same({ { 1, 5, 9 }, { 2, 6, 10 }, { 3, 7, 1 }, { 4, 8, 2 } }, s)
  end)

  it("drops the tail with drop_last", function()
    local s = shares(10, 4, { shuffle = false, drop_last = true })
    assert.are.same({ { 1, 5 }, { 2, 6 }, { 3, 7 }, { 4, 8 } }, s)
  end)

  it("shuffles with disjoint shares that cover the data, the same order on every rank", function()
    local s = shares(1000, 3, { seed = 5 })
    local seen = {}
    for _, list in ipairs(s) do
      for _, i in ipairs(list) do seen[i] = (seen[i] or 0) + 1 end
    end
    local covered, twice = 0, 0
    for i = 1, 1000 do
      covered = covered + (seen[i] and 1 or 0)
      twice = twice + ((seen[i] or 0) > 1 and 1 or 0)
    end
    assert.are.equal(1000, covered)
    assert.are.equal(2, twice) -- 1002 = 3 * 334: two indices padded
    assert.are.same(s, shares(1000, 3, { seed = 5 }))
    assert.are_not.same(s, shares(1000, 3, { seed = 6 }))
  end)

  it("draws a new order per epoch with set_epoch", function()
    local s = DistributedSampler(dataset(50), { num_replicas = 2, rank = 0 })
    local first = s:indices()
    s:set_epoch(1)
    assert.are_not.same(first, s:indices())
    s:set_epoch(0)
    assert.are.same(first, s:indices())
    local n = 0
    for _ in s:iter() do n = n + 1 end
    assert.are.equal(25, n)
  end)

  it("checks its arguments", function()
    assert.has_error(function() DistributedSampler(dataset(4), { num_replicas = 2, rank = 2 }) end,
      "DistributedSampler: rank must be an integer from 0 to 1, got 2")
    assert.has_error(function() DistributedSampler(5, { num_replicas = 2, rank = 0 }) end,
      "DistributedSampler: dataset must have a length (#dataset), got number")
    assert.has_error(function() DistributedSampler(dataset(4), { rank = 0 }) end,
      "DistributedSampler: num_replicas not given and no process group is initialized")
  end)
end)
