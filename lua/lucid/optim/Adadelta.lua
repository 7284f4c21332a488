-- lucid.optim.Adadelta, exactly as torch.optim.Adadelta (PyTorch 1.13):
--
--   g = grad (or -grad to maximize) + weight_decay * p
--   v = rho * v + (1 - rho) * g^2
--   delta = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho * u + (1 - rho) * delta^2
--   p = p - lr * delta
--
-- Adadelta(params, {lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0, maximize = false}).
-- State: step, square_avg (v), acc_delta (u).
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "square_avg", "acc_delta" })
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.adadelta_step, { param = p, grad = g, square_avg = st.square_avg,
      acc_delta = st.acc_delta, lr = group.lr, rho = group.rho, eps = group.eps,
      weight_decay = group.weight_decay, maximize = group.maximize })
  end
end

return Optimizer:extend("Adadelta", {
  order = { "lr", "rho", "eps", "weight_decay" },
  defaults = { lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0, maximize = false },
  types = { lr = "number", rho = "number", eps = "number", weight_decay = "number", maximize = "boolean" },
  ranges = { { "lr", "learning rate", 0 }, { "rho", "rho value", 0, 1 }, { "eps", "epsilon value", 0 },
    { "weight_decay", "weight_decay value", 0 } },
  update = update,
})
