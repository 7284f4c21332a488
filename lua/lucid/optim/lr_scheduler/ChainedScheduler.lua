-- ChainedScheduler(schedulers): every step steps each scheduler in turn, so
-- their factors multiply (torch.optim.lr_scheduler.ChainedScheduler).
local args = require("lucid.args")
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")
local SequentialLR = require("lucid.optim.lr_scheduler.SequentialLR")

local ChainedScheduler = LRScheduler:extend("ChainedScheduler")

getmetatable(ChainedScheduler).__call = function(cls, ...)
  local a = args.parse("ChainedScheduler", { "schedulers" }, 2, ...)
  local self = setmetatable({}, cls)
  self.optimizer = SequentialLR.check_schedulers(self, a.schedulers)
  self._schedulers = { table.unpack(a.schedulers) }
  self._last_lr = self:_group_lrs()
  return self
end

function ChainedScheduler:step()
  for _, s in ipairs(self._schedulers) do s:step() end
  self._last_lr = self:_group_lrs()
end

ChainedScheduler.state_dict = SequentialLR.state_dict
ChainedScheduler.load_state_dict = SequentialLR.load_state_dict

function ChainedScheduler:__tostring() return string.format("ChainedScheduler(%d schedulers)", #self._schedulers) end

return ChainedScheduler
