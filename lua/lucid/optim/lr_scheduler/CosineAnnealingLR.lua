-- CosineAnnealingLR(optimizer, T_max, {eta_min = 0}): lr follows half a
-- cosine from initial_lr down to eta_min over T_max epochs, then back up
-- (torch.optim.lr_scheduler.CosineAnnealingLR, its recursive form).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local CosineAnnealingLR = LRScheduler:extend("CosineAnnealingLR", { "T_max", "eta_min" }, { eta_min = 0 })

function CosineAnnealingLR:init(a)
  self.T_max = self:_integer(a, "T_max", 1)
  self.eta_min = self:_number(a, "eta_min")
end

function CosineAnnealingLR:get_lr()
  local t, T, eta = self.last_epoch, self.T_max, self.eta_min
  if t == 0 then return self:_group_lrs() end
  if self._step_count == 1 and t > 0 then
    return self:_group_lrs(function(_, i)
      return eta + (self.base_lrs[i] - eta) * (1 + math.cos(t * math.pi / T)) / 2
    end)
  end
  if (t - 1 - T) % (2 * T) == 0 then
    return self:_group_lrs(function(lr, i)
      return lr + (self.base_lrs[i] - eta) * (1 - math.cos(math.pi / T)) / 2
    end)
  end
  return self:_group_lrs(function(lr)
    return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta) + eta
  end)
end

function CosineAnnealingLR:_closed_form_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    out[i] = self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
  end
  return out
end

return CosineAnnealingLR
