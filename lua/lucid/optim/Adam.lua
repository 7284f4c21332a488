-- lucid.optim.Adam: Adam (Kingma and Ba) with optional L2 weight decay,
-- AMSGrad and maximize, exactly as torch.optim.Adam (PyTorch 1.13):
--
--   g = grad (or -grad to maximize) + weight_decay * p
--   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
--   vmax = max(vmax, v) (amsgrad, used in place of v)
--   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
--
-- Adam(params, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0,
-- amsgrad = false, maximize = false}), or positionally Adam(params, lr, betas,
-- eps, weight_decay, amsgrad).
-- State per parameter: step (a number), exp_avg, exp_avg_sq, max_exp_avg_sq
-- (amsgrad).
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local fmt = Optimizer._fmt

local M = {}

-- Checks shared with AdamW.
function M.check(self, g, where)
  where = where or ""
  if not (g.lr >= 0) then self:_error("Invalid learning rate: %s%s", fmt(g.lr), where) end
  if not (g.eps >= 0) then self:_error("Invalid epsilon value: %s%s", fmt(g.eps), where) end
  for i = 1, 2 do
    local b = g.betas[i]
    if not (b >= 0 and b < 1) then
      self:_error("Invalid beta parameter at index %d: %s (expected 0 <= beta < 1)%s", i, fmt(b), where)
    end
  end
  if not (g.weight_decay >= 0) then
    self:_error("Invalid weight_decay value: %s%s", fmt(g.weight_decay), where)
  end
end

-- One Adam or AdamW (decoupled) step over a group.
function M.update(self, group, decoupled)
  local lr, beta1, beta2, eps = group.lr, group.betas[1], group.betas[2], group.eps
  local weight_decay, amsgrad, maximize = group.weight_decay, group.amsgrad, group.maximize
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "exp_avg", "exp_avg_sq" })
    if amsgrad and st.max_exp_avg_sq == nil then st.max_exp_avg_sq = Optimizer._zeros_like(p) end
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.adam_step, { param = p, grad = g, exp_avg = st.exp_avg,
      exp_avg_sq = st.exp_avg_sq, max_exp_avg_sq = amsgrad and st.max_exp_avg_sq or nil, step = st.step,
      lr = lr, beta1 = beta1, beta2 = beta2, eps = eps, weight_decay = weight_decay,
      decoupled = decoupled, amsgrad = amsgrad, maximize = maximize })
  end
end

M.order = { "lr", "betas", "eps", "weight_decay", "amsgrad" }
M.types = {
  lr = "number", betas = "betas", eps = "number", weight_decay = "number",
  amsgrad = "boolean", maximize = "boolean",
}

M.class = Optimizer:extend("Adam", {
  order = M.order,
  defaults = {
    lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0, amsgrad = false,
    maximize = false,
  },
  types = M.types,
  check = M.check,
  update = function(self, group) return M.update(self, group, false) end,
})
M.class._adam = M

return M.class
