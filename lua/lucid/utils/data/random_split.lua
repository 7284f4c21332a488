-- data.random_split(dataset, lengths, {generator =, seed =}): Subsets of
-- dataset that partition a random permutation of its items
-- (torch.utils.data.random_split). lengths are counts summing to #dataset,
-- or fractions summing to 1 (floor(frac * n) each, the remainder spread one
-- by one over the first splits, as PyTorch does).
local args = require("lucid.args")
local raise = args.raise
local Dataset = require("lucid.utils.data.Dataset")
local Subset = require("lucid.utils.data.Subset")
local Generator = require("lucid.utils.data.Generator")

return function(...)
  local fname = "random_split"
  local a = args.parse(fname, { "dataset", "lengths", "generator", "seed" }, 3, ...)
  local n = Dataset.length_of(fname, a.dataset)
  local lengths = a.lengths
  if type(lengths) ~= "table" or #lengths == 0 then
    raise(string.format("%s: lengths must be a non-empty Lua array of numbers, got %s", fname, type(lengths)))
  end
  local counts, fractions, total = {}, true, 0
  for i, v in ipairs(lengths) do
    if type(v) ~= "number" or v < 0 then
      raise(string.format("%s: lengths[%d] must be a non-negative number, got %s", fname, i, tostring(v)))
    end
    fractions = fractions and math.type(v) == "float" and v <= 1
    total = total + v
  end
  if fractions and math.abs(total - 1) < 1e-9 then
    local sum = 0
    for i, f in ipairs(lengths) do
      counts[i] = math.floor(n * f)
      sum = sum + counts[i]
    end
    for i = 1, n - sum do
      local k = (i - 1) % #counts + 1
      counts[k] = counts[k] + 1
    end
  else
    for i, v in ipairs(lengths) do
      if math.type(v) ~= "integer" then
        raise(string.format("%s: lengths[%d] must be an integer count (or all lengths fractions summing to 1), got %s",
          fname, i, tostring(v)))
      end
      counts[i] = v
    end
    if total ~= n then
      raise(string.format("%s: sum of input lengths (%s) does not equal the length of the input dataset (%d)",
        fname, tostring(total), n))
    end
  end
  local perm = Generator.from_options(fname, a):randperm(n)
  local out, start = {}, 0
  for i, c in ipairs(counts) do
    out[i] = Subset(a.dataset, perm:narrow(1, start + 1, c))
    start = start + c
  end
  return out
end
