-- CyclicLR(optimizer, base_lr, max_lr, {step_size_up = 2000, step_size_down
-- = step_size_up, mode = "triangular", gamma = 1.0, scale_fn = nil,
-- scale_mode = "cycle", cycle_momentum = true, base_momentum = 0.8,
-- max_momentum = 0.9}): lr cycles between base_lr and max_lr, momentum
-- the other way (torch.optim.lr_scheduler.CyclicLR). Step it after every
-- batch. mode "triangular2" halves the amplitude every cycle, "exp_range"
-- scales it by gamma^iterations; scale_fn(x) replaces the mode.
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local CyclicLR = LRScheduler:extend("CyclicLR", { "base_lr", "max_lr", "step_size_up", "step_size_down",
  "mode", "gamma", "scale_fn", "scale_mode", "cycle_momentum", "base_momentum", "max_momentum" },
  { step_size_up = 2000, mode = "triangular", gamma = 1.0, scale_mode = "cycle", cycle_momentum = true,
    base_momentum = 0.8, max_momentum = 0.9 })

local MODES = {
  triangular = { "cycle", function() return 1. end },
  triangular2 = { "cycle", function(_, x) return 1 / (2. ^ (x - 1)) end },
  exp_range = { "iterations", function(self, x) return self.gamma ^ x end },
}

function CyclicLR:init(a)
  local opt, first = self.optimizer, (a.last_epoch or -1) == -1
  local base_lrs = self:_per_group("base_lr", a.base_lr)
  if first then
    for i, group in ipairs(opt.param_groups) do group.lr = base_lrs[i] end
  end
  self.max_lrs = self:_per_group("max_lr", a.max_lr)
  local up = self:_number(a, "step_size_up") + 0.0
  local down = a.step_size_down ~= nil and self:_number(a, "step_size_down") + 0.0 or up
  self.total_size = up + down
  self.step_ratio = up / self.total_size
  self.gamma = self:_number(a, "gamma")
  if a.scale_fn ~= nil then
    if type(a.scale_fn) ~= "function" then self:_error("scale_fn must be a function, got %s", type(a.scale_fn)) end
    self._scale = a.scale_fn
    if a.scale_mode ~= "cycle" and a.scale_mode ~= "iterations" then
      self:_error("scale_mode must be 'cycle' or 'iterations', got %s", tostring(a.scale_mode))
    end
    self.scale_mode = a.scale_mode
  else
    local m = MODES[a.mode]
    if not m then self:_error("mode is invalid and scale_fn is None (mode = %s)", tostring(a.mode)) end
    self.mode, self.scale_mode = a.mode, m[1]
  end
  self.cycle_momentum = a.cycle_momentum
  if self.cycle_momentum then
    if opt.defaults == nil or opt.defaults.momentum == nil then
      self:_error("optimizer must support momentum with `cycle_momentum` option enabled")
    end
    local base_m = self:_per_group("base_momentum", a.base_momentum)
    if first then
      for i, group in ipairs(opt.param_groups) do group.momentum = base_m[i] end
    end
    self.base_momentums = {}
    for i, group in ipairs(opt.param_groups) do self.base_momentums[i] = group.momentum end
    self.max_momentums = self:_per_group("max_momentum", a.max_momentum)
  end
  self._base_lrs_after = base_lrs
end

-- PyTorch sets base_lrs after the first step; the first step reads the
-- groups' initial_lr, which the lrs set above became.
function CyclicLR:_start(last_epoch)
  LRScheduler._start(self, last_epoch)
  self.base_lrs = self._base_lrs_after
  self._base_lrs_after = nil
end

function CyclicLR:scale_fn(x)
  if self._scale then return self._scale(x) end
  return MODES[self.mode][2](self, x)
end

function CyclicLR:get_lr()
  local cycle = math.floor(1 + self.last_epoch / self.total_size)
  local x = 1. + self.last_epoch / self.total_size - cycle
  local scale_factor
  if x <= self.step_ratio then scale_factor = x / self.step_ratio
  else scale_factor = (x - 1) / (self.step_ratio - 1) end
  local at = self.scale_mode == "cycle" and cycle or self.last_epoch
  local lrs = {}
  for i, base in ipairs(self.base_lrs) do
    lrs[i] = base + (self.max_lrs[i] - base) * scale_factor * self:scale_fn(at)
  end
  if self.cycle_momentum then
    for i, group in ipairs(self.optimizer.param_groups) do
      local base_height = (self.max_momentums[i] - self.base_momentums[i]) * scale_factor
      group.momentum = self.max_momentums[i] - base_height * self:scale_fn(at)
    end
  end
  return lrs
end

return CyclicLR
