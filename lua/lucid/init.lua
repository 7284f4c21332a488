-- lucid: tensors, autograd, random numbers. The C module lucid.core does the
-- work; this file adds what reads better in Lua: printing, autograd.Function,
-- gradcheck, and the nn link.
local core = require("lucid.core")

local M = core
M._VERSION = "lucid 0.1"

local format = require("lucid.format")
local Tensor = debug.getregistry()["lucid.Tensor"]
Tensor.__tostring = format.tensor

M.autograd.Function = require("lucid.function")
M.autograd.gradcheck = require("lucid.gradcheck")

-- lucid.nn is require("nn"), loaded on first use so that nn can require lucid.
setmetatable(M, {
  __index = function(t, k)
    if k == "nn" then
      local nn = require("nn")
      rawset(t, "nn", nn)
      return nn
    end
  end,
})

return M
