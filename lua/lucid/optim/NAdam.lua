-- lucid.optim.NAdam (Adam with Nesterov momentum, Dozat), exactly as
-- torch.optim.NAdam (PyTorch 1.13):
--
--   g = grad + weight_decay * p
--   mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)); mu_product = prod of mu_1..mu_t
--   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
--   denom = sqrt(v / (1 - beta2^t)) + eps
--   p = p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
--         - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom
--
-- NAdam(params, {lr = 2e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0,
-- momentum_decay = 4e-3}). State: step, mu_product (a number, rounded to
-- float32 as PyTorch's tensor is), exp_avg, exp_avg_sq.
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")
local Adam = require("lucid.optim.Adam")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "exp_avg", "exp_avg_sq" })
    if st.mu_product == nil then st.mu_product = 1.0 end
    st.step = st.step + 1
    st.mu_product = Optimizer._on_contiguous(lucid._C.nadam_step, { param = p, grad = g,
      exp_avg = st.exp_avg, exp_avg_sq = st.exp_avg_sq, step = st.step, mu_product = st.mu_product,
      lr = group.lr, beta1 = group.betas[1], beta2 = group.betas[2], weight_decay = group.weight_decay,
      momentum_decay = group.momentum_decay, eps = group.eps })
  end
end

return Optimizer:extend("NAdam", {
  order = { "lr", "betas", "eps", "weight_decay", "momentum_decay" },
  defaults = { lr = 2e-3, betas = { 0.9, 0.999 }, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3 },
  types = { lr = "number", betas = "betas", eps = "number", weight_decay = "number", momentum_decay = "number" },
  ranges = { { "momentum_decay", "momentum_decay value", 0 } },
  check = Adam._adam.check,
  update = update,
})
