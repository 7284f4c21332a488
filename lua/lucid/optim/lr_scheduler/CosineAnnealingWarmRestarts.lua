-- CosineAnnealingWarmRestarts(optimizer, T_0, {T_mult = 1, eta_min = 0}):
-- cosine annealing from initial_lr to eta_min restarted after T_0 epochs,
-- each period T_mult times the last (SGDR;
-- torch.optim.lr_scheduler.CosineAnnealingWarmRestarts). step(epoch) may be
-- given a fractional epoch.
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local CAWR = LRScheduler:extend("CosineAnnealingWarmRestarts", { "T_0", "T_mult", "eta_min" },
  { T_mult = 1, eta_min = 0 })

function CAWR:init(a)
  if math.type(a.T_0) ~= "integer" or a.T_0 <= 0 then
    self:_error("Expected positive integer T_0, but got %s", tostring(a.T_0))
  end
  if math.type(a.T_mult) ~= "integer" or a.T_mult < 1 then
    self:_error("Expected integer T_mult >= 1, but got %s", tostring(a.T_mult))
  end
  self.T_0, self.T_i, self.T_mult = a.T_0, a.T_0, a.T_mult
  self.eta_min = self:_number(a, "eta_min")
  self.T_cur = a.last_epoch or -1
end

function CAWR:get_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do
    out[i] = self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
  end
  return out
end

function CAWR:step(epoch)
  if epoch == nil and self.last_epoch < 0 then epoch = 0 end
  if epoch == nil then
    epoch = self.last_epoch + 1
    self.T_cur = self.T_cur + 1
    if self.T_cur >= self.T_i then
      self.T_cur = self.T_cur - self.T_i
      self.T_i = self.T_i * self.T_mult
    end
  else
    if type(epoch) ~= "number" or epoch < 0 then
      self:_error("Expected non-negative epoch, but got %s", tostring(epoch))
    end
    if epoch >= self.T_0 then
      if self.T_mult == 1 then
        self.T_cur = epoch % self.T_0
      else
        local n = math.floor(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
        self.T_cur = epoch - self.T_0 * (self.T_mult ^ n - 1) / (self.T_mult - 1)
        self.T_i = self.T_0 * self.T_mult ^ n
      end
    else
      self.T_i = self.T_0
      self.T_cur = epoch
    end
  end
  self.last_epoch = math.floor(epoch)
  self._step_count = (self._step_count or 0) + 1
  self:_set_lrs(self:get_lr())
end

return CAWR
