-- lucid.optim.Adagrad, exactly as torch.optim.Adagrad (PyTorch 1.13):
--
--   g = grad (or -grad to maximize) + weight_decay * p
--   clr = lr / (1 + (step - 1) * lr_decay)
--   sum = sum + g^2;  p = p - clr * g / (sqrt(sum) + eps)
--
-- Adagrad(params, {lr = 1e-2, lr_decay = 0, weight_decay = 0,
-- initial_accumulator_value = 0, eps = 1e-10, maximize = false}).
-- State: step, sum (starting at initial_accumulator_value).
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "sum" }, { sum = group.initial_accumulator_value })
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.adagrad_step, { param = p, grad = g, sum = st.sum, step = st.step,
      lr = group.lr, lr_decay = group.lr_decay, weight_decay = group.weight_decay, eps = group.eps,
      maximize = group.maximize })
  end
end

return Optimizer:extend("Adagrad", {
  order = { "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps" },
  defaults = { lr = 1e-2, lr_decay = 0, weight_decay = 0, initial_accumulator_value = 0, eps = 1e-10,
    maximize = false },
  types = { lr = "number", lr_decay = "number", weight_decay = "number", initial_accumulator_value = "number",
    eps = "number", maximize = "boolean" },
  ranges = { { "lr", "learning rate", 0 }, { "lr_decay", "lr_decay value", 0 },
    { "weight_decay", "weight_decay value", 0 },
    { "initial_accumulator_value", "initial_accumulator_value value", 0 }, { "eps", "epsilon value", 0 } },
  update = update,
})
