-- data.SequentialSampler(data_source): 1, 2, ..., #data_source.
local lucid = require("lucid")
local Dataset = require("lucid.utils.data.Dataset")
local Sampler = require("lucid.utils.data.Sampler")

local SequentialSampler = Sampler:extend("SequentialSampler")

function SequentialSampler:init(data_source)
  self.n = Dataset.length_of("SequentialSampler", data_source)
  self.data_source = data_source
end

function SequentialSampler:__len__() return self.n end

function SequentialSampler:indices() return lucid.arange(1, self.n + 1, { dtype = lucid.int64 }) end

return SequentialSampler
