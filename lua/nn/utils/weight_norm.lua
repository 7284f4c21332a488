-- nn.utils.weight_norm / remove_weight_norm, as torch.nn.utils.weight_norm
-- (PyTorch 1.13): a parameter w is split into a magnitude g and a direction
-- v, w = g * v / ||v||, the norm taken over every dim but `dim`; g and v are
-- the parameters (name_g, name_v) and w is recomputed from them by a forward
-- pre-hook before every forward.
local lucid = require("lucid")
local args = require("lucid.args")
local reparam = require("nn.utils.reparametrize")

local M = {}

local KEY = "_weight_norm"

-- ||v|| over every dim but d (1-based; false: over all), kept as size-1 dims.
local function norm_except_dim(v, d)
  local sq = v * v
  if d == false then return sq:sum():sqrt() end
  for k = v:dim(), 1, -1 do
    if k ~= d then sq = sq:sum(k, true) end
  end
  return sq:sqrt()
end

local function compute(m, name, d)
  local g, v = m._parameters[name .. "_g"], m._parameters[name .. "_v"]
  return v * (g / norm_except_dim(v, d))
end

-- weight_norm(module, {name = "weight", dim = 1}) -> module. dim is 1-based
-- (PyTorch's default 0 is lucid's 1); dim = false takes the norm over the
-- whole tensor (PyTorch's dim=None); a negative dim counts from the end.
function M.weight_norm(...)
  local fname = "weight_norm"
  local a = args.parse(fname, { "module", "name", "dim" }, 2, ...)
  local m, name = a.module, a.name or "weight"
  local w = reparam.target(fname, KEY, m, name)
  local d = a.dim
  if d == nil then d = 1 end
  d = reparam.dim(fname, name, w, d, true)
  local g0 = lucid.no_grad(function() return norm_except_dim(w, d):clone() end)
  return reparam.install(m, KEY, name, { dim = d }, function(mod)
    mod:register_parameter(name .. "_g", g0)
    mod:register_parameter(name .. "_v", w:detach():clone())
  end, function(mod) return compute(mod, name, d) end)
end

-- remove_weight_norm(module, {name = "weight"}) -> module: w becomes one
-- parameter again, with the value g * v / ||v|| has now.
function M.remove_weight_norm(...)
  local fname = "remove_weight_norm"
  local a = args.parse(fname, { "module", "name" }, 2, ...)
  local name = a.name or "weight"
  return reparam.uninstall(fname, KEY, a.module, name, { "_g", "_v" },
    function(mod, entry) return compute(mod, name, entry.dim) end)
end

return M
