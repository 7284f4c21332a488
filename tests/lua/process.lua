-- Running the launcher (or any command) as a separate process from a spec.
--
--   local process = require("process")
--   local out, err, status = process.run(process.LUCID .. " -e 'print(1)'")
--
-- Paths are absolute, from this file's location, so specs do not depend on
-- the directory busted was started from. LUCID_BIN points the specs at
-- another build of the launcher.
local M = {}

local source = debug.getinfo(1, "S").source:gsub("^@", "")
if source:sub(1, 1) ~= "/" then source = (os.getenv("PWD") or ".") .. "/" .. source end
M.ROOT = source:match("^(.*)/[^/]*$") .. "/../.."

-- Quotes a string for /bin/sh.
function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

M.BIN = os.getenv("LUCID_BIN") or (M.ROOT .. "/build/bin/lucid")
M.LUCID = M.q(M.BIN)

-- The contents of a file ("" when it cannot be read).
function M.read(path)
  local f = io.open(path, "rb")
  local s = f and f:read("a") or ""
  if f then f:close() end
  return s
end

-- Writes text to a file.
function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- The contents of a file, which is then removed.
function M.slurp(path)
  local s = M.read(path)
  os.remove(path)
  return s
end

-- A temporary file holding text; the caller removes it.
function M.spit(text)
  local path = os.tmpname()
  M.write(path, text)
  return path
end

-- Runs a shell command line with optional standard input; returns stdout,
-- stderr and the exit status. Goes through files and `$?` so it works the
-- same under any Lua version's os.execute.
function M.run(cmd, stdin)
  local out, err, code = os.tmpname(), os.tmpname(), os.tmpname()
  local input = stdin and M.spit(stdin) or "/dev/null"
  os.execute(string.format("%s <%s >%s 2>%s; echo $? >%s", cmd, M.q(input), M.q(out), M.q(err), M.q(code)))
  if stdin then os.remove(input) end
  return M.slurp(out), M.slurp(err), tonumber(M.slurp(code))
end

return M
