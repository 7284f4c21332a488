-- lucid.optim against PyTorch 1.13's torch.optim (tests/fixtures/optim.lua, made by
-- tests/fixtures/gen/gen_optim.py): parameters after every step and the final state,
-- plus the optimizer API (groups, zero_grad, state_dict, errors).
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local optim = lucid.optim

local cases = H.load_fixture("optim", "optimizer")

local function make_params(case)
  local ps = {}
  for i, spec in ipairs(case.params) do ps[i] = H.tensor_from_fixture(spec, { requires_grad = true }) end
  return ps
end

local function make_optimizer(case, ps, positional)
  local cls = optim[case.optimizer]
  if case.groups then
    local groups = {}
    for gi, g in ipairs(case.groups) do
      local group = {}
      for k, v in pairs(g) do group[k] = v end
      group.params = {}
      for i, idx in ipairs(g.params) do group.params[i] = ps[idx] end
      groups[gi] = group
    end
    return cls(groups, case.options)
  end
  if positional then
    -- the options PyTorch takes by position, in its order; the rest by name
    local o, pos, named = case.options, {}, {}
    local order = cls._order
    for i, k in ipairs(order) do pos[i] = o[k] end
    for k, v in pairs(o) do
      local listed = false
      for _, name in ipairs(order) do listed = listed or name == k end
      if not listed then named[k] = v end
    end
    pos[#order + 1] = named
    return cls(ps, table.unpack(pos, 1, #order + 1))
  end
  return cls(ps, case.options)
end

local function run_case(case, positional)
  local ps = make_params(case)
  local opt = make_optimizer(case, ps, positional)
  for s, grads in ipairs(case.grads) do
    for i, p in ipairs(ps) do
      if grads[i] == "none" then p.grad = nil else p.grad = H.tensor_from_fixture(grads[i]) end
    end
    opt:step()
    for i, p in ipairs(ps) do
      H.assert_close(p, case.expected[s][i], nil, nil, string.format("step %d, param %d", s, i))
    end
  end
  return ps, opt
end

describe("lucid.optim matches torch.optim (PyTorch 1.13)", function()
  for _, case in ipairs(cases) do
    it(case.name .. ": parameters after each step and the final state", function()
      local ps, opt = run_case(case)
      for i, p in ipairs(ps) do
        local want = case.state[i]
        local got = opt.state[p] or {}
        for _, key in ipairs({ "momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "square_avg",
          "grad_avg", "sum", "acc_delta", "exp_inf" }) do
          if want[key] then
            H.assert_close(got[key], want[key], nil, nil, string.format("param %d %s", i, key))
          else
            assert.is_nil(got[key], string.format("param %d should have no %s", i, key))
          end
        end
        if want.mu_product then
          assert.are.equal(want.mu_product, got.mu_product)     -- float32 products, exactly
        end
        assert.are.equal(want.step, got.step)
        -- parameters stay leaves that require grad, with no recorded history
        assert.is_true(p.requires_grad)
        assert.is_true(p.is_leaf)
        assert.is_nil(p.grad_fn)
      end
    end)
  end

  for _, case in ipairs(cases) do
    if not case.groups and case.name:match("float64$") then
      it(case.name .. " with positional options", function() run_case(case, true) end)
    end
  end
end)

local function leaf(data, dtype)
  return lucid.tensor(data, { dtype = dtype or lucid.float64, requires_grad = true })
end

describe("lucid.optim constructors", function()
  it("accept positional, trailing-options and single-table forms alike", function()
    local w = leaf({ 1, 2 })
    local a = optim.SGD({ w }, 0.5, 0.9)
    local b = optim.SGD({ w }, { lr = 0.5, momentum = 0.9 })
    local c = optim.SGD({ params = { w }, lr = 0.5, momentum = 0.9 })
    local d = optim.SGD({ w }, 0.5, { momentum = 0.9 })
    for _, o in ipairs({ a, b, c, d }) do
      local g = o.param_groups[1]
      assert.are.equal(0.5, g.lr)
      assert.are.equal(0.9, g.momentum)
      assert.are.equal(0, g.dampening)
      assert.is_false(g.nesterov)
      assert.is_false(g.maximize)
      assert.are.equal(w, g.params[1])
    end
  end)

  it("fill PyTorch's defaults", function()
    local w = leaf({ 1, 2 })
    local adam = optim.Adam({ w }).param_groups[1]
    assert.are.equal(1e-3, adam.lr)
    assert.are.same({ 0.9, 0.999 }, adam.betas)
    assert.are.equal(1e-8, adam.eps)
    assert.are.equal(0, adam.weight_decay)
    assert.is_false(adam.amsgrad)
    assert.is_false(adam.maximize)
    local adamw = optim.AdamW({ w }).param_groups[1]
    assert.are.equal(1e-2, adamw.weight_decay)
    assert.are.equal(1e-3, adamw.lr)
  end)

  it("take a single tensor, a module's parameters, or parameter groups", function()
    local w = leaf({ 1, 2 })
    assert.are.equal(w, optim.SGD(w, 0.1).param_groups[1].params[1])
    local m = nn.Linear(3, 2)
    local o = optim.Adam(m:parameters(), { lr = 0.01 })
    assert.are.equal(2, #o.param_groups[1].params)
    local g = optim.SGD({ { params = { m.weight } }, { params = m.bias, lr = 0.5 } }, { lr = 0.1, momentum = 0.9 })
    assert.are.equal(2, #g.param_groups)
    assert.are.equal(0.1, g.param_groups[1].lr)
    assert.are.equal(0.5, g.param_groups[2].lr)
    assert.are.equal(0.9, g.param_groups[2].momentum)
    assert.are.equal(m.bias, g.param_groups[2].params[1])
  end)

  it("print their groups like PyTorch", function()
    local s = tostring(optim.SGD({ leaf({ 1 }) }, { lr = 0.1, momentum = 0.9 }))
    assert.truthy(s:find("^SGD %(\nParameter Group 1\n"))
    assert.truthy(s:find("    lr: 0.1\n", 1, true))
    assert.truthy(s:find("    momentum: 0.9\n", 1, true))
  end)

  local w = leaf({ 1, 2 })
  local errors = {
    { "an empty parameter list", function() return optim.SGD({}, 0.1) end, "SGD: got an empty parameter list" },
    { "a non-table params", function() return optim.Adam(3) end, "Adam: params argument should be an array of tensors or of parameter groups, got number" },
    { "a non-tensor parameter", function() return optim.SGD({ w, "x" }, 0.1) end, "SGD: can only optimize tensors, but parameter 2 of group 1 is a string" },
    { "a non-leaf parameter", function() return optim.SGD({ w * 2 }, 0.1) end, "SGD: can't optimize a non-leaf tensor" },
    { "an integer parameter", function() return optim.SGD({ lucid.tensor({ 1, 2 }) }, 0.1) end, "SGD: can only optimize float32 or float64 tensors, but parameter 1 of group 1 is int64" },
    { "a missing lr", function() return optim.SGD({ w }) end, "SGD: parameter group didn't specify a value of required optimization parameter lr" },
    { "lr < 0", function() return optim.SGD({ w }, -0.1) end, "SGD: Invalid learning rate: -0.1" },
    { "momentum < 0", function() return optim.SGD({ w }, { lr = 0.1, momentum = -1 }) end, "SGD: Invalid momentum value: -1" },
    { "weight_decay < 0", function() return optim.SGD({ w }, { lr = 0.1, weight_decay = -0.5 }) end, "SGD: Invalid weight_decay value: -0.5" },
    { "nesterov without momentum", function() return optim.SGD({ w }, { lr = 0.1, nesterov = true }) end, "SGD: Nesterov momentum requires a momentum and zero dampening" },
    { "nesterov with dampening", function() return optim.SGD({ w }, { lr = 0.1, momentum = 0.9, dampening = 0.1, nesterov = true }) end, "SGD: Nesterov momentum requires a momentum and zero dampening" },
    { "a string lr", function() return optim.SGD({ w }, "big") end, "SGD: lr must be a number, got string" },
    { "a number nesterov", function() return optim.SGD({ w }, { lr = 1, momentum = 1, nesterov = 1 }) end, "SGD: nesterov must be a boolean, got number" },
    { "an unknown option", function() return optim.SGD({ w }, { lr = 1, momentun = 0.9 }) end, "SGD: unknown option 'momentun'" },
    { "too many positional options", function() return optim.SGD({ w }, 1, 0, 0, 0, false, 7) end, "SGD: expected at most 6 positional arguments, got 7" },
    { "an option given twice", function() return optim.SGD({ w }, 0.1, { lr = 0.2 }) end, "SGD: argument 'lr' given both by position and by name" },
    { "Adam lr < 0", function() return optim.Adam({ w }, { lr = -1 }) end, "Adam: Invalid learning rate: -1" },
    { "beta1 = 1", function() return optim.Adam({ w }, { betas = { 1, 0.999 } }) end, "Adam: Invalid beta parameter at index 1: 1" },
    { "beta2 < 0", function() return optim.Adam({ w }, { betas = { 0.9, -0.1 } }) end, "Adam: Invalid beta parameter at index 2: -0.1" },
    { "betas not a pair", function() return optim.AdamW({ w }, { betas = { 0.9 } }) end, "AdamW: betas must be a table of two numbers, got (0.9)" },
    { "eps < 0", function() return optim.AdamW({ w }, { eps = -1e-8 }) end, "AdamW: Invalid epsilon value: -1e-08" },
    { "Adam weight_decay < 0", function() return optim.Adam({ w }, { weight_decay = -1 }) end, "Adam: Invalid weight_decay value: -1" },
    { "a parameter in two groups", function() return optim.Adam({ { params = { w } }, { params = { w } } }) end, "Adam: some parameters appear in more than one parameter group" },
    { "a parameter twice in one group", function() return optim.Adam({ w, w }) end, "Adam: parameter 2 of group 1 appears more than once in the group" },
    { "a bad group option", function() return optim.SGD({ { params = { w }, lr = -2 } }, 0.1) end, "SGD: Invalid learning rate: -2 (parameter group 1)" },
    { "RMSprop alpha < 0", function() return optim.RMSprop({ w }, { alpha = -0.5 }) end, "RMSprop: Invalid alpha value: -0.5" },
    { "Adagrad lr_decay < 0", function() return optim.Adagrad({ w }, 0.1, -1) end, "Adagrad: Invalid lr_decay value: -1" },
    { "Adadelta rho > 1", function() return optim.Adadelta({ w }, { rho = 1.5 }) end, "Adadelta: Invalid rho value: 1.5" },
    { "Adamax beta2 = 1", function() return optim.Adamax({ w }, { betas = { 0.9, 1 } }) end, "Adamax: Invalid beta parameter at index 2: 1" },
    { "NAdam momentum_decay < 0", function() return optim.NAdam({ w }, { momentum_decay = -1 }) end, "NAdam: Invalid momentum_decay value: -1" },
    { "NAdam maximize (PyTorch 1.13 has none)", function() return optim.NAdam({ w }, { maximize = true }) end, "NAdam: unknown option 'maximize'" },
    { "RAdam eps < 0", function() return optim.RAdam({ w }, { eps = -1 }) end, "RAdam: Invalid epsilon value: -1" },
    { "a group that is not a table", function() return optim.SGD({ { params = { w } }, 5 }, 0.1) end, "SGD: params item 2 should be a parameter group table, got number" },
  }
  for _, e in ipairs(errors) do
    it("reject " .. e[1], function()
      local msg = H.err_str(e[2])
      assert.truthy(msg:find(e[3], 1, true), "message was: " .. msg)
    end)
  end

  it("reject parameters given twice through different Lua values of one tensor", function()
    local m = nn.Linear(2, 2)
    local p = m:parameters()[1]
    local same = p:detach() -- a new tensor, not the same parameter
    assert.has_no.errors(function() optim.SGD({ p, same }, 0.1) end)
    local alias = p:contiguous() -- already contiguous: another Lua value for the same tensor
    assert.is_false(rawequal(p, alias))
    local msg = H.err_str(optim.SGD, { { params = { p } }, { params = { alias } } }, 0.1)
    assert.truthy(msg:find("more than one parameter group", 1, true))
    msg = H.err_str(optim.SGD, { p, alias }, 0.1)
    assert.truthy(msg:find("appears more than once", 1, true))
  end)
end)

describe("lucid.optim stepping", function()
  it("skips parameters without a gradient", function()
    local a, b = leaf({ 1, 2 }), leaf({ 3, 4 })
    local opt = optim.Adam({ a, b }, { lr = 0.1 })
    a.grad = lucid.tensor({ 1, 1 }, { dtype = lucid.float64 })
    opt:step()
    assert.are.same({ 3, 4 }, b:tolist())
    assert.is_nil(opt.state[b])
    assert.are.equal(1, opt.state[a].step)
    H.assert_close(a, lucid.tensor({ 0.9, 1.9 }, { dtype = lucid.float64 }), 1e-7)
  end)

  it("updates in place, keeping the parameter's identity, without recording autograd", function()
    local w = leaf({ 1, 2, 3 })
    local opt = optim.SGD({ w }, 0.5)
    local loss = (w * w):sum()
    loss:backward()
    opt:step()
    assert.are.same({ 0, 0, 0 }, w:tolist())
    assert.is_nil(w.grad_fn)
    assert.is_true(w.is_leaf)
    assert.is_true(w.requires_grad)
    -- a graph that saved w sees the in-place write (the storage version moved)
    local y = (w * w):sum()
    w.grad = lucid.ones(3, { dtype = lucid.float64 })
    opt:step()
    local ok, msg = pcall(function() y:backward() end)
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("modified", 1, true) or tostring(msg):find("in place", 1, true),
      "message was: " .. tostring(msg))
  end)

  it("runs a closure with grad mode on and returns its loss", function()
    local w = leaf({ 2 })
    local opt = optim.SGD({ w }, 0.25)
    local loss = lucid.no_grad(function()
      return opt:step(function()
        opt:zero_grad()
        local l = (w * w):sum()
        l:backward()
        return l
      end)
    end)
    assert.are.equal(4, loss:item())
    assert.are.equal(1, w:item())
    assert.has_error(function() opt:step(5) end, "SGD: step: closure must be a function, got number")
  end)

  it("updates non-contiguous parameters", function()
    local base = lucid.tensor({ { 1, 2, 3 }, { 4, 5, 6 } }, { dtype = lucid.float64 })
    local w = base:t():requires_grad_()
    assert.is_false(w:is_contiguous())
    local opt = optim.SGD({ w }, { lr = 1, momentum = 0.5 })
    w.grad = lucid.ones(3, 2, { dtype = lucid.float64 })
    opt:step()
    opt:step()
    -- step 1: buf = 1, p -= 1; step 2: buf = 0.5 + 1 = 1.5, p -= 1.5
    assert.are.same({ { -1.5, 1.5 }, { -0.5, 2.5 }, { 0.5, 3.5 } }, w:tolist())
    assert.are.same({ { -1.5, -0.5, 0.5 }, { 1.5, 2.5, 3.5 } }, base:tolist())
  end)

  it("accepts non-contiguous gradients", function()
    local w = leaf({ { 1, 2 }, { 3, 4 } })
    local opt = optim.SGD({ w }, 1)
    w.grad = lucid.tensor({ { 1, 2 }, { 3, 4 } }, { dtype = lucid.float64 }):t()
    opt:step()
    assert.are.same({ { 0, -1 }, { 1, 0 } }, w:tolist())
  end)

  it("reads group options at each step (a learning-rate change applies)", function()
    local w = leaf({ 1 })
    local opt = optim.SGD({ w }, 1)
    w.grad = lucid.ones(1, { dtype = lucid.float64 })
    opt.param_groups[1].lr = 0.25
    opt:step()
    assert.are.equal(0.75, w:item())
    opt.param_groups[1].lr = -1
    assert.has_error(function() opt:step() end, "SGD: Invalid learning rate: -1 (parameter group 1)")
  end)

  it("rejects a gradient of another dtype", function()
    local w = leaf({ 1, 2 })
    local opt = optim.Adam({ w })
    w.grad = lucid.ones(2)
    local msg = H.err_str(function() opt:step() end)
    assert.truthy(msg:find("Adam: a parameter of dtype float64 has a gradient of dtype float32", 1, true), msg)
  end)

  it("gives the same result on one thread and two for parameters above the parallel grain", function()
    local n = 70000
    local function train(threads)
      local before = lucid.get_num_threads()
      lucid.set_num_threads(threads)
      lucid.manual_seed(7)
      local w = lucid.randn(n):requires_grad_()
      local grads = { lucid.randn(n), lucid.randn(n), lucid.randn(n) }
      local opts = { optim.Adam({ w }, { lr = 0.01, amsgrad = true, weight_decay = 0.1 }) }
      local w2 = w:detach():clone():requires_grad_()
      opts[2] = optim.SGD({ w2 }, { lr = 0.1, momentum = 0.9, nesterov = true })
      for _, g in ipairs(grads) do
        w.grad = g
        w2.grad = g
        opts[1]:step()
        opts[2]:step()
      end
      lucid.set_num_threads(before)
      return w, w2
    end
    local a1, b1 = train(1)
    local a2, b2 = train(2)
    H.assert_close(a2, a1, 0, 0)
    H.assert_close(b2, b1, 0, 0)
  end)
end)

describe("lucid.optim zero_grad", function()
  it("zeroes gradients in place by default (PyTorch 1.13)", function()
    local w = leaf({ 1, 2 })
    local opt = optim.SGD({ w }, 0.1)
    local g = lucid.tensor({ 3, 4 }, { dtype = lucid.float64 })
    w.grad = g
    opt:zero_grad()
    assert.are.same({ 0, 0 }, w.grad:tolist())
    assert.are.same({ 0, 0 }, g:tolist())
  end)

  it("drops them with set_to_none", function()
    local w = leaf({ 1, 2 })
    local opt = optim.SGD({ w }, 0.1)
    w.grad = lucid.ones(2, { dtype = lucid.float64 })
    opt:zero_grad(true)
    assert.is_nil(w.grad)
    w.grad = lucid.ones(2, { dtype = lucid.float64 })
    opt:zero_grad({ set_to_none = true })
    assert.is_nil(w.grad)
    opt:zero_grad() -- no gradient: nothing to do
    assert.is_nil(w.grad)
  end)

  it("zeroes a gradient that has a history (create_graph)", function()
    local w = leaf({ 1, 2 })
    local opt = optim.SGD({ w }, 0.1)
    w.grad = (w * 3)
    opt:zero_grad()
    assert.are.same({ 0, 0 }, w.grad:tolist())
    assert.is_nil(w.grad.grad_fn)
    assert.are.same({ 1, 2 }, w:tolist())
  end)
end)

describe("lucid.optim add_param_group", function()
  it("adds a group with the defaults filled in", function()
    local a, b = leaf({ 1 }), leaf({ 2 })
    local opt = optim.SGD({ a }, { lr = 0.1, momentum = 0.5 })
    opt:add_param_group({ params = { b }, lr = 1 })
    assert.are.equal(2, #opt.param_groups)
    assert.are.equal(1, opt.param_groups[2].lr)
    assert.are.equal(0.5, opt.param_groups[2].momentum)
    b.grad = lucid.ones(1, { dtype = lucid.float64 })
    opt:step()
    assert.are.equal(1, b:item())
    assert.has_error(function() opt:add_param_group({ params = { a } }) end,
      "SGD: some parameters appear in more than one parameter group")
    assert.has_error(function() opt:add_param_group(5) end,
      "SGD: add_param_group: param group must be a table, got number")
  end)
end)

describe("lucid.optim state_dict", function()
  local function model_and_data()
    lucid.manual_seed(11)
    local m = nn.Linear(4, 3, { dtype = lucid.float64 })
    local xs, ys = {}, {}
    for i = 1, 5 do
      xs[i] = lucid.randn(6, 4, { dtype = lucid.float64 })
      ys[i] = lucid.randn(6, 3, { dtype = lucid.float64 })
    end
    return m, xs, ys
  end

  local function train_step(m, opt, x, y)
    opt:step(function()
      opt:zero_grad()
      local d = m(x) - y
      local loss = (d * d):mean()
      loss:backward()
      return loss
    end)
  end

  local makers = {
    SGD = function(ps) return optim.SGD(ps, { lr = 0.1, momentum = 0.9, nesterov = true }) end,
    Adam = function(ps) return optim.Adam(ps, { lr = 0.05, amsgrad = true }) end,
    AdamW = function(ps) return optim.AdamW({ { params = { ps[1] } }, { params = { ps[2] }, lr = 0.2 } }, { lr = 0.05 }) end,
    RMSprop = function(ps) return optim.RMSprop(ps, { lr = 0.01, momentum = 0.5, centered = true }) end,
    Adagrad = function(ps) return optim.Adagrad(ps, { lr = 0.1, lr_decay = 0.01 }) end,
    Adadelta = function(ps) return optim.Adadelta(ps, { rho = 0.8 }) end,
    Adamax = function(ps) return optim.Adamax(ps, { lr = 0.05 }) end,
    NAdam = function(ps) return optim.NAdam(ps, { lr = 0.05 }) end,
    RAdam = function(ps) return optim.RAdam(ps, { lr = 0.05 }) end,
    LBFGS = function(ps) return optim.LBFGS(ps, { max_iter = 3, history_size = 4, line_search_fn = "strong_wolfe" }) end,
  }
  for _, name in ipairs({ "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS" }) do
    it(name .. ": restoring after 3 steps and taking 2 more is bit-identical", function()
      local m, xs, ys = model_and_data()
      local opt = makers[name](m:parameters())
      for i = 1, 3 do train_step(m, opt, xs[i], ys[i]) end
      local osd, msd = opt:state_dict(), m:state_dict()
      local saved = {}
      for k, v in pairs(msd) do saved[k] = v:clone() end
      for i = 4, 5 do train_step(m, opt, xs[i], ys[i]) end

      local m2 = nn.Linear(4, 3, { dtype = lucid.float64 })
      m2:load_state_dict(saved)
      local opt2 = makers[name](m2:parameters())
      opt2:load_state_dict(osd)
      for i = 4, 5 do train_step(m2, opt2, xs[i], ys[i]) end
      assert.are.same(m.weight:tolist(), m2.weight:tolist())
      assert.are.same(m.bias:tolist(), m2.bias:tolist())
      -- the state is copied on load: the two optimizers do not share tensors
      local p1, p2 = m:parameters()[1], m2:parameters()[1]
      for k, v in pairs(opt.state[p1]) do
        if lucid.is_tensor(v) then
          assert.are.same(v:tolist(), opt2.state[p2][k]:tolist())
          assert.is_false(v:is_same_storage(opt2.state[p2][k]))
        elseif type(v) ~= "table" then
          assert.are.equal(v, opt2.state[p2][k])
        end
      end
    end)
  end

  it("has PyTorch's layout with 1-based parameter indices", function()
    local a, b, c = leaf({ 1, 2 }), leaf({ 3 }), leaf({ 4 })
    local opt = optim.Adam({ { params = { a, b } }, { params = { c }, lr = 0.5 } }, { lr = 0.1 })
    a.grad = lucid.ones(2, { dtype = lucid.float64 })
    c.grad = lucid.ones(1, { dtype = lucid.float64 })
    opt:step()
    local sd = opt:state_dict()
    assert.are.same({ 1, 2 }, sd.param_groups[1].params)
    assert.are.same({ 3 }, sd.param_groups[2].params)
    assert.are.equal(0.1, sd.param_groups[1].lr)
    assert.are.equal(0.5, sd.param_groups[2].lr)
    assert.are.same({ 0.9, 0.999 }, sd.param_groups[2].betas)
    assert.are.equal(1, sd.state[1].step)
    assert.is_nil(sd.state[2])
    assert.are.equal(1, sd.state[3].step)
    H.assert_close(sd.state[1].exp_avg, lucid.tensor({ 0.1, 0.1 }, { dtype = lucid.float64 }))
    -- a snapshot: later steps do not change it
    opt:step()
    H.assert_close(sd.state[1].exp_avg, lucid.tensor({ 0.1, 0.1 }, { dtype = lucid.float64 }))
    assert.are.equal(1, sd.state[1].step)
  end)

  it("loads group options and converts state to the parameters' dtype", function()
    local w = leaf({ 1, 2 })
    local opt = optim.SGD({ w }, { lr = 0.1, momentum = 0.9 })
    opt:load_state_dict({
      state = { [1] = { momentum_buffer = lucid.tensor({ 1, 1 }) } },
      param_groups = { { params = { 1 }, lr = 0.5, momentum = 0.5, dampening = 0, weight_decay = 0,
        nesterov = false, maximize = false } },
    })
    assert.are.equal(0.5, opt.param_groups[1].lr)
    assert.are.equal(w, opt.param_groups[1].params[1])
    assert.are.equal(lucid.float64, opt.state[w].momentum_buffer.dtype)
    w.grad = lucid.ones(2, { dtype = lucid.float64 })
    opt:step()
    -- buf = 0.5 * 1 + 1 = 1.5; w -= 0.5 * 1.5
    assert.are.same({ 0.25, 1.25 }, w:tolist())
    -- options a saved group lacks keep their current values
    opt:load_state_dict({ state = {}, param_groups = { { params = { 1 }, lr = 0.125 } } })
    assert.are.equal(0.125, opt.param_groups[1].lr)
    assert.are.equal(0.5, opt.param_groups[1].momentum)
    assert.is_false(opt.param_groups[1].maximize)
    assert.is_nil(opt.state[w])
  end)

  it("survives lucid.save and lucid.load", function()
    local w = leaf({ 1, 2 })
    local opt = optim.Adam({ w }, { lr = 0.1 })
    w.grad = lucid.tensor({ 0.5, -1 }, { dtype = lucid.float64 })
    opt:step()
    local path = os.tmpname()
    lucid.save(opt:state_dict(), path)
    local sd = lucid.load(path)
    os.remove(path)
    local w2 = w:detach():clone():requires_grad_()
    local opt2 = optim.Adam({ w2 }, { lr = 0.1 })
    opt2:load_state_dict(sd)
    w2.grad = w.grad:clone()
    opt:step()
    opt2:step()
    assert.are.same(w:tolist(), w2:tolist())
    assert.are.equal(2, opt2.state[w2].step)
  end)

  it("rejects state dicts that do not fit", function()
    local a, b = leaf({ 1, 2 }), leaf({ 3 })
    local opt = optim.SGD({ a, b }, { lr = 0.1, momentum = 0.9 })
    local two = optim.SGD({ { params = { leaf({ 1, 2 }) } }, { params = { leaf({ 3 }) } } }, 0.1):state_dict()
    local one = optim.SGD({ leaf({ 1, 2 }) }, 0.1):state_dict()
    local cases_ = {
      { 5, "SGD: load_state_dict: expected a table with fields state and param_groups, got number" },
      { { state = {} }, "SGD: load_state_dict: expected a table with fields state and param_groups" },
      { two, "SGD: load_state_dict: loaded state dict has a different number of parameter groups" },
      { one, "SGD: load_state_dict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group" },
      { { state = { [1] = { momentum_buffer = lucid.zeros(3) } }, param_groups = opt:state_dict().param_groups },
        "SGD: load_state_dict: state of parameter 1 has a tensor of shape (3) but the parameter has shape (2)" },
      { { state = { [9] = {} }, param_groups = opt:state_dict().param_groups },
        "SGD: load_state_dict: state has an entry for parameter 9, which no parameter group lists" },
    }
    for _, c in ipairs(cases_) do
      local msg = H.err_str(function() opt:load_state_dict(c[1]) end)
      assert.truthy(msg:find(c[2], 1, true), "message was: " .. msg)
    end
    -- nothing changed
    assert.are.equal(0.1, opt.param_groups[1].lr)
    assert.is_nil(opt.state[a])
  end)
end)

describe("lucid.optim.LBFGS matches torch.optim.LBFGS (PyTorch 1.13)", function()
  -- sum(w * (p - t)^2 + 0.1 * p^4) over the parameters, as gen_optim.py's lbfgs_loss
  local function objective(ps, targets, weights)
    local total
    for i, p in ipairs(ps) do
      local term = (weights[i] * (p - targets[i]) ^ 2 + p ^ 4 * 0.1):sum()
      total = total and total + term or term
    end
    return total
  end

  for _, case in ipairs(H.load_fixture("optim", "lbfgs")) do
    it(case.name .. ": parameters and loss after each step, evaluation counts", function()
      local ps, targets, weights = {}, {}, {}
      for i = 1, #case.params do
        ps[i] = H.tensor_from_fixture(case.params[i], { requires_grad = true })
        targets[i] = H.tensor_from_fixture(case.targets[i])
        weights[i] = H.tensor_from_fixture(case.weights[i])
      end
      local opt = optim.LBFGS(ps, case.options)
      local function closure()
        opt:zero_grad()
        local loss = objective(ps, targets, weights)
        loss:backward()
        return loss
      end
      -- float32: each step runs up to 20 quasi-Newton iterations whose directions
      -- depend on float32 dot products, summed in another order than BLAS's sdot
      -- (PyTorch); the rounding differences grow to about 2e-5 relative.
      local rtol = case.dtype == "float32" and 1e-4 or 1e-10
      for s = 1, #case.losses do
        local loss = opt:step(closure)
        assert(math.abs(loss:item() - case.losses[s]) <= rtol * math.abs(case.losses[s]) + 1e-6 * rtol,
          string.format("step %d: loss %.17g, PyTorch %.17g", s, loss:item(), case.losses[s]))
        for i, p in ipairs(ps) do
          H.assert_close(p, case.expected[s][i], rtol, rtol * 1e-1, string.format("step %d, param %d", s, i))
        end
      end
      if case.dtype == "float64" then
        assert.are.equal(case.func_evals, opt.state[ps[1]].func_evals)
        assert.are.equal(case.n_iter, opt.state[ps[1]].n_iter)
      else
        -- once converged to float32 precision, the stopping tests (loss changes
        -- below 1e-9, Wolfe comparisons of equal losses) compare rounding noise,
        -- so the evaluation counts differ from PyTorch's; the parameters do not
        assert.is_true(opt.state[ps[1]].n_iter >= 4)
      end
    end)
  end

  it("needs a closure and one parameter group", function()
    local w = lucid.zeros(2, { requires_grad = true })
    H.raises(function() optim.LBFGS({ w }):step() end, "LBFGS: step: LBFGS needs a closure")
    H.raises(function() optim.LBFGS({ { params = { w } }, { params = { lucid.zeros(1, { requires_grad = true }) } } }) end,
      "LBFGS doesn't support per-parameter options")
    H.raises(function() optim.LBFGS({ w }, { line_search_fn = "wolfe" }) end, "only 'strong_wolfe' is supported")
  end)
end)
