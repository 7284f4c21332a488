-- ConstantLR(optimizer, {factor = 1/3, total_iters = 5}): lr times factor
-- until epoch total_iters, then the initial lr
-- (torch.optim.lr_scheduler.ConstantLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local ConstantLR = LRScheduler:extend("ConstantLR", { "factor", "total_iters" },
  { factor = 1.0 / 3, total_iters = 5 })

function ConstantLR:init(a)
  self.factor = self:_number(a, "factor")
  if self.factor > 1.0 or self.factor < 0 then
    self:_error("Constant multiplicative factor expected to be between 0 and 1.")
  end
  self.total_iters = self:_integer(a, "total_iters", 0)
end

function ConstantLR:get_lr()
  if self.last_epoch == 0 then return self:_group_lrs(function(lr) return lr * self.factor end) end
  if self.last_epoch ~= self.total_iters then return self:_group_lrs() end
  return self:_group_lrs(function(lr) return lr * (1.0 / self.factor) end)
end

function ConstantLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    out[i] = base * (self.factor + (self.last_epoch >= self.total_iters and 1 or 0) * (1 - self.factor))
  end
  return out
end

return ConstantLR
