-- nn.utils.clip_grad_norm_ and nn.utils.clip_grad_value_, as PyTorch 1.13's
-- torch.nn.utils versions. Both take a tensor or an array of tensors (e.g.
-- model:parameters()), skip those without a gradient, and change gradients in
-- place without recording autograd.
--
--   total = nn.utils.clip_grad_norm_(params, max_norm [, norm_type = 2]
--                                    [, {error_if_nonfinite = false}])
--   nn.utils.clip_grad_value_(params, clip_value)
--
-- clip_grad_norm_ returns the total norm as a Lua number (PyTorch returns a
-- 0-dim tensor): the norm_type-norm of the per-tensor norms, i.e. of all
-- gradients together. When it exceeds max_norm, every gradient is scaled by
-- max_norm / (total + 1e-6). norm_type is a number >= 0, math.huge or "inf".
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise

local M = {}

local function typename(v) return lucid.is_tensor(v) and "tensor" or type(v) end

-- The gradients of a tensor or an array of tensors.
local function grads_of(fname, parameters)
  if lucid.is_tensor(parameters) then parameters = { parameters } end
  if type(parameters) ~= "table" then
    raise(string.format("%s: parameters must be a tensor or an array of tensors, got %s", fname,
      typename(parameters)))
  end
  if next(parameters) ~= nil and #parameters == 0 then
    raise(string.format("%s: parameters must be a tensor or an array of tensors, got a table without array items",
      fname))
  end
  local grads = {}
  for i = 1, #parameters do
    local p = parameters[i]
    if not lucid.is_tensor(p) then
      raise(string.format("%s: parameter %d must be a tensor, got %s", fname, i, typename(p)))
    end
    local g = p.grad
    if g ~= nil then grads[#grads + 1] = g end
  end
  return grads
end

-- The arguments in PyTorch's order, a trailing options table, or both
-- (lucid.args); the parameters may be a plain array, so only a table after
-- them can be the options.
local function parse(fname, names, ...)
  return args.parse(fname, names, 2, ...)
end

local function per_tensor_norm(g, p)
  if p == math.huge then return g:abs():max():item() end
  if p == 0 then return g:ne(0):sum():item() end
  if p == 1 then return g:abs():sum():item() end
  if p == 2 then return (g * g):sum():sqrt():item() end
  return g:abs():pow(p):sum():pow(1 / p):item()
end

-- The p-norm of a list of numbers (the norms of the gradients).
local function norm_of(values, p)
  local total = 0
  if p == math.huge then
    for _, v in ipairs(values) do
      if v ~= v then return v end
      if v > total then total = v end
    end
    return total
  end
  if p == 0 then
    for _, v in ipairs(values) do
      if v ~= 0 then total = total + 1 end
    end
    return total
  end
  for _, v in ipairs(values) do total = total + math.abs(v) ^ p end
  return total ^ (1 / p)
end

function M.clip_grad_norm_(...)
  local fname = "clip_grad_norm_"
  local a = parse(fname, { "parameters", "max_norm", "norm_type", "error_if_nonfinite" }, ...)
  local parameters, max_norm, norm_type, error_if_nonfinite = a.parameters, a.max_norm, a.norm_type,
    a.error_if_nonfinite
  if type(max_norm) ~= "number" then
    raise(string.format("%s: max_norm must be a number, got %s", fname, typename(max_norm)))
  end
  if norm_type == nil then norm_type = 2 end
  if norm_type == "inf" then norm_type = math.huge end
  if type(norm_type) ~= "number" or not (norm_type >= 0) then
    raise(string.format("%s: norm_type must be a number >= 0, math.huge or 'inf', got %s", fname,
      type(norm_type) == "number" and tostring(norm_type) or typename(norm_type)))
  end
  if error_if_nonfinite ~= nil and type(error_if_nonfinite) ~= "boolean" then
    raise(string.format("%s: error_if_nonfinite must be a boolean, got %s", fname,
      typename(error_if_nonfinite)))
  end
  local grads = grads_of(fname, parameters)
  if #grads == 0 then return 0.0 end
  local total = lucid.no_grad(function()
    local norms = {}
    for i, g in ipairs(grads) do norms[i] = per_tensor_norm(g, norm_type) end
    return norm_of(norms, norm_type)
  end)
  if error_if_nonfinite and (total ~= total or total == math.huge) then
    raise(string.format("%s: the total norm of order %s for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set error_if_nonfinite = false",
      fname, tostring(norm_type)))
  end
  local coef = max_norm / (total + 1e-6)
  if not (coef >= 1) then -- as PyTorch's clamp(coef, max=1): a nan coefficient still applies
    lucid.no_grad(function()
      for _, g in ipairs(grads) do g:mul_(coef) end
    end)
  end
  return total
end

function M.clip_grad_value_(...)
  local fname = "clip_grad_value_"
  local a = parse(fname, { "parameters", "clip_value" }, ...)
  local parameters, clip_value = a.parameters, a.clip_value
  if type(clip_value) ~= "number" then
    raise(string.format("%s: clip_value must be a number, got %s", fname, typename(clip_value)))
  end
  if not (clip_value >= 0) then
    raise(string.format("%s: clip_value must be >= 0, got %s", fname, tostring(clip_value)))
  end
  local grads = grads_of(fname, parameters)
  lucid.no_grad(function()
    for _, g in ipairs(grads) do g:copy_(g:clamp(-clip_value, clip_value)) end
  end)
end

return M
