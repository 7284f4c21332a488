-- lucid.optim.SGD: stochastic gradient descent with optional momentum,
-- dampening, Nesterov momentum, weight decay (L2) and maximize, exactly as
-- torch.optim.SGD (PyTorch 1.13):
--
--   d = grad (or -grad to maximize) + weight_decay * p
--   buf = d on the first step, else momentum * buf + (1 - dampening) * d
--   d = d + momentum * buf (nesterov) or buf
--   p = p - lr * d
--
-- SGD(params, {lr =, momentum = 0, dampening = 0, weight_decay = 0,
-- nesterov = false, maximize = false}), or positionally SGD(params, lr,
-- momentum, dampening, weight_decay, nesterov). lr has no default.
-- State: opt.state[p].momentum_buffer, only when momentum ~= 0.
local lucid = require("lucid")
local Optimizer = require("lucid.optim.Optimizer")

local fmt = Optimizer._fmt

local function check(self, g, where)
  where = where or ""
  if g.lr ~= Optimizer.required and not (g.lr >= 0) then
    self:_error("Invalid learning rate: %s%s", fmt(g.lr), where)
  end
  if not (g.momentum >= 0) then self:_error("Invalid momentum value: %s%s", fmt(g.momentum), where) end
  if not (g.weight_decay >= 0) then
    self:_error("Invalid weight_decay value: %s%s", fmt(g.weight_decay), where)
  end
  if g.nesterov and (g.momentum <= 0 or g.dampening ~= 0) then
    self:_error("Nesterov momentum requires a momentum and zero dampening%s", where)
  end
end

local function update(self, group)
  local lr, momentum, dampening = group.lr, group.momentum, group.dampening
  local weight_decay, nesterov, maximize = group.weight_decay, group.nesterov, group.maximize
  for p, g in self:_with_grads(group) do
    local buf, first = nil, false
    if momentum ~= 0 then
      local st = self.state[p]
      if st == nil then
        st = {}
        self.state[p] = st
      end
      if st.momentum_buffer == nil then
        st.momentum_buffer = Optimizer._zeros_like(p)
        first = true
      end
      buf = st.momentum_buffer
    end
    Optimizer._on_contiguous(lucid._C.sgd_step, { param = p, grad = g, momentum_buffer = buf, lr = lr,
      momentum = momentum, dampening = dampening, weight_decay = weight_decay, nesterov = nesterov,
      maximize = maximize, first_step = first })
  end
end

return Optimizer:extend("SGD", {
  order = { "lr", "momentum", "dampening", "weight_decay", "nesterov" },
  defaults = {
    lr = Optimizer.required, momentum = 0, dampening = 0, weight_decay = 0,
    nesterov = false, maximize = false,
  },
  types = {
    lr = "number", momentum = "number", dampening = "number", weight_decay = "number",
    nesterov = "boolean", maximize = "boolean",
  },
  check = check,
  update = update,
})
