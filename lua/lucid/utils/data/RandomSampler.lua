-- data.RandomSampler(data_source, {replacement = false, num_samples = nil,
-- generator = nil, seed = nil}): each pass a new random permutation of
-- 1..#data_source, or with replacement num_samples uniform draws
-- (torch.utils.data.RandomSampler). num_samples defaults to #data_source;
-- without replacement a larger num_samples takes several permutations back
-- to back, as PyTorch does. The order comes from `generator` (a
-- data.Generator), a new Generator(seed), or lucid's global generator.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Dataset = require("lucid.utils.data.Dataset")
local Sampler = require("lucid.utils.data.Sampler")
local Generator = require("lucid.utils.data.Generator")

local RandomSampler = Sampler:extend("RandomSampler")

function RandomSampler:init(...)
  local a = args.parse("RandomSampler",
    { "data_source", "replacement", "num_samples", "generator", "seed" }, 2, ...)
  self.data_source = a.data_source
  self.n = Dataset.length_of("RandomSampler", a.data_source)
  self.replacement = a.replacement or false
  if type(self.replacement) ~= "boolean" then
    raise(string.format("RandomSampler: replacement must be a boolean, got %s", type(a.replacement)))
  end
  local k = a.num_samples
  if k ~= nil and (math.type(k) ~= "integer" or k <= 0) then
    raise(string.format("RandomSampler: num_samples should be a positive integer value, but got num_samples=%s",
      tostring(k)))
  end
  self._num_samples = k
  self.generator = Generator.from_options("RandomSampler", a)
end

function RandomSampler:__len__() return self._num_samples or self.n end

function RandomSampler:indices()
  local n, k, g = self.n, self:__len__(), self.generator
  if self.replacement then return g:randindex(n, k) end
  if k == n then return g:randperm(n) end
  local parts = {}
  for _ = 1, (k + n - 1) // n do parts[#parts + 1] = g:randperm(n) end
  return lucid.cat(parts, 1):narrow(1, 1, k)
end

return RandomSampler
