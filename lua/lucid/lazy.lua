-- lucid.lazy(M, prefix): M's missing fields load on first use, M.Name being
-- require(prefix .. "." .. Name) when that file exists; so a package of one
-- file per class grows by adding a file, and loading it stays cheap.
-- The metatable's __lazy lists those names (the package folder's files and
-- subpackages) for the REPL's completion (lucid.repl).
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
    __lazy = function()
      local init = package.searchpath(prefix, package.path)
      local dir = init and init:match("^(.*)/init%.lua$")
      if not dir then return {} end
      local names = {}
      local ls = io.popen("ls '" .. dir:gsub("'", "'\\''") .. "'")
      for file in ls:lines() do
        local name = file:match("^([%a][%w_]*)%.lua$") or file:match("^([%a][%w_]*)$")
        if name and name ~= "init" and package.searchpath(prefix .. "." .. name, package.path) then
          names[#names + 1] = name
        end
      end
      ls:close()
      return names
    end,
  })
end
