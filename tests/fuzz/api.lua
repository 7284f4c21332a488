-- The API fuzzer's child: calls the public Lua API with hostile arguments.
--
--   lucid tests/fuzz/api.lua SEED CALLS LOG [--verbose]
--
-- Enumerates what a user can call (the lucid table and its sub-tables, the Tensor
-- methods, the nn modules' constructors and their instances' methods, nn.functional,
-- nn.utils, lucid.optim, the methods of optimizers, schedulers and data classes) and
-- makes CALLS calls, each with 0 to 5 arguments drawn from a seeded generator of hostile values: nil, booleans,
-- strings, NaN, infinities, huge, negative and fractional numbers, math.mininteger and
-- maxinteger, tensors of every dtype (0-dim, 0-sized, non-contiguous, expanded, closed,
-- requiring grad), size lists and options with such values, cyclic tables, tables whose
-- __len or __index lie, functions, coroutines, modules, packed sequences.
--
-- A Lua error is a pass: the library refused the call. Before each call its number and
-- target are written (unbuffered) to LOG, so that when the process dies (a crash, an
-- abort, a sanitizer report) or hangs, run.lua can say which call did it; a call that
-- runs Lua code for longer than CALL_SECONDS ends the process with status 3.
local nn = require("nn")

local seed, ncalls, logname = tonumber(arg[1]), tonumber(arg[2]), arg[3]
local verbose = arg[4] == "--verbose"
assert(seed and ncalls and logname, "usage: api.lua SEED CALLS LOG [--verbose]")
local CALL_SECONDS = tonumber(os.getenv("FUZZ_CALL_SECONDS") or "10")
math.randomseed(seed)
local log = assert(io.open(logname, "w"))
log:setvbuf("no")

local function pick(list) return list[math.random(#list)] end
local function chance(p) return math.random() < p end

-- ---- targets ----------------------------------------------------------------

local targets = {} -- {name, fn, self_kind}: self_kind says what the first argument usually is

local function add_functions(prefix, t, self_kind)
  local names = {}
  for k, v in pairs(t) do
    if type(k) == "string" and type(v) == "function" then names[#names + 1] = k end
  end
  table.sort(names) -- pairs order is not seeded: sort for reproducible runs
  for _, k in ipairs(names) do targets[#targets + 1] = { prefix .. k, t[k], self_kind } end
end

-- Functions of a class and of its ancestors (metatable __index chains).
local function class_functions(prefix, obj, self_kind)
  local seen, t = {}, getmetatable(obj)
  while type(t) == "table" and not seen[t] do
    seen[t] = true
    local idx = rawget(t, "__index")
    if type(idx) == "table" then
      local names = {}
      for k, v in pairs(idx) do
        if type(k) == "string" and type(v) == "function" and not seen[k] then
          seen[k] = true
          names[#names + 1] = k
        end
      end
      table.sort(names)
      for _, k in ipairs(names) do targets[#targets + 1] = { prefix .. k, idx[k], self_kind } end
      t = getmetatable(idx)
    else
      t = nil
    end
  end
end

add_functions("lucid.", lucid)
add_functions("lucid.autograd.", lucid.autograd)
local tensor_mt = getmetatable(lucid.zeros(1))
local _, methods = debug.getupvalue(tensor_mt.__index, 1)
add_functions("Tensor:", methods, "tensor")
for _, mm in ipairs({ "__add", "__sub", "__mul", "__div", "__pow", "__unm", "__len", "__tostring", "__index", "__newindex" }) do
  targets[#targets + 1] = { "Tensor." .. mm, tensor_mt[mm], "tensor" }
end
add_functions("nn.functional.", nn.functional)
add_functions("nn.init.", nn.init)
add_functions("nn.utils.", nn.utils)
add_functions("nn.utils.rnn.", nn.utils.rnn)

local MODULES = { "Linear", "RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell", "Embedding",
  "Dropout", "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "MSELoss", "CrossEntropyLoss",
  "NLLLoss", "BCEWithLogitsLoss", "Sequential", "ModuleList" }
-- every module constructor (lua/nn/<Name>.lua), called with hostile arguments
local nn_dir = package.searchpath("nn.Linear", package.path):match("^(.*)/[^/]*$")
local names = {}
for file in io.popen("ls " .. nn_dir):lines() do
  local name = file:match("^(%u%w*)%.lua$")
  if name and type(nn[name]) == "table" and name ~= "Module" then names[#names + 1] = name end
end
table.sort(names)
for _, name in ipairs(names) do targets[#targets + 1] = { "nn." .. name, nn[name] } end
for _, name in ipairs({ "SGD", "Adam", "AdamW" }) do
  targets[#targets + 1] = { "lucid.optim." .. name, lucid.optim[name] }
end

-- Valid instances, rebuilt with the pool: their methods are called with hostile arguments.
local function make_modules()
  return {
    nn.Linear(3, 4), nn.RNN(3, 4), nn.GRU(3, 4, { num_layers = 2 }),
    nn.LSTM(3, 4, { batch_first = true, bidirectional = true }), nn.RNNCell(3, 4),
    nn.GRUCell(3, 4), nn.LSTMCell(3, 4), nn.Embedding(5, 3), nn.Dropout(0.5), nn.ReLU(),
    nn.Tanh(), nn.Sigmoid(), nn.Softmax(1), nn.LogSoftmax(2), nn.MSELoss(),
    nn.CrossEntropyLoss(), nn.NLLLoss(), nn.BCEWithLogitsLoss(),
    nn.Sequential(nn.Linear(3, 3), nn.Tanh()), nn.ModuleList({ nn.Linear(2, 2) }),
  }
end
local modules = make_modules()
for i, name in ipairs(MODULES) do class_functions("nn." .. name .. ":", modules[i], "module:" .. i) end
-- Optimizers, schedulers and the data classes: objects whose methods are called too.
local OBJECTS = { "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
  "LBFGS", "StepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "TensorDataset", "DataLoader",
  "RandomSampler", "BatchSampler", "Generator" }
local function make_optimizers()
  local p = lucid.randn(3, { requires_grad = true })
  p.grad = lucid.randn(3)
  local optim, sched, data = lucid.optim, lucid.optim.lr_scheduler, lucid.utils.data
  local function sgd() return optim.SGD({ p }, { lr = 0.1 }) end
  local ds = data.TensorDataset(lucid.randn(6, 2), lucid.arange(1, 7, { dtype = lucid.int64 }))
  local o = sgd()
  return { optim.SGD({ p }, { lr = 0.1, momentum = 0.9 }), optim.Adam({ p }), optim.AdamW({ p }),
    optim.RMSprop({ p }), optim.Adagrad({ p }), optim.Adadelta({ p }), optim.Adamax({ p }), optim.NAdam({ p }),
    optim.RAdam({ p }), optim.LBFGS({ p }), sched.StepLR(sgd(), 2),
    sched.OneCycleLR(sgd(), { max_lr = 0.1, total_steps = 10 }), sched.ReduceLROnPlateau(sgd()),
    sched.SequentialLR(o, { schedulers = { sched.ConstantLR(o), sched.ExponentialLR(o, 0.9) }, milestones = { 2 } }),
    ds, data.DataLoader(ds, { batch_size = 4, shuffle = true }), data.RandomSampler(ds),
    data.BatchSampler(data.SequentialSampler(ds), 4, false), data.Generator(1) }
end
local optimizers = make_optimizers()
for i, name in ipairs(OBJECTS) do class_functions(name .. ":", optimizers[i], "optimizer:" .. i) end
local packed = nn.utils.rnn.pack_sequence({ lucid.randn(3, 3), lucid.randn(2, 3) })
class_functions("PackedSequence:", packed, "packed")

-- ---- hostile values ---------------------------------------------------------

local NUMBERS = { 0, 1, -1, 2, 3, 0.5, -0.5, 1.0, 2.0, 1e300, -1e300, 0 / 0, math.huge, -math.huge,
  math.mininteger, math.maxinteger, math.mininteger + 1, 1 << 31, 1 << 32, (1 << 31) - 1, 2 ^ 53,
  2 ^ 63, -2 ^ 63, 1e-300, 5e-324, 65, 100, 1e6, 2 ^ 31, -(1 << 40), 4.5, 7 }
local STRINGS = { "", "cpu", "cuda", "float32", "float64", "int64", "sum", "mean", "none", "relu",
  "tanh", "x", "nan", "inf", "1", "-1", string.rep("a", 1000), "%s%s%n", "a\0b", "shape", "grad",
  "dtype", "requires_grad", "weight", "bias", "__index", "." } -- no absolute paths: lucid.save writes
local OPTION_NAMES = { "dim", "keepdim", "dtype", "requires_grad", "alpha", "size", "device",
  "reduction", "ignore_index", "weight", "pos_weight", "lr", "momentum", "betas", "eps",
  "weight_decay", "nesterov", "dampening", "maximize", "amsgrad", "batch_first", "num_layers",
  "bias", "nonlinearity", "dropout", "bidirectional", "padding_value", "enforce_sorted",
  "total_length", "padding_idx", "max_norm", "inplace", "p", "training", "label_smoothing",
  "min", "max", "start", "end", "step", "fill_value", "input", "other", "n", "m", "low", "high",
  "mean", "std", "a", "b", "gain", "mode", "nonlinearity", "strict", "set_to_none", "atol",
  "rtol", "eps", "generator", "out", "self", "tensors", "index", "hx", "lengths", "sequences" }

local pool, closed -- tensors; rebuilt every POOL_CALLS calls
local POOL_CALLS = 300
local gen

local function base_tensor()
  local dtype = pick({ lucid.float32, lucid.float64, lucid.int64, lucid.bool })
  local shape = pick({ {}, { 0 }, { 1 }, { 3 }, { 2, 3 }, { 3, 0 }, { 3, 4 }, { 2, 3, 4 }, { 4, 3 },
    { 1, 1, 1, 1, 1, 1, 1, 1 }, { 5 }, { 2, 2 }, { 3, 3 }, { 2, 3, 3 }, { 5, 3 } })
  local t
  if dtype == lucid.bool then
    t = lucid.randn(shape):gt(0)
  elseif dtype == lucid.int64 then
    t = lucid.randint({ low = -2, high = 5, size = shape })
    if chance(0.1) and t:numel() > 0 then t:view(-1)[1] = pick({ math.maxinteger, math.mininteger, 0 }) end
  else
    t = lucid.randn(shape, { dtype = dtype })
    if chance(0.1) and t:numel() > 0 then t:view(-1)[1] = pick({ 0 / 0, math.huge, -math.huge, 1e300 }) end
  end
  return t
end

-- A view of t that is not plain: transposed, narrowed, selected, expanded, strided.
local function odd_view(t)
  local ok, v = pcall(function()
    local n = t:dim()
    local k = math.random(5)
    if k == 1 and n >= 2 then return t:t() end
    if k == 2 and n >= 1 and t:size(1) > 1 then return t:narrow(1, 2, t:size(1) - 1) end
    if k == 3 and n >= 1 and t:size(1) > 0 then return t:select(1, 1) end
    if k == 4 then return t:unsqueeze(1):expand(3, table.unpack(t.shape)) end
    if k == 5 and n >= 2 then return t:transpose(1, n):narrow(1, 1, 1) end
    return t
  end)
  return ok and v or t
end

local function build_pool()
  pool = {}
  for i = 1, 24 do
    local t = base_tensor()
    if chance(0.3) then t = odd_view(t) end
    if chance(0.25) and t.dtype.is_floating_point then
      local leaf = t:detach():clone():requires_grad_()
      t = chance(0.5) and leaf or leaf * 2
    end
    pool[i] = t
  end
  closed = lucid.zeros(2)
  closed:close()
  modules = make_modules()
  optimizers = make_optimizers()
  packed = nn.utils.rnn.pack_sequence({ lucid.randn(3, 3), lucid.randn(2, 3) })
end

local function small_int() return pick({ 1, 1, 2, 2, 3, -1, 0, 4, -2 }) end
local function number() return chance(0.6) and small_int() or pick(NUMBERS) end

local function lying_table(depth)
  local t = {}
  for i = 1, math.random(0, 3) do t[i] = number() end
  local mt = {}
  if chance(0.5) then
    local n = pick({ -1, -(1 << 40), 1 << 40, 1 << 31, math.maxinteger, math.mininteger, 9, 2, 0.5 })
    mt.__len = function() if chance(0.1) then error("lying __len") end return n end
  end
  if chance(0.5) then
    local v = gen(depth + 1)
    mt.__index = function() if chance(0.1) then error("lying __index") end return v end
  end
  return setmetatable(t, mt)
end

local function cyclic_table()
  local t = { 1, 2 }
  t[3] = t
  t.self, t.dim, t.data = t, t, t
  return t
end

local function options(depth)
  local o = {}
  for _ = 1, math.random(1, 3) do o[pick(OPTION_NAMES)] = gen(depth + 1) end
  return o
end

local function fn_value(depth)
  local v = pool[math.random(#pool)]
  return pick({
    function() end,
    function() error("hostile function") end,
    function(...) return ... end,
    function() return v end,
    function() return v, v end,
    function() return nil, "x" end,
  })
end

local GENERATORS = {
  { 30, function() return pool[math.random(#pool)] end },
  { 14, small_int },
  { 10, function() return pick(NUMBERS) end },
  { 4, function() return nil end },
  { 3, function() return chance(0.5) end },
  { 5, function() return pick(STRINGS) end },
  { 4, function() return pick({ lucid.float32, lucid.float64, lucid.int64, lucid.bool }) end },
  { 7, function() local s = {} for i = 1, math.random(0, 4) do s[i] = number() end return s end },
  { 7, options },
  { 3, function() return { { number(), number() }, { number(), number() } } end },
  { 2, lying_table },
  { 2, cyclic_table },
  { 2, fn_value },
  { 1, function() return coroutine.create(function() end) end },
  { 2, function() return modules[math.random(#modules)] end },
  { 3, function() return { pool[math.random(#pool)], pool[math.random(#pool)] } end },
  { 1, function() return packed end },
  { 1, function() return closed end },
  { 1, function() return setmetatable({}, tensor_mt) end },
  { 1, function() return {} end },
}
local total_weight = 0
for _, g in ipairs(GENERATORS) do total_weight = total_weight + g[1] end

gen = function(depth)
  depth = depth or 0
  local r = math.random() * total_weight
  for _, g in ipairs(GENERATORS) do
    r = r - g[1]
    if r <= 0 then
      if depth > 2 then return small_int() end
      return g[2](depth)
    end
  end
  return nil
end

-- The usual first argument of a target, most of the time.
local function self_value(kind)
  if not kind or chance(0.15) then return gen() end
  if kind == "tensor" then return pool[math.random(#pool)] end
  if kind == "packed" then return packed end
  local what, i = kind:match("^(%a+):(%d+)$")
  if what == "module" then return modules[tonumber(i)] end
  return optimizers[tonumber(i)]
end

local function describe(v)
  if lucid.is_tensor(v) then
    local ok, s = pcall(function() return "tensor" .. tostring(v.shape) .. v.dtype.name end)
    return ok and s or "closed tensor"
  end
  if type(v) == "string" then return string.format("%q", v:sub(1, 20)) end
  local ok, s = pcall(tostring, v)
  return ok and s:sub(1, 40) or type(v)
end

-- ---- the run ------------------------------------------------------------------

local deadline = math.huge
debug.sethook(function()
  if os.clock() > deadline then
    io.stderr:write("fuzz: a call ran longer than ", CALL_SECONDS, " s\n")
    os.exit(3)
  end
end, "", 10000)

-- Lua errors from inside the library that name no function (--verbose lists them; private
-- helpers, named with a leading underscore, are left out)
local raw_errors = {}
local errors, passes = 0, 0
for i = 1, ncalls do
  if (i - 1) % POOL_CALLS == 0 then build_pool() end
  local target = targets[math.random(#targets)]
  local n = math.random(0, 5)
  local args = { self_value(target[3]) }
  for k = 2, n do args[k] = gen() end
  if n == 0 then args = {} end
  log:write(i, " ", target[1], "\n")
  if verbose then
    local parts = {}
    for k = 1, n do parts[k] = describe(args[k]) end
    log:write("  (", table.concat(parts, ", "), ")\n")
  end
  deadline = os.clock() + CALL_SECONDS
  local ok, err = pcall(target[2], table.unpack(args, 1, n))
  deadline = math.huge
  if ok then
    passes = passes + 1
  else
    errors = errors + 1
    if type(err) == "string" and not target[1]:find("[:.]_")
        and (err:find("attempt to") or err:find("bad argument #") or err:find("table expected")) then
      raw_errors[target[1]] = raw_errors[target[1]] or err
    end
  end
  if i % 50 == 0 then collectgarbage("step", 200) end
end
log:write("done ", ncalls, "\n")
if verbose then
  for name, err in pairs(raw_errors) do io.stderr:write("raw error: ", name, ": ", err, "\n") end
end
io.stdout:write(string.format("seed %d: %d calls, %d returned, %d raised\n", seed, ncalls, passes, errors))
os.exit(0, true) -- closing the state runs every __gc too
