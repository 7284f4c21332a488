-- lucid.args.check_methods: a method called with '.' instead of ':' (or on
-- anything but an object of its class family) raises an error that names the
-- method, what self must be and what it got, instead of failing deep inside
-- with "attempt to index a nil value". Every class family of lucid uses it.
local lucid = require("lucid")
local nn = require("nn")
local args = require("lucid.args")
local data = lucid.utils.data
local sched = lucid.optim.lr_scheduler

local function message(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok)
  return tostring(err)
end

local function sgd()
  return lucid.optim.SGD({ lucid.randn(3, { requires_grad = true }) }, { lr = 0.1 })
end

describe("lucid.args.check_methods", function()
  it("names the method, the class family and what self was", function()
    local m = nn.Linear(2, 3)
    assert.matches("Module:parameters: self must be an object of class Module %(call it as obj:parameters%(...%)%), got nil",
      message(m.parameters))
    assert.matches("Linear:forward: self must be an object of class Module .*got integer", message(m.forward, 5))
    assert.matches("Module:state_dict: .*got string", message(m.state_dict, "x"))
    assert.matches("Module:zero_grad: .*got a SGD", message(m.zero_grad, sgd()))
  end)

  it("covers optimizers, schedulers, packed sequences, datasets, samplers and loaders", function()
    local opt = sgd()
    assert.matches("Optimizer:step: self must be an object of class Optimizer .*got nil", message(opt.step))
    assert.matches("Optimizer:zero_grad: .*got nil", message(opt.zero_grad))
    assert.matches("Optimizer:add_param_group: .*got table", message(opt.add_param_group, {}))
    assert.matches("Optimizer:state_dict: .*got nil", message(opt.state_dict))
    assert.matches("Optimizer:load_state_dict: .*got integer", message(opt.load_state_dict, 1, {}))
    local s = sched.StepLR(opt, { step_size = 2 })
    assert.matches("LRScheduler:step: self must be an object of class LRScheduler .*got nil", message(s.step))
    assert.matches("LRScheduler:get_last_lr: .*got nil", message(s.get_last_lr))
    local p = nn.utils.rnn.pack_sequence({ lucid.randn(3, 2), lucid.randn(2, 2) })
    assert.matches("PackedSequence:to: self must be an object of class PackedSequence .*got nil", message(p.to))
    local ds = data.TensorDataset(lucid.randn(4, 2))
    assert.matches("TensorDataset:__getitems__: self must be an object of class Dataset .*got nil",
      message(ds.__getitems__, nil, lucid.tensor({ 1 })))
    local loader = data.DataLoader(ds, { batch_size = 2 })
    assert.matches("DataLoader:iter: self must be an object of class DataLoader .*got nil", message(loader.iter))
    local sampler = data.RandomSampler(ds)
    assert.matches("RandomSampler:indices: self must be an object of class Sampler .*got nil", message(sampler.indices))
    local g = data.Generator(1)
    assert.matches("Generator:randperm: self must be an object of class Generator .*got integer", message(g.randperm, 3))
  end)

  it("lets the methods run on objects of the family, subclasses and borrowed methods included", function()
    local m = nn.Sequential(nn.Linear(2, 2))
    assert.are.equal(2, #nn.Module.parameters(m))
    -- MultiplicativeLR borrows LambdaLR.lambdas: both are LRSchedulers
    local s = sched.MultiplicativeLR(sgd(), function() return 0.5 end)
    s:step()
    assert.are.same({ 0.05 }, s:get_last_lr())
  end)

  it("wraps methods defined after the class was made, and checks init's argument table", function()
    local Foo = nn.Module:extend("Foo", { { "n", "integer" } })
    function Foo:init(a) self.n = a.n end
    function Foo:twice() return 2 * self.n end
    assert.are.equal(6, Foo(3):twice())
    assert.matches("Foo:twice: self must be an object of class Module .*got nil", message(Foo.twice))
    assert.matches("Foo:init: argument 1 must be the table of the constructor's parsed arguments %(construct with Foo%(...%)%), got nil",
      message(Foo.init, Foo(1)))
    assert.matches("StepLR:init: argument 1 must be the table", message(sched.StepLR.init, sched.StepLR(sgd(), 2)))
    -- a table that is not the constructor's arguments is checked as the constructor checks them
    assert.matches("Linear: missing argument 'in_features'", message(nn.Linear.init, nn.Linear(2, 3), {}))
    assert.matches("Conv1d: missing argument 'in_channels'", message(nn.Conv1d.init, nn.Conv1d(2, 2, 2), {}))
  end)

  it("checks a class once, and still refuses strangers after its objects have passed", function()
    local m = nn.Linear(2, 3)
    assert.are.equal(2, #m:parameters()) -- Linear's objects pass: their class is remembered
    assert.are.equal(2, #m:parameters())
    assert.matches("Module:parameters: self must be an object of class Module %(call it as obj:parameters%(...%)%), got nil",
      message(m.parameters))
    assert.matches("Module:parameters: .*got a SGD", message(m.parameters, sgd()))
    assert.are.equal(0, #nn.Module.parameters(nn.Sequential())) -- '.' with an object is fine
    assert.matches("Module:parameters: .*got table", message(m.parameters, {}))
  end)

  it("refuses a class as self, except in class methods (extend)", function()
    local want = "Module:parameters: self must be an object of class Module %(call it as obj:parameters%(...%)%), got the class "
    assert.matches(want .. "Module", message(nn.Module.parameters, nn.Module))
    assert.matches(want .. "Linear", message(nn.Module.parameters, nn.Linear))
    assert.matches("Linear:forward: .*got the class Linear", message(nn.Linear.forward, nn.Linear, 3))
    assert.matches("Optimizer:step: self must be an object of class Optimizer .*got the class SGD",
      message(lucid.optim.SGD.step, lucid.optim.SGD))
    assert.matches("LRScheduler:step: .*got the class StepLR", message(sched.StepLR.step, sched.StepLR))
    assert.matches("PackedSequence:to: .*got the class PackedSequence",
      message(getmetatable(nn.utils.rnn.pack_sequence({ lucid.randn(2, 1) })).to,
        getmetatable(nn.utils.rnn.pack_sequence({ lucid.randn(2, 1) }))))
    -- a class method takes the class, and a class that was extended does not
    -- let the class through to the other methods afterwards
    local Twice = nn.Linear:extend("Twice")
    function Twice:init(n) nn.Linear.init(self, { in_features = n, out_features = n, bias = true }) end
    assert.are.equal(2, #Twice(3):parameters())
    assert.matches("Module:parameters: .*got the class Twice", message(Twice.parameters, Twice))
    assert.matches(want .. "Linear", message(nn.Module.parameters, nn.Linear))
  end)

  it("is_instance follows the class chains", function()
    assert.is_true(args.is_instance(nn.Linear(1, 1), nn.Module))
    assert.is_true(args.is_instance(nn.Linear(1, 1), nn.Linear))
    assert.is_false(args.is_instance(nn.Linear(1, 1), nn.Embedding))
    assert.is_true(args.is_instance(sgd(), lucid.optim.Optimizer or getmetatable(lucid.optim.SGD).__index))
    assert.is_false(args.is_instance({}, nn.Module))
    assert.is_false(args.is_instance("x", nn.Module))
    assert.is_false(args.is_instance(lucid.zeros(1), nn.Module))
  end)
end)

describe("argument checks found by calling every method with bad arguments", function()
  it("schedulers", function()
    local opt = sgd()
    local seq = sched.SequentialLR(opt, { schedulers = { sched.ConstantLR(opt), sched.ExponentialLR(opt, { gamma = 0.9 }) },
      milestones = { 2 } })
    assert.matches("SequentialLR: load_state_dict: expected a table, got nil", message(seq.load_state_dict, seq))
    local chained = sched.ChainedScheduler({ sched.ExponentialLR(opt, { gamma = 0.9 }) })
    assert.matches("ChainedScheduler: load_state_dict: expected a table, got number", message(chained.load_state_dict, chained, 1))
    local plateau = sched.ReduceLROnPlateau(sgd())
    assert.matches("ReduceLROnPlateau: is_better%(a, best%) takes two numbers, got nil and nil",
      message(plateau.is_better, plateau))
    assert.is_true(plateau:is_better(1, 2))
  end)

  it("data.Generator", function()
    local g = data.Generator(1)
    assert.matches("Generator:randperm: n must be a non%-negative integer, got nil", message(g.randperm, g))
    assert.matches("Generator:randindex: count must be a non%-negative integer, got %-1", message(g.randindex, g, 3, -1))
    assert.matches("Generator:multinomial: weights must be a tensor, got number", message(g.multinomial, g, 5, 2))
    assert.matches("Generator.from_options%(fname, opts%) takes a name and an options table, got nil and nil",
      message(data.Generator.from_options))
    assert.are.equal(4, g:randperm(4):numel())
  end)

  it("module helpers for subclasses and the recurrent bases", function()
    assert.matches("Module.with_dtype: argument 1 must be a list of argument specs, got nil", message(nn.Module.with_dtype))
    assert.matches("Module.uniform_parameter: argument 2 %(bound%) must be a number, got nil",
      message(nn.Module.uniform_parameter, { 2 }))
    assert.matches("RNNBase.arguments: the extra arguments must be a list of argument specs, got number",
      message(nn.LSTM.arguments, true, 1))
    assert.matches("RNNCellBase.cell_args: the extra arguments must be a list of argument specs, got number",
      message(nn.RNNCell.cell_args, 2))
    local lstm = nn.LSTM(2, 3)
    assert.matches("LSTM: setup%(mode, args%) takes a mode name and the parsed arguments, got nil and nil",
      message(lstm.setup, lstm))
    local cell = nn.RNNCell(2, 3)
    assert.matches("RNNCell: init_cell%(args, cell%) takes the parsed arguments and a cell kind name, got table and nil",
      message(cell.init_cell, cell, {}))
  end)

  it("optimizer classes", function()
    assert.matches("Optimizer.new%(cls, ...%): cls must be an optimizer class", message(lucid.optim.SGD.new, 5))
    assert.matches("Optimizer:extend%(name, spec%) takes a class name and a spec table, got nil and nil",
      message(lucid.optim.SGD.extend, lucid.optim.SGD))
  end)

  it("C bindings name the function and the argument", function()
    local x = lucid.zeros(2, { requires_grad = true })
    assert.matches("size: dim must be an integer, got boolean", message(x.size, x, true))
    assert.matches("stride: dim must be an integer, got table", message(x.stride, x, {}))
    assert.matches("close: argument 1 must be a tensor, got no value", message(x.close))
    assert.matches("cat: argument 1 %(tensors%) must be a list of tensors, got number", message(lucid.cat, 5))
    assert.matches("register_post_accumulate_grad_hook: argument 2 %(hook%) must be a function, got number",
      message(x.register_post_accumulate_grad_hook, x, 5))
    assert.matches("register_backward_hooks: argument 1 must be a table of hook functions",
      message(lucid.autograd.register_backward_hooks, x))
  end)
end)

describe("every lucid function names itself and the argument", function()
  -- Lua's stock "bad argument #2 to 'lucid.narrow' (number expected, got
  -- string)" names neither the argument nor the call as the user wrote it.
  it("no stock 'bad argument' message from a wrong type in any position, function or method", function()
    local x = lucid.randn(3, 4)
    local skip = { save = true, load = true, set_num_threads = true, manual_seed = true }
    local stock = {}
    for name, f in pairs(lucid) do
      if type(f) == "function" and not name:match("^_") and not skip[name] then
        for _, args in ipairs({ { x, "zz" }, { x, 1, "zz" }, { x, 1, 1, "zz" }, { x, 1.5 }, { "zz" } }) do
          local ok, err = pcall(f, table.unpack(args))
          if not ok and tostring(err):find("bad argument", 1, true) then stock[#stock + 1] = name .. ": " .. tostring(err) end
        end
      end
    end
    for name, f in pairs(lucid.Tensor) do
      if type(f) == "function" and not name:match("^_") then
        for _, args in ipairs({ { "zz" }, { 1, "zz" }, { 1, 1, "zz" }, { 1.5 }, { {} } }) do
          local ok, err = pcall(f, lucid.randn(3, 4), table.unpack(args))
          if not ok and tostring(err):find("bad argument", 1, true) then stock[#stock + 1] = "Tensor:" .. name .. ": " .. tostring(err) end
        end
      end
    end
    table.sort(stock)
    assert.are.same({}, stock)
    assert.matches("narrow: start must be an integer, got string", message(lucid.narrow, x, 1, "a", 2))
    assert.matches("set_num_threads: n must be an integer, got string", message(lucid.set_num_threads, "a"))
    assert.matches("use_deterministic_algorithms: mode must be a boolean, got number",
      message(lucid.use_deterministic_algorithms, 1))
    assert.matches("arange: end must be a number, got string", message(lucid.arange, 1, "z"))
  end)
end)
