-- lucid.optim.lr_scheduler against PyTorch 1.13 (tests/fixtures/sched.lua, made by
-- tests/fixtures/gen/gen_sched.py): every group's lr (and cycled momentum) after each
-- of 100 steps, state_dict round trips, and errors.
local lucid = require("lucid")
local H = require("helpers")

local S = lucid.optim.lr_scheduler
local cases = H.load_fixture("sched")

-- The lambdas of gen_sched.py, by name.
local LAMBDAS = {
  decay95 = function(epoch) return 0.95 ^ epoch end,
  steps10 = function(epoch) return 1.0 / (1 + epoch // 10) end,
  mult99 = function() return 0.99 end,
}

local function options(args)
  local o = {}
  for k, v in pairs(args) do
    if k == "lr_lambda" then
      if type(v) == "table" then
        o[k] = {}
        for i, name in ipairs(v) do o[k][i] = LAMBDAS[name] end
      else
        o[k] = LAMBDAS[v]
      end
    else
      o[k] = v
    end
  end
  return o
end

local function setup(case)
  local ps = { lucid.zeros(2, { requires_grad = true }), lucid.zeros(3, { requires_grad = true }) }
  local groups = {}
  if #case.groups == 2 then
    groups[1] = { params = { ps[1] } }
    groups[2] = { params = { ps[2] } }
  else
    groups[1] = { params = ps }
  end
  for i, g in ipairs(case.groups) do
    for k, v in pairs(g) do groups[i][k] = v end
  end
  local opt = lucid.optim[case.optimizer](groups, case.options)
  local sched
  if case.inner then
    local inner = {}
    for i, spec in ipairs(case.inner) do inner[i] = S[spec.scheduler](opt, options(spec.args)) end
    if case.scheduler == "SequentialLR" then
      sched = S.SequentialLR(opt, inner, options(case.args))
    else
      sched = S.ChainedScheduler(inner)
    end
  else
    sched = S[case.scheduler](opt, options(case.args))
  end
  return ps, opt, sched
end

local function momenta(opt)
  local out = {}
  for i, g in ipairs(opt.param_groups) do out[i] = g.betas and g.betas[1] or g.momentum end
  return out
end

local function close(a, b) return math.abs(a - b) <= 1e-12 * math.max(1, math.abs(b)) end

local function check(case, opt, sched, step)
  for i, want in ipairs(case.lrs[step + 1]) do
    local got = opt.param_groups[i].lr
    assert(close(got, want), string.format("%s step %d group %d: lr %.17g, PyTorch %.17g", case.name, step, i, got, want))
    assert(close(sched:get_last_lr()[i], want), "get_last_lr")
  end
  if case.momenta then
    for i, want in ipairs(case.momenta[step + 1]) do
      local got = momenta(opt)[i]
      assert(close(got, want), string.format("%s step %d group %d: momentum %.17g, PyTorch %.17g", case.name, step, i, got, want))
    end
  end
end

local function advance(case, ps, opt, sched, step)
  for _, p in ipairs(ps) do p.grad = lucid.ones(p.shape) end
  opt:step()
  if case.metrics then sched:step(case.metrics[step]) else sched:step() end
end

describe("lucid.optim.lr_scheduler matches torch.optim.lr_scheduler (PyTorch 1.13)", function()
  for _, case in ipairs(cases) do
    it(case.name .. ": learning rates over 100 steps", function()
      local ps, opt, sched = setup(case)
      check(case, opt, sched, 0)
      for step = 1, #case.lrs - 1 do
        advance(case, ps, opt, sched, step)
        check(case, opt, sched, step)
      end
    end)

    it(case.name .. ": resumes from state_dict after 40 steps", function()
      local ps, opt, sched = setup(case)
      for step = 1, 40 do advance(case, ps, opt, sched, step) end
      local saved_opt, saved = opt:state_dict(), sched:state_dict()
      local ps2, opt2, sched2 = setup(case)
      opt2:load_state_dict(saved_opt)
      sched2:load_state_dict(saved)
      check(case, opt2, sched2, 40)
      for step = 41, 60 do
        advance(case, ps2, opt2, sched2, step)
        check(case, opt2, sched2, step)
      end
    end)
  end
end)

describe("lr_scheduler API", function()
  local function sgd() return lucid.optim.SGD({ lucid.zeros(1, { requires_grad = true }) }, { lr = 1, momentum = 0.9 }) end

  it("takes positional, trailing-options and all-options forms", function()
    local a = S.StepLR(sgd(), 2, 0.5)
    local b = S.StepLR(sgd(), 2, { gamma = 0.5 })
    local c = S.StepLR { optimizer = sgd(), step_size = 2, gamma = 0.5 }
    for _ = 1, 4 do a:step(); b:step(); c:step() end
    assert.are.same({ 0.25 }, a:get_last_lr())
    assert.are.same({ 0.25 }, b:get_last_lr())
    assert.are.same({ 0.25 }, c:get_last_lr())
  end)

  it("LambdaLR's lambda sees PyTorch's epoch counts 0, 1, 2, ...", function()
    local seen = {}
    local s = S.LambdaLR(sgd(), function(epoch) seen[#seen + 1] = epoch; return 1 end)
    s:step(); s:step()
    assert.are.same({ 0, 1, 2 }, seen)
  end)

  it("step(epoch) uses the closed form", function()
    local s = S.StepLR(sgd(), { step_size = 3, gamma = 0.1 })
    s:step(7)
    assert.is_true(close(s:get_last_lr()[1], 0.01))
  end)

  it("names the scheduler and the argument in errors", function()
    H.raises(function() S.StepLR(sgd(), { step_size = 0 }) end, "StepLR: step_size must be an integer >= 1, got 0")
    H.raises(function() S.StepLR(sgd(), { step_size = 2, gama = 0.5 }) end, "StepLR: unknown option 'gama'")
    H.raises(function() S.ExponentialLR({}, 0.9) end, "ExponentialLR: optimizer must be a lucid.optim optimizer")
    H.raises(function() S.ConstantLR(sgd(), { factor = 2 }) end, "Constant multiplicative factor expected to be between 0 and 1.")
    H.raises(function() S.OneCycleLR(sgd(), 0.1) end, "You must define either total_steps OR (epochs AND steps_per_epoch)")
    H.raises(function() S.CyclicLR(lucid.optim.Adam({ lucid.zeros(1, { requires_grad = true }) }), 0.1, 1) end,
      "optimizer must support momentum with `cycle_momentum` option enabled")
    H.raises(function() S.ReduceLROnPlateau(sgd(), { mode = "middle" }) end, "mode middle is unknown!")
    H.raises(function() S.ReduceLROnPlateau(sgd()):step("low") end, "step: metrics must be a number")
    local one = S.OneCycleLR(sgd(), 0.1, { total_steps = 2 })
    one:step(); one:step()
    H.raises(function() one:step() end, "Tried to step 4 times. The specified number of total steps is 2")
  end)
end)
