-- PolynomialLR(optimizer, {total_iters = 5, power = 1.0}): lr =
-- initial_lr * (1 - t / total_iters)^power until total_iters, then 0
-- (torch.optim.lr_scheduler.PolynomialLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local PolynomialLR = LRScheduler:extend("PolynomialLR", { "total_iters", "power" },
  { total_iters = 5, power = 1.0 })

function PolynomialLR:init(a)
  self.total_iters = self:_integer(a, "total_iters", 1)
  self.power = self:_number(a, "power")
end

function PolynomialLR:get_lr()
  local t, n = self.last_epoch, self.total_iters
  if t == 0 or t > n then return self:_group_lrs() end
  local decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ^ self.power
  return self:_group_lrs(function(lr) return lr * decay end)
end

function PolynomialLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    out[i] = base * (1.0 - math.min(self.total_iters, self.last_epoch) / self.total_iters) ^ self.power
  end
  return out
end

return PolynomialLR
