-- MultiplicativeLR(optimizer, lr_lambda): each step multiplies lr by
-- lr_lambda(last_epoch) (torch.optim.lr_scheduler.MultiplicativeLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")
local LambdaLR = require("lucid.optim.lr_scheduler.LambdaLR")

local MultiplicativeLR = LRScheduler:extend("MultiplicativeLR", { "lr_lambda" })

function MultiplicativeLR:init(a) self.lr_lambdas = LambdaLR.lambdas(self, a.lr_lambda) end

function MultiplicativeLR:get_lr()
  if self.last_epoch > 0 then
    return self:_group_lrs(function(lr, i) return lr * self.lr_lambdas[i](self.last_epoch) end)
  end
  return self:_group_lrs()
end

return MultiplicativeLR
