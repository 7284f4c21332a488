-- MultiStepLR(optimizer, milestones, {gamma = 0.1}): lr times gamma at each
-- milestone epoch (a milestone listed twice applies twice)
-- (torch.optim.lr_scheduler.MultiStepLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local MultiStepLR = LRScheduler:extend("MultiStepLR", { "milestones", "gamma" }, { gamma = 0.1 })

function MultiStepLR:init(a)
  if type(a.milestones) ~= "table" then
    self:_error("milestones must be an array of integers, got %s", type(a.milestones))
  end
  self.milestones = {} -- epoch -> count
  for i, m in ipairs(a.milestones) do
    if math.type(m) ~= "integer" then self:_error("milestones[%d] must be an integer, got %s", i, tostring(m)) end
    self.milestones[m] = (self.milestones[m] or 0) + 1
  end
  self.gamma = self:_number(a, "gamma")
end

function MultiStepLR:get_lr()
  local k = self.milestones[self.last_epoch]
  if k == nil then return self:_group_lrs() end
  return self:_group_lrs(function(lr) return lr * self.gamma ^ k end)
end

function MultiStepLR:_closed_form_lr()
  local passed = 0
  for m, k in pairs(self.milestones) do
    if m <= self.last_epoch then passed = passed + k end
  end
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * self.gamma ^ passed end
  return out
end

-- state_dict keys must be strings or dense arrays to save: store milestones as pairs
function MultiStepLR:state_dict()
  local sd = LRScheduler.state_dict(self)
  local list = {}
  for m, k in pairs(self.milestones) do list[#list + 1] = { m, k } end
  table.sort(list, function(x, y) return x[1] < y[1] end)
  sd.milestones = list
  return sd
end

function MultiStepLR:load_state_dict(sd)
  LRScheduler.load_state_dict(self, sd)
  local map = {}
  for _, mk in ipairs(sd.milestones or {}) do map[mk[1]] = mk[2] end
  self.milestones = map
end

return MultiStepLR
