-- lucid.optim.Adamax (Adam with the infinity norm), exactly as
-- torch.optim.Adamax (PyTorch 1.13):
--
--   g = grad (or -grad to maximize) + weight_decay * p
--   m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps)
--   p = p - lr / (1 - beta1^t) * m / u
--
-- Adamax(params, {lr = 2e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0,
-- maximize = false}). State: step, exp_avg, exp_inf.
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")
local Adam = require("lucid.optim.Adam")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "exp_avg", "exp_inf" })
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.adamax_step, { param = p, grad = g, exp_avg = st.exp_avg,
      exp_inf = st.exp_inf, step = st.step, lr = group.lr, beta1 = group.betas[1], beta2 = group.betas[2],
      eps = group.eps, weight_decay = group.weight_decay, maximize = group.maximize })
  end
end

return Optimizer:extend("Adamax", {
  order = { "lr", "betas", "eps", "weight_decay" },
  defaults = { lr = 2e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0, maximize = false },
  types = { lr = "number", betas = "betas", eps = "number", weight_decay = "number", maximize = "boolean" },
  check = Adam._adam.check,
  update = update,
})
