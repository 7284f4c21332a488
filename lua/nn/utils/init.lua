-- nn.utils: gradient clipping (nn/utils/clip_grad.lua), parameters as one
-- vector (nn/utils/convert_parameters.lua), weight and spectral
-- normalisation (nn/utils/weight_norm.lua, spectral_norm.lua) and sequence helpers
-- (nn.utils.rnn), loaded on first use.
local M = {}

setmetatable(M, {
  __index = function(t, name)
    if name == "rnn" then
      local mod = require("nn.utils.rnn")
      rawset(t, name, mod)
      return mod
    end
    if name == "clip_grad_norm_" or name == "clip_grad_value_" then
      local clip = require("nn.utils.clip_grad")
      rawset(t, "clip_grad_norm_", clip.clip_grad_norm_)
      rawset(t, "clip_grad_value_", clip.clip_grad_value_)
      return clip[name]
    end
    if name == "weight_norm" or name == "remove_weight_norm" then
      local wn = require("nn.utils.weight_norm")
      rawset(t, "weight_norm", wn.weight_norm)
      rawset(t, "remove_weight_norm", wn.remove_weight_norm)
      return wn[name]
    end
    if name == "spectral_norm" or name == "remove_spectral_norm" then
      local sn = require("nn.utils.spectral_norm")
      rawset(t, "spectral_norm", sn.spectral_norm)
      rawset(t, "remove_spectral_norm", sn.remove_spectral_norm)
      return sn[name]
    end
    if name == "parameters_to_vector" or name == "vector_to_parameters" then
      local convert = require("nn.utils.convert_parameters")
      rawset(t, "parameters_to_vector", convert.parameters_to_vector)
      rawset(t, "vector_to_parameters", convert.vector_to_parameters)
      return convert[name]
    end
  end,
})

return M
