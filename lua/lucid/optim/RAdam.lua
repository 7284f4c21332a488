-- lucid.optim.RAdam (rectified Adam, Liu et al.), exactly as
-- torch.optim.RAdam (PyTorch 1.13):
--
--   g = grad + weight_decay * p
--   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
--   rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
--   rho_t > 5: p = p - m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t
--              (r_t the variance rectification term)
--   else:      p = p - m / (1 - beta1^t) * lr
--
-- RAdam(params, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0}).
-- State: step, exp_avg, exp_avg_sq.
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")
local Adam = require("lucid.optim.Adam")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "exp_avg", "exp_avg_sq" })
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.radam_step, { param = p, grad = g, exp_avg = st.exp_avg,
      exp_avg_sq = st.exp_avg_sq, step = st.step, lr = group.lr, beta1 = group.betas[1],
      beta2 = group.betas[2], weight_decay = group.weight_decay, eps = group.eps })
  end
end

return Optimizer:extend("RAdam", {
  order = { "lr", "betas", "eps", "weight_decay" },
  defaults = { lr = 1e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0 },
  types = { lr = "number", betas = "betas", eps = "number", weight_decay = "number" },
  check = Adam._adam.check,
  update = update,
})
