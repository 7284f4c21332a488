-- The shape of lucid's loss modules: a class whose constructor takes the
-- loss's options and whose forward hands its inputs and those options, by
-- name, to nn.functional's M._<fname>(name, args), so the module and the
-- function share every check and formula.
--
--   return require("nn._Loss").define("L1Loss", "l1_loss", { "input", "target" }, {
--     { "reduction", "string", default = "mean", choices = { "none", "mean", "sum" } },
--   })
--
-- Tensor options (a per-class weight) are registered as buffers, as PyTorch does.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local Loss = {}

Loss.REDUCTIONS = { "none", "mean", "sum" }

function Loss.define(name, fname, inputs, specs)
  local cls = Module:extend(name, specs)
  local fn = F["_" .. fname]

  function cls:init(a)
    for _, spec in ipairs(specs) do
      local key, v = spec[1], a[spec[1]]
      if spec[2] == "any" then -- a tensor option
        if v ~= nil and not lucid.is_tensor(v) then
          raise(string.format("%s: %s must be a tensor, got %s", name, key, type(v)))
        end
        self:register_buffer(key, v)
      else
        self[key] = v
      end
    end
  end

  function cls:forward(...)
    local a = {}
    for i, key in ipairs(inputs) do a[key] = select(i, ...) end
    for _, spec in ipairs(specs) do a[spec[1]] = self[spec[1]] end
    return fn(name, a)
  end

  return cls
end

return Loss
