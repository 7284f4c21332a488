-- lucid.repl: the Lua side of the launcher's REPL (launcher/lucid.c):
-- printing results, Tab completion, and help from the docs/ pages.
--
--   repl.format(...)    the text a REPL line's values print as
--   repl.complete(text) completions of the word before the cursor
--   repl.help(x)        prints the documentation entry of a name or value
--
-- Completion reads fields without calling metamethods, except a lazy module's
-- loader for a name the module declares (its metatable's `__lazy`), so that
-- `nn.` and `lucid.optim.` complete before first use.
local M = {}

local Tensor = debug.getregistry()["lucid.Tensor"]

-- Fields a tensor serves besides its methods (bindings/ltensor.c's __index).
M.TENSOR_FIELDS = { "shape", "dtype", "device", "requires_grad", "grad", "grad_fn", "is_leaf" }

local MAX_DEPTH = 3  -- nesting levels shown before "{...}"
local MAX_ITEMS = 20 -- entries shown per table before "..."

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
  "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}
local is_keyword = {}
for _, k in ipairs(KEYWORDS) do is_keyword[k] = true end

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil and not is_keyword[s]
end

local function is_tensor(v) return getmetatable(v) == Tensor end

-- A table printed as a constructor: plain, without __tostring or __name.
local function is_plain(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  return mt == nil or (rawget(mt, "__tostring") == nil and rawget(mt, "__name") == nil)
end

-- ---------------------------------------------------------------- printing

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == "\n" then return "\\n" elseif c == "\t" then return "\\t"
    elseif c == '"' or c == "\\" then return "\\" .. c end
    return "\\" .. c:byte()
  end) .. '"'
end

-- Keys outside the array part 1..#t, names first, then numbers, then the rest.
local RANK = { string = 0, number = 1 }
local function sorted_keys(t)
  local n, keys = #t, {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return (RANK[ta] or 2) < (RANK[tb] or 2) end
    if ta == "string" or ta == "number" then return a < b end
    return false
  end)
  return keys
end

local repr

local function key_text(k, depth)
  if is_identifier(k) then return k end
  return "[" .. repr(k, depth + 1) .. "]"
end

-- Entries of t as {key text or nil, value}, array part first; at most
-- MAX_ITEMS, and whether some were left out.
local function entries(t, depth)
  local out, n = {}, #t
  for i = 1, math.min(n, MAX_ITEMS) do out[#out + 1] = { nil, t[i] } end
  local keys = sorted_keys(t)
  for i = 1, math.min(#keys, MAX_ITEMS - #out) do
    out[#out + 1] = { key_text(keys[i], depth), rawget(t, keys[i]) }
  end
  return out, n + #keys > #out
end

-- Values that print on several lines: tensors, modules, optimizers.
local function is_block(v)
  return is_tensor(v) or (type(v) == "table" and not is_plain(v) and tostring(v):find("\n") ~= nil)
end

-- Whether a plain table holds such a value within the shown depth.
local function holds_block(t, depth, seen)
  if depth > MAX_DEPTH or seen[t] then return false end
  seen[t] = true
  for _, v in pairs(t) do
    if is_block(v) or (is_plain(v) and holds_block(v, depth + 1, seen)) then return true end
  end
  return false
end

-- A table holding tensors (or modules) prints as a tree: one entry per line,
-- each tensor below its key, indented.
local function tree(t, depth, indent)
  local lines, pad = { "{" }, indent .. "  "
  local list, cut = entries(t, depth)
  for i, e in ipairs(list) do
    local key = e[1] or ("[" .. i .. "]")
    local v = e[2]
    if is_block(v) then
      lines[#lines + 1] = pad .. key .. " ="
      lines[#lines + 1] = pad .. "  " .. tostring(v):gsub("\n", "\n" .. pad .. "  ")
    elseif is_plain(v) and depth < MAX_DEPTH and holds_block(v, depth + 1, {}) then
      lines[#lines + 1] = pad .. key .. " = " .. tree(v, depth + 1, pad)
    else
      lines[#lines + 1] = pad .. key .. " = " .. repr(v, depth + 1)
    end
  end
  if cut then lines[#lines + 1] = pad .. "..." end
  lines[#lines + 1] = indent .. "}"
  return table.concat(lines, "\n")
end

-- A readable rendering of v: strings are quoted inside tables (depth > 1),
-- plain tables print as constructors, everything else as tostring shows it.
function repr(v, depth)
  depth = depth or 1
  if type(v) == "string" then return depth > 1 and quote(v) or v end
  if not is_plain(v) then return tostring(v) end
  if depth > MAX_DEPTH then return "{...}" end
  if holds_block(v, depth, {}) then return tree(v, depth, "") end
  local parts, list, cut = {}, entries(v, depth)
  for _, e in ipairs(list) do
    parts[#parts + 1] = (e[1] and (e[1] .. " = ") or "") .. repr(e[2], depth + 1)
  end
  if cut then parts[#parts + 1] = "..." end
  return "{" .. table.concat(parts, ", ") .. "}"
end
M.repr = repr

-- The values of a REPL line, tab-separated.
function M.format(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = repr((select(i, ...)), 1) end
  return table.concat(parts, "\t")
end

-- -------------------------------------------------------------- completion

-- The table v's methods come from: its metatable's __index when that is a
-- table; when __index is a C function (as the tensor binding's, which also
-- serves t[i]), the table in its first upvalue; when it is a Lua function (as
-- an nn module's, which also serves its parameters), the metatable itself,
-- which is the class. Reading an upvalue runs no code.
local function next_index(v)
  local mt = getmetatable(v)
  local index = type(mt) == "table" and rawget(mt, "__index") or nil
  if type(index) == "table" then return index end
  if type(index) == "function" then
    if debug.getinfo(index, "S").what ~= "C" then return mt end
    local _, up = debug.getupvalue(index, 1)
    if type(up) == "table" then return up end
  end
end

-- An nn module's registered parameters, buffers and children live outside its
-- raw fields (nn/Module.lua): its `_kind` table maps each name to its store.
local function member(v, name)
  local kind = type(v) == "table" and rawget(v, "_kind")
  local where = type(kind) == "table" and kind[name]
  if where then return rawget(v, where)[name] end
end

-- The names a lazy module declares it loads on first use.
local function lazy_names(v)
  local mt = type(v) == "table" and getmetatable(v) or nil
  local lazy = type(mt) == "table" and rawget(mt, "__lazy") or nil
  if type(lazy) == "function" then lazy = lazy() end
  return type(lazy) == "table" and lazy or {}
end

-- v[name] without side effects: raw fields along the __index chain, or a
-- lazy module's declared name (loading that module is the one effect).
local function field(v, name)
  for _ = 1, 8 do
    if type(v) == "table" then
      local f = rawget(v, name)
      if f == nil then f = member(v, name) end
      if f ~= nil then return f end
      for _, lazy in ipairs(lazy_names(v)) do
        if lazy == name then
          local ok, f2 = pcall(function() return v[name] end)
          return ok and f2 or nil
        end
      end
    end
    v = next_index(v)
    if v == nil then return nil end
  end
end

-- Every public name of v (fields, methods, lazy names), as a set.
local function names_of(v, methods_only)
  local set = {}
  local function add(k, value)
    if is_identifier(k) and k:sub(1, 1) ~= "_" and (not methods_only or type(value) == "function") then
      set[k] = true
    end
  end
  if is_tensor(v) and not methods_only then
    for _, k in ipairs(M.TENSOR_FIELDS) do set[k] = true end
  end
  local kind = type(v) == "table" and rawget(v, "_kind")
  if type(kind) == "table" and not methods_only then
    for k in pairs(kind) do add(k, true) end
  end
  local t = v
  for _ = 1, 8 do
    if t == nil then break end
    if type(t) == "table" then
      for k, value in pairs(t) do add(k, value) end
      if not methods_only then
        for _, k in ipairs(lazy_names(t)) do add(k, true) end
      end
    end
    t = next_index(t)
  end
  return set
end

-- Completions of `text`, the word before the cursor: `a.b.c:pre` walks a, b,
-- c from the globals and offers the names of the last value that start with
-- `pre` (after ':' only methods); a bare word offers globals and keywords.
-- Private names (a leading '_', such as lucid._C) are not offered, nor what
-- is inside them.
function M.complete(text)
  local out = {}
  local path, sep, prefix = text:match("^(.*)([.:])([%w_]*)$")
  local value, set
  if not path then
    prefix, set = text, names_of(_G)
    for _, k in ipairs(KEYWORDS) do set[k] = true end
    path, sep = "", ""
  else
    value = _G
    for seg, s in (path .. "."):gmatch("([^.:]*)([.:])") do
      if not is_identifier(seg) or s == ":" then return out end -- a:b.c is no path
      if seg:sub(1, 1) == "_" and seg ~= "_G" then return out end
      value = field(value, seg)
      if value == nil then return out end
    end
    set = names_of(value, sep == ":")
  end
  for k in pairs(set) do
    if k:sub(1, #prefix) == prefix then out[#out + 1] = path .. sep .. k end
  end
  table.sort(out)
  return out
end

-- ------------------------------------------------------------------- help

-- docs/ beside lua/ in a source tree, <prefix>/share/doc/lucid installed,
-- lucid/docs beside the modules in a LuaRocks tree.
local function docs_dir()
  local init = package.searchpath("lucid", package.path)
  local base = init and init:match("^(.*)/lucid/init%.lua$")
  if not base then return nil end
  for _, dir in ipairs({ base .. "/../docs", base .. "/../../doc/lucid", base .. "/lucid/docs" }) do
    local f = io.open(dir .. "/tensors.md")
    if f then f:close() return dir end
  end
end

local function doc_pages(dir)
  local pages = {}
  local list = io.popen("ls " .. string.format("%q", dir) .. "/*.md 2>/dev/null")
  for path in list:lines() do pages[#pages + 1] = path end
  list:close()
  return pages
end

local page_lines = {} -- each page is read once per process

-- How well the code span `code` names `name` (a.b.c or x:m): 3 for the whole
-- path, 2 for `lucid.` plus it, 1 for the last component alone, else 0.
local function span_score(code, name)
  local head = code:match("^[%w_.:]+")
  if not head then return 0 end
  if head == name then return 3 end
  if head == "lucid." .. name or "lucid." .. head == name then return 2 end
  local leaf = name:match("([%w_]+)$")
  if head:match("[.:]" .. leaf .. "$") or head == leaf then
    local q = name:match("^(.-)[.:][%w_]+$")
    -- a qualified name must agree on its qualifier (x:max is not nn.max)
    if not q or head:find(q, 1, true) or q == "x" or q == "lucid"
        or (q == "nn.functional" and head:sub(1, 2) == "F.") then -- docs write F for it
      return 1
    end
  end
  return 0
end

-- The best entry for name in one page, with its score and the code that
-- names it: a table row or a signature block first, then a bullet, a
-- paragraph whose first line names it, a section whose heading ends with it,
-- and last a line of prose that mentions it.
local function page_entry(path, name)
  local lines = page_lines[path]
  if not lines then
    lines = {}
    for line in io.lines(path) do lines[#lines + 1] = line end
    page_lines[path] = lines
  end
  local best, best_score, best_code, heading = nil, 0, nil, nil
  local function consider(score, text, code)
    if score > best_score then best, best_score, best_code = text, score, code end
  end
  local in_code, i = false, 1
  while i <= #lines do
    local line = lines[i]
    if line:match("^```") then in_code = not in_code end
    if not in_code then
      if line:match("^#+ ") then heading = line end
      local first = line:match("^|%s*(.-)%s*|") -- a table row's first cell
      if first and not line:match("^|%s*%-%-%-") then
        for code in first:gmatch("`([^`]+)`") do
          consider(span_score(code, name) * 10 + 4, (heading or "") .. "\n\n" .. line, code)
        end
      end
      local bullet = line:match("^%- `([^`]+)`")
      if bullet then
        local j, text = i, { line }
        while lines[j + 1] and lines[j + 1]:match("^  %S") do j = j + 1; text[#text + 1] = lines[j] end
        consider(span_score(bullet, name) * 10 + 3, (heading or "") .. "\n\n" .. table.concat(text, "\n"), bullet)
      end
      local signature = line:match("^    ([%w_.:]+)%(") -- an indented signature block
      if signature then
        local j, text = i, { line }
        while lines[j + 1] and (lines[j + 1]:match("^    ") or lines[j + 1] == "") do
          j = j + 1; text[#text + 1] = lines[j]
        end
        while lines[j + 1] and lines[j + 1] ~= "" do j = j + 1; text[#text + 1] = lines[j] end
        local sig = line:match("^    (.-)%s*$")
        consider(span_score(signature, name) * 10 + 4, (heading or "") .. "\n\n" .. table.concat(text, "\n"), sig)
      end
      if line:match("^`") then -- a paragraph opening with the name (on its first line)
        local j, text = i, { line }
        while lines[j + 1] and lines[j + 1] ~= "" and not lines[j + 1]:match("^```") do
          j = j + 1; text[#text + 1] = lines[j]
        end
        for code in line:gmatch("`([^`]+)`") do
          consider(span_score(code, name) * 10 + 2, (heading or "") .. "\n\n" .. table.concat(text, "\n"), code)
        end
      end
      local title = line:match("^#+ [^`]*`([^`]+)`%s*$") -- a section named by it
      if title then
        local j, text = i, { line }
        while lines[j + 1] and not lines[j + 1]:match("^#+ ") do j = j + 1; text[#text + 1] = lines[j] end
        consider(span_score(title, name) * 10 + 1, table.concat(text, "\n"), title)
      end
      if not line:match("^#") and not line:match("^|") then -- a mention in prose
        for code in line:gmatch("`([^`]+)`") do
          consider(span_score(code, name) * 10, (heading or "") .. "\n\n" .. line, code)
        end
      end
    end
    i = i + 1
  end
  return best, best_score, best_code
end

-- The documentation entry of a name ("lucid.zeros", "nn.GRU", "x:matmul",
-- "matmul"): "docs/page.md", the entry's text and the code that names it
-- (a signature such as "lucid.zeros(sizes…)" where the docs give one); nil
-- when no entry names it.
function M.doc(name)
  local dir = docs_dir()
  if not dir then return nil end
  local best, best_score, where, code = nil, 9, nil, nil -- a score of 10+ names it
  for _, path in ipairs(doc_pages(dir)) do
    local text, score, c = page_entry(path, name)
    if text and score > best_score then
      best, best_score, where, code = text, score, "docs/" .. path:match("([^/]+)$"), c
    end
  end
  return where, best, code
end

-- The name of a value among lucid's public tables, or nil.
local function name_of(value)
  local lucid = package.loaded.lucid
  local nn = package.loaded.nn
  local places = {
    { "lucid.", lucid }, { "nn.", nn }, { "nn.functional.", nn and nn.functional },
    { "nn.init.", nn and nn.init }, { "nn.utils.", nn and nn.utils },
    { "nn.utils.rnn.", nn and nn.utils and nn.utils.rnn }, { "lucid.optim.", lucid and lucid.optim },
    { "lucid.autograd.", lucid and lucid.autograd },
  }
  if value == lucid then return "lucid" end
  for _, p in ipairs(places) do
    if p[2] == value then return p[1]:sub(1, -2) end
    if type(p[2]) == "table" then
      for k, v in pairs(p[2]) do
        if v == value and is_identifier(k) then return p[1] .. k end
      end
    end
  end
  local methods = next_index(lucid and lucid.zeros(1) or nil)
  for k, v in pairs(methods or {}) do
    if v == value then return "x:" .. k end
  end
  -- an instance: a module or an optimizer is documented under its class
  local mt = getmetatable(value)
  local class = type(mt) == "table" and rawget(mt, "__name")
  if type(class) == "string" and is_identifier(class) then
    if nn and rawget(nn, class) == mt then return "nn." .. class end
    local optim = lucid and rawget(lucid, "optim")
    if optim and rawget(optim, class) == mt then return "lucid.optim." .. class end
  end
  if is_tensor(value) then return "lucid.tensor" end
end

-- Prints the documentation entry of x: a name ("nn.GRU", "x:matmul") or a
-- value (a function, a module class, a tensor). `?name` at the prompt is
-- help("name"); help() says how to use it.
function M.help(x)
  if x == nil then
    print("help(x) or ?name prints the documentation of a function, method or module\n" ..
      "from lucid's docs/ pages: ?lucid.zeros, ?nn.GRU, ?x:matmul, help(lucid.cat).")
    return
  end
  local name = type(x) == "string" and x:match("^%s*(.-)%s*$") or name_of(x)
  if not name then
    print("help: no documented name for this " .. type(x) .. " value")
    return
  end
  local where, text = M.doc(name)
  if not where then
    print("help: no documentation entry for '" .. name .. "'")
    return
  end
  print(where .. "\n" .. text)
end

return M
