-- lucid.lazy(M, prefix): M's missing fields load on first use, M.Name being
-- require(prefix .. "." .. Name) when that file exists; so a package of one
-- file per class grows by adding a file, and loading it stays cheap.
return function(M, prefix)
  return setmetatable(M, {
    __index = function(t, name)
      if type(name) ~= "string" or name:sub(1, 1) == "_" then return nil end
      local path = prefix .. "." .. name
      if not package.searchpath(path, package.path) then return nil end
      local mod = require(path)
      rawset(t, name, mod)
      return mod
    end,
  })
end
