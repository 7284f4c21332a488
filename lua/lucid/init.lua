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
M.linalg = require("lucid.linalg")

-- lucid.nn (require("nn")) and lucid.optim load on first use, so that they
-- can require lucid and start-up stays fast.
setmetatable(M, {
  __index = function(t, k)
    local path = (k == "nn" and "nn") or (k == "optim" and "lucid.optim") or nil
    if path then
      local mod = require(path)
      rawset(t, k, mod)
      return mod
    end
  end,
  __lazy = { "nn", "optim" }, -- what __index loads, for completion (lucid.repl)
})

return M
