-- data.WeightedRandomSampler(weights, num_samples, {replacement = true,
-- generator =, seed =}): num_samples indices 1..#weights drawn with
-- probability proportional to weights (a Lua array or a 1-D tensor; need not
-- sum to 1), with or without replacement (torch.utils.data.WeightedRandomSampler).
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Sampler = require("lucid.utils.data.Sampler")
local Generator = require("lucid.utils.data.Generator")

local WeightedRandomSampler = Sampler:extend("WeightedRandomSampler")

function WeightedRandomSampler:init(...)
  local fname = "WeightedRandomSampler"
  local a = args.parse(fname, { "weights", "num_samples", "replacement", "generator", "seed" }, 3, ...)
  local w = a.weights
  if type(w) == "table" and not lucid.is_tensor(w) then
    for i = 1, #w do
      if type(w[i]) ~= "number" then
        raise(string.format("%s: weights[%d] must be a number, got %s", fname, i, type(w[i])))
      end
    end
    w = lucid.tensor(w, { dtype = lucid.float64 }):view(#w)
  end
  if not lucid.is_tensor(w) or w:dim() ~= 1 then
    raise(string.format("%s: weights must be a Lua array of numbers or a 1-D tensor, got %s", fname,
      lucid.is_tensor(w) and (w:dim() .. "-D tensor") or type(w)))
  end
  if not w.dtype.is_floating_point then w = w:double() end
  local k = a.num_samples
  if math.type(k) ~= "integer" or k <= 0 then
    raise(string.format("%s: num_samples should be a positive integer value, but got num_samples=%s",
      fname, tostring(k)))
  end
  local replacement = a.replacement
  if replacement == nil then replacement = true end
  if type(replacement) ~= "boolean" then
    raise(string.format("%s: replacement should be a boolean value, but got replacement=%s", fname,
      tostring(replacement)))
  end
  self.weights, self.num_samples, self.replacement = w, k, replacement
  self.generator = Generator.from_options(fname, a)
  -- the weights are checked once, here (a draw of none checks them)
  args.call(lucid._C.multinomial, w, 0, replacement)
  local positive = w:gt(0):sum():item()
  if not replacement and k > positive then
    raise(string.format("%s: cannot draw %d samples without replacement from %d positive weights",
      fname, k, math.tointeger(positive) or positive))
  end
end

function WeightedRandomSampler:__len__() return self.num_samples end

function WeightedRandomSampler:indices()
  return self.generator:multinomial(self.weights, self.num_samples, self.replacement)
end

return WeightedRandomSampler
