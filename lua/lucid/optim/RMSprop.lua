-- lucid.optim.RMSprop, exactly as torch.optim.RMSprop (PyTorch 1.13):
--
--   g = grad (or -grad to maximize) + weight_decay * p
--   v = alpha * v + (1 - alpha) * g^2
--   centered: m = alpha * m + (1 - alpha) * g, avg = sqrt(v - m^2) + eps; else sqrt(v) + eps
--   momentum > 0: buf = momentum * buf + g / avg, p = p - lr * buf; else p = p - lr * g / avg
--
-- RMSprop(params, {lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0,
-- momentum = 0, centered = false, maximize = false}).
-- State: step, square_avg, momentum_buffer (momentum > 0), grad_avg (centered).
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local function update(self, group)
  for p, g in self:_with_grads(group) do
    local st = self:_state_of(p, { "square_avg" })
    if group.momentum > 0 and st.momentum_buffer == nil then st.momentum_buffer = Optimizer._zeros_like(p) end
    if group.centered and st.grad_avg == nil then st.grad_avg = Optimizer._zeros_like(p) end
    st.step = st.step + 1
    Optimizer._on_contiguous(lucid._C.rmsprop_step, { param = p, grad = g, square_avg = st.square_avg,
      grad_avg = group.centered and st.grad_avg or nil,
      momentum_buffer = group.momentum > 0 and st.momentum_buffer or nil, lr = group.lr,
      alpha = group.alpha, eps = group.eps, weight_decay = group.weight_decay, momentum = group.momentum,
      centered = group.centered, maximize = group.maximize })
  end
end

return Optimizer:extend("RMSprop", {
  order = { "lr", "alpha", "eps", "weight_decay", "momentum", "centered" },
  defaults = { lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0, centered = false,
    maximize = false },
  types = { lr = "number", alpha = "number", eps = "number", weight_decay = "number", momentum = "number",
    centered = "boolean", maximize = "boolean" },
  ranges = { { "lr", "learning rate", 0 }, { "eps", "epsilon value", 0 }, { "momentum", "momentum value", 0 },
    { "weight_decay", "weight_decay value", 0 }, { "alpha", "alpha value", 0 } },
  update = update,
})
