-- What weight_norm and spectral_norm share: a parameter of a module replaced
-- by other members from which a forward pre-hook recomputes it, and the way
-- back (nn/utils/weight_norm.lua, nn/utils/spectral_norm.lua).
local lucid = require("lucid")
local raise = require("lucid.args").raise
local Module = require("nn.Module")

local M = {}

-- The checked module and parameter name of fname's call; the parameter itself.
-- key names the kind of reparametrisation (one of each per parameter).
function M.target(fname, key, m, name)
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  if type(name) ~= "string" then raise(fname .. ": name must be a string, got " .. type(name)) end
  local registry = rawget(m, key)
  if registry and registry[name] then
    raise(string.format("%s: cannot register two %s hooks on the same parameter %s", fname, fname, name))
  end
  local w = m._parameters[name]
  if not lucid.is_tensor(w) then raise(string.format("%s: %s has no parameter '%s'", fname, m.__name, name)) end
  return w
end

-- A dim of w given 1-based (negative from the end), or false where allowed.
function M.dim(fname, name, w, d, allow_false)
  if d == false and allow_false then return false end
  if math.type(d) ~= "integer" or d == 0 or d < -w:dim() or d > w:dim() then
    raise(string.format("%s: dim must be %sa dim of %s's %d, got %s", fname, allow_false and "false or " or "",
      name, w:dim(), tostring(d)))
  end
  return d < 0 and w:dim() + 1 + d or d
end

-- Removes parameter `name`, lets setup(m) register its replacements, and
-- sets m[name] to `initial` (or compute(m, false)) now and to
-- compute(m, m.training) before every forward.
function M.install(m, key, name, entry, setup, compute, initial)
  m:_remove_member(name)
  setup(m)
  rawset(m, name, initial or compute(m, false))
  entry.handle = m:register_forward_pre_hook(function(mod) rawset(mod, name, compute(mod, mod.training)) end)
  local registry = rawget(m, key) or {}
  registry[name] = entry
  rawset(m, key, registry)
  return m
end

-- Undoes install: `name` becomes one parameter again, with compute's value
-- now (without iterating); `members` are the replacements to remove.
function M.uninstall(fname, key, m, name, members, compute)
  if not Module.is_module(m) then raise(fname .. ": module must be an nn.Module, got " .. type(m)) end
  local registry = rawget(m, key)
  local entry = registry and registry[name]
  if entry == nil then
    raise(string.format("%s: %s of '%s' not found in %s", fname, fname:gsub("^remove_", ""), tostring(name),
      m.__name))
  end
  local w = lucid.no_grad(function() return compute(m, entry):clone() end)
  entry.handle.remove()
  registry[name] = nil
  for _, member in ipairs(members) do m:_remove_member(name .. member) end
  rawset(m, name, nil)
  m:register_parameter(name, w)
  return m
end

return M
