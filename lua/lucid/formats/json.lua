-- The JSON that file headers use (safetensors): strict decoding into Lua
-- values (null -> nil, numbers -> integer where integral), and encoding of
-- tables with string keys (sorted) or arrays.
local M = {}

local escapes = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

function M.decode(s, fname)
  local pos = 1
  local function fail(msg) error(("%s: bad JSON header at byte %d: %s"):format(fname, pos, msg), 0) end
  local function space() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local a, b = s:find('["\\]', pos)
      if not a then fail("unterminated string") end
      out[#out + 1] = s:sub(pos, a - 1)
      if s:sub(a, a) == '"' then pos = a + 1 break end
      local e = s:sub(a + 1, a + 1)
      if e == "u" then
        local hex = s:match("^%x%x%x%x", a + 2)
        if not hex then fail("bad \\u escape") end
        out[#out + 1] = utf8.char(tonumber(hex, 16))
        pos = a + 6
      elseif escapes[e] then
        out[#out + 1] = escapes[e]
        pos = a + 2
      else
        fail("bad escape")
      end
    end
    return table.concat(out)
  end
  local depth = 0
  function value()
    space()
    local c = s:sub(pos, pos)
    if c == "{" or c == "[" then
      depth = depth + 1
      if depth > 64 then fail("nested too deep") end
      local obj, close, i = {}, c == "{" and "}" or "]", 0
      pos = pos + 1
      space()
      if s:sub(pos, pos) == close then pos = pos + 1; depth = depth - 1; return obj end
      while true do
        if c == "{" then
          space()
          if s:sub(pos, pos) ~= '"' then fail("expected a key") end
          local k = str()
          space()
          if s:sub(pos, pos) ~= ":" then fail("expected ':'") end
          pos = pos + 1
          obj[k] = value()
        else
          i = i + 1
          obj[i] = value()
        end
        space()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == close then break end
        if d ~= "," then fail("expected ',' or '" .. close .. "'") end
      end
      depth = depth - 1
      return obj
    elseif c == '"' then
      return str()
    elseif s:find("^true", pos) then pos = pos + 4; return true
    elseif s:find("^false", pos) then pos = pos + 5; return false
    elseif s:find("^null", pos) then pos = pos + 4; return nil
    end
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" or num == "-" then fail("unexpected character") end
    pos = pos + #num
    return math.tointeger(tonumber(num)) or tonumber(num) or fail("bad number")
  end
  local v = value()
  space()
  if pos <= #s then fail("trailing characters") end
  return v
end

local function encode_string(v)
  return '"' .. v:gsub('[%c"\\]', function(c)
    return c == '"' and '\\"' or c == "\\" and "\\\\" or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

local ARRAY = {}
-- Marks t as a JSON array even when empty.
function M.array(t) return setmetatable(t, ARRAY) end

function M.encode(v)
  local t = type(v)
  if t == "string" then return encode_string(v) end
  if math.type(v) == "integer" then return tostring(v) end
  if t == "number" then return ("%.17g"):format(v) end
  if t == "boolean" then return tostring(v) end
  if v == nil then return "null" end
  if #v > 0 or getmetatable(v) == ARRAY then
    local parts = {}
    for i = 1, #v do parts[i] = M.encode(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = encode_string(k) .. ":" .. M.encode(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

return M
