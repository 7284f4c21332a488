-- data.SubsetRandomSampler(indices, {generator =, seed =}): the given
-- indices (Lua array or int64 tensor) in a new random order each pass.
local Sampler = require("lucid.utils.data.Sampler")
local Subset = require("lucid.utils.data.Subset")
local Generator = require("lucid.utils.data.Generator")
local args = require("lucid.args")

local SubsetRandomSampler = Sampler:extend("SubsetRandomSampler")

function SubsetRandomSampler:init(...)
  local a = args.parse("SubsetRandomSampler", { "indices", "generator", "seed" }, 2, ...)
  self._indices = Subset.index_tensor("SubsetRandomSampler", "indices", a.indices)
  self.generator = Generator.from_options("SubsetRandomSampler", a)
end

function SubsetRandomSampler:__len__() return self._indices:numel() end

function SubsetRandomSampler:indices()
  return self._indices:index_select(1, self.generator:randperm(self:__len__()))
end

return SubsetRandomSampler
