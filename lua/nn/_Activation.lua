-- The activation modules that are one nn.functional call with fixed
-- options (GELU, ELU, LeakyReLU, ...): each file is one call of this, naming
-- the function, its options in PyTorch's order with their defaults, and
-- whether the module takes inplace. Printing follows PyTorch's repr.
local Module = require("nn.Module")
local F = require("nn.functional")

return function(name, fn, options, inplace)
  local specs = {}
  for i, o in ipairs(options) do specs[i] = { o[1], o[2], default = o[3], choices = o.choices } end
  if inplace then specs[#specs + 1] = { "inplace", "boolean", default = false } end
  local cls = Module:extend(name, specs)

  function cls:init(a)
    for _, o in ipairs(options) do self[o[1]] = a[o[1]] end
    if inplace then self.inplace = a.inplace end
  end

  function cls:forward(x)
    local values = {}
    for i, o in ipairs(options) do values[i] = self[o[1]] end
    if inplace then values[#options + 1] = self.inplace end
    return F[fn](x, table.unpack(values, 1, #options + (inplace and 1 or 0)))
  end

  function cls:extra_repr()
    local parts = {}
    for _, o in ipairs(options) do
      local v = self[o[1]]
      parts[#parts + 1] = o[1] .. "=" .. (type(v) == "string" and "'" .. v .. "'" or Module.repr_value(v))
    end
    if inplace and self.inplace then parts[#parts + 1] = "inplace=True" end
    return table.concat(parts, ", ")
  end

  return cls
end
