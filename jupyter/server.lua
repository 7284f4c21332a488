-- The lucid side of the Jupyter kernel (jupyter/lucid_kernel.py): a Lua
-- state that keeps its variables between cells. It reads requests on stdin
-- and answers on the file descriptor named by LUCID_KERNEL_FD, in frames
-- "KIND <length>\n<bytes>":
--   requests:  EXEC (code), COMPLETE (code before the cursor)
--   answers:   OUT (printed text), PNG (a plot's file), RESULT (a value's text),
--              ERR (an error with its traceback), MATCHES (completions, one a line),
--              DONE (the request is finished)
-- print, io.write and lucid.plot's pictures go to the notebook; an error ends
-- the cell, not the kernel.
local lucid = require("lucid")
local nn = require("nn")

local fd = assert(os.getenv("LUCID_KERNEL_FD"), "server.lua: LUCID_KERNEL_FD is not set")
local out = assert(io.open("/dev/fd/" .. fd, "w"))

local function send(kind, text)
  out:write(kind, " ", #text, "\n", text)
  out:flush()
end

local function read_request()
  local ok, header = pcall(io.read, "l") -- Jupyter ends a kernel with an interrupt too
  if not ok then return nil end
  if not header then return nil end
  local kind, n = header:match("^(%u+) (%d+)$")
  if not kind then return nil end
  local ok2, body = pcall(io.read, tonumber(n))
  if not ok2 then return nil end
  return kind, body or ""
end

-- A cell runs in the globals of this process (as a REPL line does), with
-- lucid, nn and F; what it prints goes to the notebook.
local repl = require("lucid.repl")
_G.lucid, _G.nn, _G.F = lucid, nn, nn.functional
local function text_of(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  return parts
end
print = function(...)
  local parts = text_of(...)
  send("OUT", table.concat(parts, "\t", 1, parts.n) .. "\n")
end
io.write = function(...)
  local parts = text_of(...)
  send("OUT", table.concat(parts, "", 1, parts.n))
  return io.stdout
end

-- lucid.plot without an output file shows a picture in the notebook
lucid.plot.display = function(path) send("PNG", path) end

local function show(...)
  if select("#", ...) > 0 then send("RESULT", repl.format(...)) end
end

local function execute(code)
  -- an expression shows its value, as in the REPL; so does a last line that
  -- is one, after statements (as IPython shows a cell's last expression)
  -- (values are packed first: a tail call would hide the cell from errors)
  local function returning(expr) return "local r = table.pack(" .. expr .. ")\nreturn table.unpack(r, 1, r.n)" end
  local chunk = load(returning(code), "=cell", "t")
  local err
  if not chunk then chunk, err = load(code, "=cell", "t") end
  if not chunk then
    local body, last = code:match("^(.*\n)([^\n]+)\n*$")
    chunk = body and load(body .. returning(last), "=cell", "t")
  end
  if not chunk then
    send("ERR", err)
    return
  end
  local r = table.pack(xpcall(chunk, function(e)
    return debug.traceback(tostring(e), 2):gsub("\n[^\n]*jupyter/server%.lua.*$", "")
  end))
  if r[1] then show(table.unpack(r, 2, r.n)) else send("ERR", r[2]) end
end

-- Completions of the name before the cursor, as the REPL's Tab gives them
-- (lucid.repl.complete), as the names to put in place of that last word.
local function complete(code)
  local word = code:match("[%w_%.:]*$")
  local out = {}
  for i, full in ipairs(repl.complete(word)) do out[i] = full:match("[%w_]*$") end
  return out
end

while true do
  local kind, body = read_request()
  if not kind then break end
  if kind == "EXEC" then
    execute(body)
  elseif kind == "COMPLETE" then
    send("MATCHES", table.concat(complete(body), "\n"))
  end
  send("DONE", "")
end
