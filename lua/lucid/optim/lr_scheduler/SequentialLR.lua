-- SequentialLR(optimizer, schedulers, milestones): schedulers[k + 1] takes
-- over at epoch milestones[k] (torch.optim.lr_scheduler.SequentialLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local SequentialLR = LRScheduler:extend("SequentialLR", { "schedulers", "milestones" })

-- Schedulers checked to be an array of schedulers of one optimizer.
function SequentialLR.check_schedulers(self, list, opt)
  if type(list) ~= "table" or #list == 0 then
    self:_error("schedulers must be a non-empty array of schedulers, got %s", type(list))
  end
  opt = opt or list[1].optimizer
  for i, s in ipairs(list) do
    if type(s) ~= "table" or type(s.step) ~= "function" then
      self:_error("schedulers[%d] must be a scheduler, got %s", i, type(s))
    end
    if s.optimizer ~= opt then
      self:_error("expects all schedulers to belong to the same optimizer, but got schedulers at index %d to be different", i)
    end
  end
  return opt
end

function SequentialLR:_attach(a)
  local opt = LRScheduler.check_optimizer(self.__name, a.optimizer)
  SequentialLR.check_schedulers(self, a.schedulers, opt)
  local ms = a.milestones
  if type(ms) ~= "table" or #ms ~= #a.schedulers - 1 then
    self:_error("Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers %d and the number of milestones to be equal to %s",
      #a.schedulers, type(ms) == "table" and tostring(#ms) or type(ms))
  end
  self._schedulers = a.schedulers
  self._milestones = LRScheduler._copy(ms)
  self.last_epoch = (a.last_epoch or -1) + 1
  self.optimizer = opt
  for _, group in ipairs(opt.param_groups) do group.lr = group.initial_lr end
  for _, s in ipairs(self._schedulers) do s.last_epoch = s.last_epoch - 1 end
  self._schedulers[1]:_initial_step()
  self._last_lr = self._schedulers[1]:get_last_lr()
end

function SequentialLR:step()
  self.last_epoch = self.last_epoch + 1
  local idx = 1 -- bisect_right: the number of milestones <= last_epoch, plus one
  for _, m in ipairs(self._milestones) do
    if m <= self.last_epoch then idx = idx + 1 end
  end
  local s = self._schedulers[idx]
  if idx > 1 and self._milestones[idx - 1] == self.last_epoch then s:step(0) else s:step() end
  self._last_lr = s:get_last_lr()
end

function SequentialLR:state_dict()
  local sd = LRScheduler.state_dict(self)
  sd._schedulers = {}
  for i, s in ipairs(self._schedulers) do sd._schedulers[i] = s:state_dict() end
  return sd
end

function SequentialLR:load_state_dict(sd)
  local inner = self:_check_state_dict(sd)._schedulers
  for k, v in pairs(sd) do
    if k ~= "_schedulers" then self[k] = LRScheduler._copy(v) end
  end
  for i, s in ipairs(inner or {}) do self._schedulers[i]:load_state_dict(s) end
end

return SequentialLR
