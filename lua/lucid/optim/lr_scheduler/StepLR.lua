-- StepLR(optimizer, step_size, {gamma = 0.1}): lr times gamma every
-- step_size epochs (torch.optim.lr_scheduler.StepLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local StepLR = LRScheduler:extend("StepLR", { "step_size", "gamma" }, { gamma = 0.1 })

function StepLR:init(a)
  self.step_size = self:_integer(a, "step_size", 1)
  self.gamma = self:_number(a, "gamma")
end

function StepLR:get_lr()
  if self.last_epoch == 0 or self.last_epoch % self.step_size ~= 0 then return self:_group_lrs() end
  return self:_group_lrs(function(lr) return lr * self.gamma end)
end

function StepLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * self.gamma ^ (self.last_epoch // self.step_size) end
  return out
end

return StepLR
