-- lucid.utils.data: datasets, samplers and the DataLoader, as
-- torch.utils.data (PyTorch 1.13), with 1-based indices.
--
--   local data = require("lucid.utils.data")        -- also lucid.utils.data
--   local ds = data.TensorDataset(x, y)
--   for i, batch in pairs(data.DataLoader(ds, {batch_size = 64, shuffle = true})) do
--     local xb, yb = batch[1], batch[2]
--   end
--
-- Each name lives in its own file (lucid/utils/data/<Name>.lua), loaded on
-- first use, so a new class is a new file and nothing here changes.
local M = {}

setmetatable(M, {
  __index = function(t, name)
    if type(name) ~= "string" or name:sub(1, 1) == "_" then return nil end
    local path = "lucid.utils.data." .. name
    if not package.searchpath(path, package.path) then return nil end
    local mod = require(path)
    rawset(t, name, mod)
    return mod
  end,
})

return M
