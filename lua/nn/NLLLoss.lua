-- nn.NLLLoss([weight] [, {ignore_index = -100, reduction = 'mean'}]):
-- see nn.functional.nll_loss. Targets are int64 1-based class indices;
-- ignore_index is compared with them as given (1-based). The optional
-- per-class weight is registered as a buffer named "weight", as in PyTorch.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local NLLLoss = Module:extend("NLLLoss", {
  { "weight", "any", optional = true },
  { "ignore_index", "integer", default = -100 },
  { "reduction", "string", default = "mean", choices = { "none", "mean", "sum" } },

})

function NLLLoss:init(a)
  if a.weight ~= nil and not lucid.is_tensor(a.weight) then
    raise(string.format("NLLLoss: weight must be a tensor, got %s", type(a.weight)))
  end
  if a.weight ~= nil and a.weight:dim() ~= 1 then
    raise(string.format("NLLLoss: weight must be 1-dimensional (one per class), got shape %s",
      tostring(a.weight.shape)))
  end
  self:register_buffer("weight", a.weight)
  self.ignore_index, self.reduction = a.ignore_index, a.reduction
end

function NLLLoss:forward(input, target)
  return F._class_loss("nll_loss", "NLLLoss", {
    input = input, target = target, weight = self.weight, ignore_index = self.ignore_index,
    reduction = self.reduction,
  })
end

return NLLLoss
