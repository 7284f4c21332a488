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

local function check(self, g, where)
  self:_check_range(g, where, "lr", "learning rate", 0)
  self:_check_range(g, where, "rho", "rho value", 0, 1)
  self:_check_range(g, where, "eps", "epsilon value", 0)
  self:_check_range(g, where, "weight_decay", "weight_decay value", 0)
end

local function update(self, group)
  for _, p in ipairs(group.params) do
    local g = self:_grad_of(p)
    if g ~= nil then
      local st = self:_state_of(p, { "square_avg", "acc_delta" })
      st.step = st.step + 1
      Optimizer._on_contiguous(p, lucid._adadelta_step, g, st.square_avg, st.acc_delta, group.lr, group.rho,
        group.eps, group.weight_decay, group.maximize)
    end
  end
end

return Optimizer:extend("Adadelta", {
  order = { "lr", "rho", "eps", "weight_decay" },
  defaults = { lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0, maximize = false },
  types = { lr = "number", rho = "number", eps = "number", weight_decay = "number", maximize = "boolean" },
  check = check,
  update = update,
})
