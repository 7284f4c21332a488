-- nn.utils: gradient clipping (nn/utils/clip_grad.lua) and sequence helpers
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
  end,
  __lazy = { "rnn", "clip_grad_norm_", "clip_grad_value_" }, -- for completion (lucid.repl)
})

return M
