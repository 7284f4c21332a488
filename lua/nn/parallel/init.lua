-- nn.parallel: data-parallel training across processes (lucid.distributed).
local M = {}

setmetatable(M, {
  __index = function(t, name)
    if name ~= "DistributedDataParallel" then return nil end
    local mod = require("nn.parallel.DistributedDataParallel")
    rawset(t, name, mod)
    return mod
  end,
})

return M
