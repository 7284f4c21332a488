-- nn.utils: gradient clipping (nn/utils/clip_grad.lua), parameters as one
-- vector (nn/utils/convert_parameters.lua), weight and spectral
-- normalisation (nn/utils/weight_norm.lua, spectral_norm.lua) and sequence
-- helpers (nn.utils.rnn), loaded on first use.
local M = {}

-- function name -> the file that defines it
local HOMES = {
  clip_grad_norm_ = "nn.utils.clip_grad",
  clip_grad_value_ = "nn.utils.clip_grad",
  parameters_to_vector = "nn.utils.convert_parameters",
  vector_to_parameters = "nn.utils.convert_parameters",
  weight_norm = "nn.utils.weight_norm",
  remove_weight_norm = "nn.utils.weight_norm",
  spectral_norm = "nn.utils.spectral_norm",
  remove_spectral_norm = "nn.utils.spectral_norm",
}

setmetatable(M, {
  __index = function(t, name)
    if name == "rnn" then
      local mod = require("nn.utils.rnn")
      rawset(t, name, mod)
      return mod
    end
    local home = HOMES[name]
    if home then
      local fn = require(home)[name]
      rawset(t, name, fn)
      return fn
    end
  end,
  -- the names __index serves, for completion (lucid.repl)
  __lazy = function()
    local names = { "rnn" }
    for name in pairs(HOMES) do names[#names + 1] = name end
    table.sort(names)
    return names
  end,
})

return M
