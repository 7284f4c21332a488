-- LambdaLR(optimizer, lr_lambda): lr = initial_lr * lr_lambda(last_epoch),
-- lr_lambda a function (or an array of them, one per group) of the epoch
-- count 0, 1, 2, ... (torch.optim.lr_scheduler.LambdaLR).
local LRScheduler = require("lucid.optim.lr_scheduler.LRScheduler")

local LambdaLR = LRScheduler:extend("LambdaLR", { "lr_lambda" })

-- Shared with MultiplicativeLR: one function per group.
function LambdaLR.lambdas(self, f)
  local n = #self.optimizer.param_groups
  if type(f) == "function" then
    local out = {}
    for i = 1, n do out[i] = f end
    return out
  end
  if type(f) ~= "table" then self:_error("lr_lambda must be a function or an array of functions, got %s", type(f)) end
  if #f ~= n then self:_error("Expected %d lr_lambdas, but got %d", n, #f) end
  for i, g in ipairs(f) do
    if type(g) ~= "function" then self:_error("lr_lambda[%d] must be a function, got %s", i, type(g)) end
  end
  return { table.unpack(f) }
end

function LambdaLR:init(a) self.lr_lambdas = LambdaLR.lambdas(self, a.lr_lambda) end

function LambdaLR:get_lr()
  local out = {}
  for i, base in ipairs(self.base_lrs) do out[i] = base * self.lr_lambdas[i](self.last_epoch) end
  return out
end

return LambdaLR
