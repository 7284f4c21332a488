-- data.Generator([seed]): a random stream for samplers and random_split,
-- independent of lucid's global generator (torch.Generator's role here).
-- It draws from lucid's Philox generator under its own seed, so the same
-- seed gives the same orders on every machine, and drawing does not move
-- the global stream. Without a seed it draws from the global generator
-- (lucid.manual_seed makes that repeatable).
--
--   local g = data.Generator(42)
--   g:randperm(5)              -- an int64 tensor, a permutation of 1..5
--   g:get_state(), g:set_state(s)   -- replay from a saved position
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise

local Generator = {}
Generator.__index = Generator
Generator.__name = "Generator"

local function check_seed(fname, seed)
  if seed ~= nil and math.type(seed) ~= "integer" then
    raise(string.format("%s: seed must be an integer, got %s", fname, tostring(seed)))
  end
  return seed
end

function Generator.new(seed)
  return setmetatable({ seed = check_seed("Generator", seed), offset = 0 }, Generator)
end

setmetatable(Generator, { __call = function(_, seed) return Generator.new(seed) end })

function Generator.is_generator(v) return getmetatable(v) == Generator end

-- The generator named by a sampler's options: opts.generator, or a new one
-- from opts.seed (nil: the global stream).
function Generator.from_options(fname, opts)
  if type(fname) ~= "string" or type(opts) ~= "table" then
    raise(string.format("Generator.from_options(fname, opts) takes a name and an options table, got %s and %s",
      type(fname), type(opts)))
  end
  if opts.generator ~= nil then
    if opts.seed ~= nil then raise(fname .. ": give generator or seed, not both") end
    if not Generator.is_generator(opts.generator) then
      raise(string.format("%s: generator must be a lucid.utils.data.Generator, got %s", fname,
        type(opts.generator)))
    end
    return opts.generator
  end
  return Generator.new(check_seed(fname, opts.seed))
end

function Generator:manual_seed(seed)
  self.seed = check_seed("Generator:manual_seed", seed)
  self.offset = 0
  return self
end

function Generator:initial_seed() return self.seed end

function Generator:get_state() return { seed = self.seed, offset = self.offset } end

function Generator:set_state(s)
  if type(s) ~= "table" or (s.seed ~= nil and math.type(s.seed) ~= "integer")
      or math.type(s.offset) ~= "integer" then
    raise("Generator:set_state: expected a table {seed =, offset =} from get_state()")
  end
  self.seed, self.offset = s.seed, s.offset
end

-- Runs a C draw with this stream appended, and keeps the advanced offset.
local function draw(self, fn, ...)
  local t, offset
  if self.seed == nil then
    t = fn(...)
  else
    local args = table.pack(...)
    args[args.n + 1], args[args.n + 2] = self.seed, self.offset
    t, offset = fn(table.unpack(args, 1, args.n + 2))
    self.offset = offset
  end
  return t
end

-- A count argument of a draw, checked.
local function count_arg(fname, name, v)
  if math.type(v) ~= "integer" or v < 0 then
    raise(string.format("Generator:%s: %s must be a non-negative integer, got %s", fname, name, tostring(v)))
  end
  return v
end

-- A random permutation of 1..n (int64 tensor).
function Generator:randperm(n) return draw(self, lucid._C.randperm, count_arg("randperm", "n", n)) end

-- count indices drawn uniformly from 1..n with replacement.
function Generator:randindex(n, count)
  return draw(self, lucid._C.randindex, count_arg("randindex", "n", n), count_arg("randindex", "count", count))
end

-- count indices 1..#weights drawn in proportion to weights.
function Generator:multinomial(weights, count, replacement)
  if not lucid.is_tensor(weights) then
    raise(string.format("Generator:multinomial: weights must be a tensor, got %s", type(weights)))
  end
  return draw(self, lucid._C.multinomial, weights, count_arg("multinomial", "count", count), replacement and true or false)
end

function Generator:__tostring()
  return string.format("Generator(seed=%s, offset=%d)", tostring(self.seed), self.offset)
end

args.check_methods(Generator)

return Generator
