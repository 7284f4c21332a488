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

-- what a cell sees: lucid, nn and the usual globals; its own globals persist
local env = setmetatable({ lucid = lucid, nn = nn, F = nn.functional }, { __index = _G })
env.print = function(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  send("OUT", table.concat(parts, "\t", 1, parts.n) .. "\n")
end
env.io = setmetatable({
  write = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    send("OUT", table.concat(parts, "", 1, parts.n))
    return env.io
  end,
}, { __index = io })
env._G = env

-- lucid.plot without an output file shows a picture in the notebook
lucid.plot.display = function(path) send("PNG", path) end

local function show(...)
  local n = select("#", ...)
  if n == 0 then return end
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    parts[i] = (type(v) == "table" and not getmetatable(v) and next(v) == nil) and "{}" or tostring(v)
  end
  send("RESULT", table.concat(parts, "\t"))
end

local function execute(code)
  -- an expression shows its value, as in the REPL; so does a last line that
  -- is one, after statements (as IPython shows a cell's last expression)
  -- (values are packed first: a tail call would hide the cell from errors)
  local function returning(expr) return "local r = table.pack(" .. expr .. ")\nreturn table.unpack(r, 1, r.n)" end
  local chunk = load(returning(code), "=cell", "t", env)
  local err
  if not chunk then chunk, err = load(code, "=cell", "t", env) end
  if not chunk then
    local body, last = code:match("^(.*\n)([^\n]+)\n*$")
    chunk = body and load(body .. returning(last), "=cell", "t", env)
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

-- Completions of the dotted or colon name that ends the code.
local function complete(code)
  local prefix = code:match("[%w_%.:]*$")
  local path, sep, last = prefix:match("^(.-)([%.:]?)([%w_]*)$")
  local obj = env
  if sep ~= "" then
    for part in path:gmatch("[^%.:]+") do
      local ok, v = pcall(function() return obj[part] end)
      if not ok or v == nil then return {} end
      obj = v
    end
  end
  local seen, matches = {}, {}
  local function scan(t, depth)
    if depth > 3 or type(t) ~= "table" then return end
    for k in pairs(t) do
      if type(k) == "string" and k:sub(1, #last) == last and not k:match("^_") and not seen[k] then
        seen[k] = true
        matches[#matches + 1] = k
      end
    end
    local mt = getmetatable(t)
    if type(mt) == "table" and type(mt.__index) == "table" then scan(mt.__index, depth + 1) end
  end
  if lucid.is_tensor(obj) then scan(getmetatable(obj).__index, 0)
  else scan(obj, 0) end
  if obj == env then scan(_G, 0) end
  table.sort(matches)
  return matches
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
