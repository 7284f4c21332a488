-- ReduceLROnPlateau(optimizer, {mode = "min", factor = 0.1, patience = 10,
-- threshold = 1e-4, threshold_mode = "rel", cooldown = 0, min_lr = 0,
-- eps = 1e-8}): lr times factor once the metric passed to step(metric) has
-- not improved for patience steps (torch.optim.lr_scheduler.ReduceLROnPlateau).
-- The metric is a number or a one-element tensor.
local lucid = require("lucid")
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local ReduceLROnPlateau = LRScheduler:extend("ReduceLROnPlateau", { "mode", "factor", "patience",
  "threshold", "threshold_mode", "cooldown", "min_lr", "eps" },
  { mode = "min", factor = 0.1, patience = 10, threshold = 1e-4, threshold_mode = "rel", cooldown = 0,
    min_lr = 0, eps = 1e-8 })

function ReduceLROnPlateau:_attach(a)
  self.optimizer = LRScheduler.check_optimizer(self.__name, a.optimizer)
  self.factor = self:_number(a, "factor")
  if self.factor >= 1.0 then self:_error("Factor should be < 1.0.") end
  self.min_lrs = self:_per_group("min_lrs", a.min_lr)
  self.patience = self:_integer(a, "patience", 0)
  self.cooldown = self:_integer(a, "cooldown", 0)
  self.verbose = a.verbose or false
  self.threshold = self:_number(a, "threshold")
  self.eps = self:_number(a, "eps")
  if a.mode ~= "min" and a.mode ~= "max" then self:_error("mode %s is unknown!", tostring(a.mode)) end
  if a.threshold_mode ~= "rel" and a.threshold_mode ~= "abs" then
    self:_error("threshold mode %s is unknown!", tostring(a.threshold_mode))
  end
  self.mode, self.threshold_mode = a.mode, a.threshold_mode
  self.last_epoch = 0
  self:_reset()
  self._last_lr = self:_group_lrs()
end

function ReduceLROnPlateau:_reset()
  self.best = self.mode == "min" and math.huge or -math.huge
  self.cooldown_counter = 0
  self.num_bad_epochs = 0
end

function ReduceLROnPlateau:is_better(a, best)
  if type(a) ~= "number" or type(best) ~= "number" then
    self:_error("is_better(a, best) takes two numbers, got %s and %s", type(a), type(best))
  end
  if self.mode == "min" and self.threshold_mode == "rel" then return a < best * (1. - self.threshold) end
  if self.mode == "min" then return a < best - self.threshold end
  if self.threshold_mode == "rel" then return a > best * (self.threshold + 1.) end
  return a > best + self.threshold
end

function ReduceLROnPlateau:step(metrics, epoch)
  local current = metrics
  if lucid.is_tensor(current) then current = current:item() end
  if type(current) ~= "number" then
    self:_error("step: metrics must be a number or a one-element tensor, got %s", type(metrics))
  end
  self.last_epoch = epoch or self.last_epoch + 1
  if self:is_better(current, self.best) then
    self.best = current
    self.num_bad_epochs = 0
  else
    self.num_bad_epochs = self.num_bad_epochs + 1
  end
  if self.cooldown_counter > 0 then
    self.cooldown_counter = self.cooldown_counter - 1
    self.num_bad_epochs = 0
  end
  if self.num_bad_epochs > self.patience then
    for i, group in ipairs(self.optimizer.param_groups) do
      local old = group.lr
      local new = math.max(old * self.factor, self.min_lrs[i])
      if old - new > self.eps then
        group.lr = new
        if self.verbose then
          print(string.format("Epoch %05d: reducing learning rate of group %d to %.4e.", self.last_epoch, i - 1, new))
        end
      end
    end
    self.cooldown_counter = self.cooldown
    self.num_bad_epochs = 0
  end
  self._last_lr = self:_group_lrs()
end

function ReduceLROnPlateau:in_cooldown() return self.cooldown_counter > 0 end

return ReduceLROnPlateau
