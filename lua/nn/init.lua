-- nn: modules, loaded on first use (nn.Linear requires lua/nn/Linear.lua),
-- so starting lucid stays fast however many modules there are. nn.init lives
-- in nn/initializers.lua because nn/init.lua is this file.
local M = {}

local submodules = { functional = "nn.functional", init = "nn.initializers", utils = "nn.utils" }

setmetatable(M, {
  __index = function(t, name)
    if type(name) ~= "string" then return nil end
    local path = submodules[name] or ("nn." .. name)
    if not package.searchpath(path, package.path) then return nil end
    local mod = require(path)
    rawset(t, name, mod)
    return mod
  end,
})

return M
