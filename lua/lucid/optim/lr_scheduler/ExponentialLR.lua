-- ExponentialLR(optimizer, gamma): lr times gamma every epoch
-- (torch.optim.lr_scheduler.ExponentialLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local ExponentialLR = LRScheduler:extend("ExponentialLR", { "gamma" })

function ExponentialLR:init(a) self.gamma = self:_number(a, "gamma") end

function ExponentialLR:get_lr()
  if self.last_epoch == 0 then return self:_group_lrs() end
  return self:_group_lrs(function(lr) return lr * self.gamma end)
end

function ExponentialLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * self.gamma ^ self.last_epoch end
  return out
end

return ExponentialLR
