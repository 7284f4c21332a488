-- nn.utils.spectral_norm / remove_spectral_norm, as
-- torch.nn.utils.spectral_norm (PyTorch 1.13): a parameter w (seen as a
-- matrix with dim `dim` as rows) is divided by its largest singular value
-- sigma, estimated by power iteration: the parameter becomes name_orig, the
-- vectors name_u and name_v are buffers, and a forward pre-hook computes
--   (training only, without recording, n_power_iterations times)
--   v = normalize(W^T u), u = normalize(W v)
--   sigma = u . (W v);  w = name_orig / sigma
-- normalize(x) = x / max(||x||, eps).
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Module = require("nn.Module")

local M = {}

local function normalize(x, eps)
  local n = x:pow(2):sum():sqrt():item()
  return x / math.max(n, eps)
end

-- w as a matrix: dim `d` moved to the front, the rest flattened.
local function as_matrix(w, d)
  if d ~= 1 then
    local order = { d }
    for k = 1, w:dim() do
      if k ~= d then order[#order + 1] = k end
    end
    w = w:permute(table.unpack(order))
  end
  return w:reshape(w:size(1), -1)
end

local function compute(m, name, entry, power)
  local w = m._parameters[name .. "_orig"]
  local mat = as_matrix(w, entry.dim)
  local u, v = m._buffers[name .. "_u"], m._buffers[name .. "_v"]
  if power then
    lucid.no_grad(function()
      local d = mat:detach()
      for _ = 1, entry.n_power_iterations do
        v:copy_(normalize(d:t():matmul(u), entry.eps))
        u:copy_(normalize(d:matmul(v), entry.eps))
      end
    end)
  end
  local sigma = (u * mat:matmul(v)):sum()
  return w / sigma
end

-- spectral_norm(module, {name = "weight", n_power_iterations = 1, eps = 1e-12,
-- dim = 1}) -> module. dim is 1-based (PyTorch's 0 is lucid's 1).
function M.spectral_norm(...)
  local fname = "spectral_norm"
  local a = args.parse(fname, { "module", "name", "n_power_iterations", "eps", "dim" }, 2, ...)
  local m, name = a.module, a.name or "weight"
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  if type(name) ~= "string" then raise(fname .. ": name must be a string, got " .. type(name)) end
  local registry = rawget(m, "_spectral_norm")
  if registry and registry[name] then
    raise(string.format("%s: cannot register two spectral_norm hooks on the same parameter %s", fname, name))
  end
  local w = m._parameters[name]
  if not lucid.is_tensor(w) then raise(string.format("%s: %s has no parameter '%s'", fname, m.__name, name)) end
  local n_iter, eps, d = a.n_power_iterations or 1, a.eps or 1e-12, a.dim or 1
  if math.type(n_iter) ~= "integer" or n_iter <= 0 then
    raise(string.format("%s: Expected n_power_iterations to be positive, but got n_power_iterations=%s", fname,
      tostring(n_iter)))
  end
  if type(eps) ~= "number" then raise(fname .. ": eps must be a number, got " .. type(eps)) end
  if math.type(d) ~= "integer" or d == 0 or d < -w:dim() or d > w:dim() then
    raise(string.format("%s: dim must be a dim of %s's %d, got %s", fname, name, w:dim(), tostring(d)))
  end
  if d < 0 then d = w:dim() + 1 + d end
  local mat = as_matrix(w:detach(), d)
  local u = normalize(lucid.randn(mat:size(1), { dtype = w.dtype }), eps)
  local v = normalize(lucid.randn(mat:size(2), { dtype = w.dtype }), eps)
  m:_remove_member(name)
  m:register_parameter(name .. "_orig", w)
  rawset(m, name, w:detach())
  m:register_buffer(name .. "_u", u)
  m:register_buffer(name .. "_v", v)
  local entry = { dim = d, eps = eps, n_power_iterations = n_iter }
  entry.handle = m:register_forward_pre_hook(function(mod)
    rawset(mod, name, compute(mod, name, entry, mod.training))
  end)
  registry = registry or {}
  registry[name] = entry
  rawset(m, "_spectral_norm", registry)
  return m
end

-- remove_spectral_norm(module, {name = "weight"}) -> module: w becomes one
-- parameter again, with the value name_orig / sigma has now.
function M.remove_spectral_norm(...)
  local fname = "remove_spectral_norm"
  local a = args.parse(fname, { "module", "name" }, 2, ...)
  local m, name = a.module, a.name or "weight"
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  local registry = rawget(m, "_spectral_norm")
  local entry = registry and registry[name]
  if entry == nil then
    raise(string.format("%s: spectral_norm of '%s' not found in %s", fname, tostring(name), m.__name))
  end
  local w = lucid.no_grad(function() return compute(m, name, entry, false):clone() end)
  entry.handle.remove()
  registry[name] = nil
  m:_remove_member(name .. "_orig")
  m:_remove_member(name .. "_u")
  m:_remove_member(name .. "_v")
  rawset(m, name, nil)
  m:register_parameter(name, w)
  return m
end

return M
