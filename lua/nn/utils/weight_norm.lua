-- nn.utils.weight_norm / remove_weight_norm, as torch.nn.utils.weight_norm
-- (PyTorch 1.13): a parameter w is split into a magnitude g and a direction
-- v, w = g * v / ||v||, the norm taken over every dim but `dim`; g and v are
-- the parameters (name_g, name_v) and w is recomputed from them by a forward
-- pre-hook before every forward.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local Module = require("nn.Module")

local M = {}

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
  local m, name, d = a.module, a.name or "weight", a.dim
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  if type(name) ~= "string" then raise(fname .. ": name must be a string, got " .. type(name)) end
  local registry = rawget(m, "_weight_norm")
  if registry and registry[name] then
    raise(string.format("%s: cannot register two weight_norm hooks on the same parameter %s", fname, name))
  end
  local w = m._parameters[name]
  if not lucid.is_tensor(w) then
    raise(string.format("%s: %s has no parameter '%s'", fname, m.__name, name))
  end
  if d == nil then d = 1 end
  if d ~= false then
    if math.type(d) ~= "integer" or d == 0 or d < -w:dim() or d > w:dim() then
      raise(string.format("%s: dim must be false or a dim of %s's %d, got %s", fname, name, w:dim(), tostring(d)))
    end
    if d < 0 then d = w:dim() + 1 + d end
  end
  local g0 = lucid.no_grad(function() return norm_except_dim(w, d):clone() end)
  m:_remove_member(name)
  m:register_parameter(name .. "_g", g0)
  m:register_parameter(name .. "_v", w:detach():clone())
  rawset(m, name, compute(m, name, d))
  local handle = m:register_forward_pre_hook(function(mod) rawset(mod, name, compute(mod, name, d)) end)
  registry = registry or {}
  registry[name] = { dim = d, handle = handle }
  rawset(m, "_weight_norm", registry)
  return m
end

-- remove_weight_norm(module, {name = "weight"}) -> module: w becomes one
-- parameter again, with the value g * v / ||v|| has now.
function M.remove_weight_norm(...)
  local fname = "remove_weight_norm"
  local a = args.parse(fname, { "module", "name" }, 2, ...)
  local m, name = a.module, a.name or "weight"
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  local registry = rawget(m, "_weight_norm")
  local entry = registry and registry[name]
  if entry == nil then
    raise(string.format("%s: weight_norm of '%s' not found in %s", fname, tostring(name), m.__name))
  end
  local w = lucid.no_grad(function() return compute(m, name, entry.dim):clone() end)
  entry.handle.remove()
  registry[name] = nil
  m:_remove_member(name .. "_g")
  m:_remove_member(name .. "_v")
  rawset(m, name, nil)
  m:register_parameter(name, w)
  return m
end

return M
