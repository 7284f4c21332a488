-- LinearLR(optimizer, {start_factor = 1/3, end_factor = 1.0, total_iters = 5}):
-- lr goes linearly from initial_lr * start_factor to initial_lr * end_factor
-- over total_iters epochs (torch.optim.lr_scheduler.LinearLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local LinearLR = LRScheduler:extend("LinearLR", { "start_factor", "end_factor", "total_iters" },
  { start_factor = 1.0 / 3, end_factor = 1.0, total_iters = 5 })

function LinearLR:init(a)
  self.start_factor = self:_number(a, "start_factor")
  self.end_factor = self:_number(a, "end_factor")
  if self.start_factor > 1.0 or self.start_factor < 0 then
    self:_error("Starting multiplicative factor expected to be between 0 and 1.")
  end
  if self.end_factor > 1.0 or self.end_factor < 0 then
    self:_error("Ending multiplicative factor expected to be between 0 and 1.")
  end
  self.total_iters = self:_integer(a, "total_iters", 1)
end

function LinearLR:get_lr()
  local s, e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
  if t == 0 then return self:_group_lrs(function(lr) return lr * s end) end
  if t > n then return self:_group_lrs() end
  return self:_group_lrs(function(lr) return lr * (1. + (e - s) / (n * s + (t - 1) * (e - s))) end)
end

function LinearLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    out[i] = base * (self.start_factor + (self.end_factor - self.start_factor)
      * math.min(self.total_iters, self.last_epoch) / self.total_iters)
  end
  return out
end

return LinearLR
