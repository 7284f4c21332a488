-- OneCycleLR(optimizer, max_lr, {total_steps =, epochs =, steps_per_epoch =,
-- pct_start = 0.3, anneal_strategy = "cos", cycle_momentum = true,
-- base_momentum = 0.85, max_momentum = 0.95, div_factor = 25.0,
-- final_div_factor = 1e4, three_phase = false}): the 1cycle policy
-- (torch.optim.lr_scheduler.OneCycleLR): lr rises from max_lr / div_factor
-- to max_lr over pct_start of the steps, then anneals to
-- initial_lr / final_div_factor; momentum (or Adam's beta1) moves the
-- other way. Step it after every batch, total_steps times.
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local OneCycleLR = LRScheduler:extend("OneCycleLR", { "max_lr", "total_steps", "epochs", "steps_per_epoch",
  "pct_start", "anneal_strategy", "cycle_momentum", "base_momentum", "max_momentum", "div_factor",
  "final_div_factor", "three_phase" },
  { pct_start = 0.3, anneal_strategy = "cos", cycle_momentum = true, base_momentum = 0.85,
    max_momentum = 0.95, div_factor = 25., final_div_factor = 1e4, three_phase = false })

local ANNEAL = {
  cos = function(start, stop, pct) return stop + (start - stop) / 2.0 * (math.cos(math.pi * pct) + 1) end,
  linear = function(start, stop, pct) return (stop - start) * pct + start end,
}

local function positive(self, a, key)
  if math.type(a[key]) ~= "integer" or a[key] <= 0 then
    self:_error("Expected positive integer %s, but got %s", key, tostring(a[key]))
  end
  return a[key]
end

function OneCycleLR:init(a)
  local opt = self.optimizer
  if a.total_steps ~= nil then
    self.total_steps = positive(self, a, "total_steps")
  elseif a.epochs ~= nil or a.steps_per_epoch ~= nil then
    self.total_steps = positive(self, a, "epochs") * positive(self, a, "steps_per_epoch")
  else
    self:_error("You must define either total_steps OR (epochs AND steps_per_epoch)")
  end
  local pct = a.pct_start
  if type(pct) ~= "number" or pct < 0 or pct > 1 then
    self:_error("Expected float between 0 and 1 pct_start, but got %s", tostring(pct))
  end
  local n = self.total_steps
  if a.three_phase then
    self._schedule_phases = {
      { end_step = pct * n - 1, start_lr = "initial_lr", end_lr = "max_lr", start_momentum = "max_momentum", end_momentum = "base_momentum" },
      { end_step = 2 * pct * n - 2, start_lr = "max_lr", end_lr = "initial_lr", start_momentum = "base_momentum", end_momentum = "max_momentum" },
      { end_step = n - 1, start_lr = "initial_lr", end_lr = "min_lr", start_momentum = "max_momentum", end_momentum = "max_momentum" },
    }
  else
    self._schedule_phases = {
      { end_step = pct * n - 1, start_lr = "initial_lr", end_lr = "max_lr", start_momentum = "max_momentum", end_momentum = "base_momentum" },
      { end_step = n - 1, start_lr = "max_lr", end_lr = "min_lr", start_momentum = "base_momentum", end_momentum = "max_momentum" },
    }
  end
  if not ANNEAL[a.anneal_strategy] then
    self:_error("anneal_strategy must by one of 'cos' or 'linear', instead got %s", tostring(a.anneal_strategy))
  end
  self.anneal_strategy = a.anneal_strategy
  local first = (a.last_epoch or -1) == -1
  local max_lrs = self:_per_group("max_lr", a.max_lr)
  if first then
    for i, group in ipairs(opt.param_groups) do
      group.initial_lr = max_lrs[i] / a.div_factor
      group.max_lr = max_lrs[i]
      group.min_lr = group.initial_lr / a.final_div_factor
    end
  end
  self.cycle_momentum = a.cycle_momentum
  if self.cycle_momentum then
    local d = opt.defaults or {}
    if d.momentum == nil and d.betas == nil then
      self:_error("optimizer must support momentum with `cycle_momentum` option enabled")
    end
    self.use_beta1 = d.betas ~= nil
    local max_m = self:_per_group("max_momentum", a.max_momentum)
    local base_m = self:_per_group("base_momentum", a.base_momentum)
    if first then
      for i, group in ipairs(opt.param_groups) do
        self:_set_momentum(group, max_m[i])
        group.max_momentum = max_m[i]
        group.base_momentum = base_m[i]
      end
    end
  end
end

function OneCycleLR:_set_momentum(group, m)
  if self.use_beta1 then group.betas = { m, group.betas[2] } else group.momentum = m end
end

function OneCycleLR:get_lr()
  local step = self.last_epoch
  if step > self.total_steps then
    self:_error("Tried to step %d times. The specified number of total steps is %d", step + 1, self.total_steps)
  end
  local anneal, phases, lrs = ANNEAL[self.anneal_strategy], self._schedule_phases, {}
  for gi, group in ipairs(self.optimizer.param_groups) do
    local start_step, lr, momentum = 0, nil, nil
    for i, phase in ipairs(phases) do
      if step <= phase.end_step or i == #phases then
        local pct = (step - start_step) / (phase.end_step - start_step)
        lr = anneal(group[phase.start_lr], group[phase.end_lr], pct)
        if self.cycle_momentum then
          momentum = anneal(group[phase.start_momentum], group[phase.end_momentum], pct)
        end
        break
      end
      start_step = phase.end_step
    end
    lrs[gi] = lr
    if self.cycle_momentum then self:_set_momentum(group, momentum) end
  end
  return lrs
end

return OneCycleLR
