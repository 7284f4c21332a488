-- lucid.optim.AdamW: Adam with decoupled weight decay (Loshchilov and
-- Hutter), exactly as torch.optim.AdamW (PyTorch 1.13): each step first
-- scales p by (1 - lr * weight_decay), then takes Adam's step without L2
-- decay of the gradient.
--
-- AdamW(params, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8,
-- weight_decay = 1e-2, amsgrad = false, maximize = false}), or positionally
-- AdamW(params, lr, betas, eps, weight_decay, amsgrad). State as Adam's.
local Optimizer = require("lucid.optim.Optimizer")
local Adam = require("lucid.optim.Adam")

local adam = Adam._adam

return Optimizer:extend("AdamW", {
  order = adam.order,
  defaults = {
    lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 1e-2, amsgrad = false,
    maximize = false,
  },
  types = adam.types,
  check = adam.check,
  update = function(self, group) return adam.update(self, group, true) end,
})
