-- nn.BCEWithLogitsLoss([weight] [, {reduction = 'mean', pos_weight =}]):
-- sigmoid and binary cross entropy in one numerically stable expression,
-- max(x, 0) - x y + log(1 + exp(-|x|)). weight rescales each element
-- (broadcast); pos_weight (one per class, last dim) weighs positive targets.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local BCEWithLogitsLoss = Module:extend("BCEWithLogitsLoss", {
  { "weight", "any", optional = true },
  { "reduction", "string", default = "mean", choices = { "none", "mean", "sum" } },
  { "pos_weight", "any", optional = true },
})

function BCEWithLogitsLoss:init(a)
  for _, name in ipairs({ "weight", "pos_weight" }) do
    if a[name] ~= nil and not lucid.is_tensor(a[name]) then
      raise(string.format("BCEWithLogitsLoss: %s must be a tensor, got %s", name, type(a[name])))
    end
  end
  self:register_buffer("weight", a.weight)
  self:register_buffer("pos_weight", a.pos_weight)
  self.reduction = a.reduction
end

function BCEWithLogitsLoss:forward(input, target)
  return F._bce_with_logits("BCEWithLogitsLoss", {
    input = input, target = target, weight = self.weight, reduction = self.reduction,
    pos_weight = self.pos_weight,
  })
end

return BCEWithLogitsLoss
