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
  -- The names __index serves (the files beside this one), for the REPL's
  -- completion (lucid.repl).
  __lazy = function()
    local names, renamed = {}, {}
    for name, path in pairs(submodules) do
      names[#names + 1] = name
      renamed[path:match("[^.]*$")] = true
    end
    local dir = package.searchpath("nn", package.path):match("^(.*)/init%.lua$")
    local ls = io.popen("ls '" .. dir:gsub("'", "'\\''") .. "'")
    for file in ls:lines() do
      local name = file:match("^(%u[%w_]*)%.lua$")
      if name and not renamed[name] then names[#names + 1] = name end
    end
    ls:close()
    return names
  end,
})

return M
