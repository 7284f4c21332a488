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
local reparam = require("nn.utils.reparametrize")

local M = {}

local KEY = "_spectral_norm"

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
  local w = reparam.target(fname, KEY, m, name)
  local n_iter, eps = a.n_power_iterations or 1, a.eps or 1e-12
  if math.type(n_iter) ~= "integer" or n_iter <= 0 then
    raise(string.format("%s: Expected n_power_iterations to be positive, but got n_power_iterations=%s", fname,
      tostring(n_iter)))
  end
  if type(eps) ~= "number" then raise(fname .. ": eps must be a number, got " .. type(eps)) end
  local entry = { dim = reparam.dim(fname, name, w, a.dim or 1, false), eps = eps, n_power_iterations = n_iter }
  local mat = as_matrix(w:detach(), entry.dim)
  local u = normalize(lucid.randn(mat:size(1), { dtype = w.dtype }), eps)
  local v = normalize(lucid.randn(mat:size(2), { dtype = w.dtype }), eps)
  return reparam.install(m, KEY, name, entry, function(mod)
    mod:register_parameter(name .. "_orig", w)
    mod:register_buffer(name .. "_u", u)
    mod:register_buffer(name .. "_v", v)
  end, function(mod, power) return compute(mod, name, entry, power) end,
  w:detach()) -- until the first forward, the weight itself (as PyTorch's)
end

-- remove_spectral_norm(module, {name = "weight"}) -> module: w becomes one
-- parameter again, with the value name_orig / sigma has now.
function M.remove_spectral_norm(...)
  local fname = "remove_spectral_norm"
  local a = args.parse(fname, { "module", "name" }, 2, ...)
  local name = a.name or "weight"
  return reparam.uninstall(fname, KEY, a.module, name, { "_orig", "_u", "_v" },
    function(mod, entry) return compute(mod, name, entry, false) end)
end

return M
