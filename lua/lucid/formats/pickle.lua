-- Python's pickle format, the subset that torch.save writes (protocol 2, and
-- the opcodes of 3 and 4 that plain data uses), as a small opcode machine.
-- Reading runs no code: a GLOBAL is looked up in the caller's table of
-- allowed globals (each a Lua function that builds the value), and anything
-- else is an error naming it. Writing emits no memo opcodes, so that
-- PyTorch's restricted weights_only loader accepts the result.
--
-- Python values become: int -> integer, float -> number, str and bytes ->
-- string, bool -> boolean, None -> nil, list and tuple -> array, dict ->
-- table (keys as they are: strings or integers).
local M = {}

local LIST, TUPLE, DICT = { "list" }, { "tuple" }, { "dict" }
local MARK = {}

local function fail(fname, msg) error(fname .. ": " .. msg, 0) end

-- Strips the container kinds off the values (shared and cyclic ones once).
local function plain(v, seen)
  if type(v) ~= "table" or getmetatable(v) == nil then return v end
  local kind = getmetatable(v)
  if kind ~= LIST and kind ~= TUPLE and kind ~= DICT then return v end
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  if kind == DICT then
    for k, x in pairs(v) do out[plain(k, seen)] = plain(x, seen) end
  else
    for i = 1, v.n do out[i] = plain(v[i], seen) end
  end
  return out
end

-- load(bytes, {globals = {["module name"] = fn}, persistent = fn(pid)}, fname)
function M.load(bytes, env, fname)
  local pos, n = 1, #bytes
  local stack, marks, memo = {}, {}, {}
  local top = 0
  local function need(k)
    if pos + k - 1 > n then fail(fname, "truncated pickle data") end
  end
  local function unpack(fmt, size)
    need(size)
    local v = string.unpack(fmt, bytes, pos)
    pos = pos + size
    return v
  end
  local function read(k)
    need(k)
    local s = bytes:sub(pos, pos + k - 1)
    pos = pos + k
    return s
  end
  local function push(v) top = top + 1; stack[top] = v end
  local function pop()
    if top == 0 or stack[top] == MARK then fail(fname, "corrupt pickle data (stack underflow)") end
    local v = stack[top]
    stack[top] = nil
    top = top - 1
    return v
  end
  local function peek()
    if top == 0 or stack[top] == MARK then fail(fname, "corrupt pickle data (stack underflow)") end
    return stack[top]
  end
  local function pop_mark() -- the values since the last MARK, as an array
    local m = marks[#marks]
    if not m then fail(fname, "corrupt pickle data (no mark)") end
    marks[#marks] = nil
    local items = { n = top - m }
    for i = m + 1, top do items[i - m] = stack[i]; stack[i] = nil end
    top = m - 1
    stack[m] = nil
    return items
  end
  local function container(kind, items) -- lists and tuples count their items in n
    if kind ~= DICT then items.n = items.n or #items end
    return setmetatable(items, kind)
  end
  local function append_all(list, items)
    if getmetatable(list) ~= LIST then fail(fname, "corrupt pickle data (append to a non-list)") end
    for i = 1, items.n do list.n = list.n + 1; list[list.n] = items[i] end
  end
  local function set_all(dict, items)
    if getmetatable(dict) ~= DICT then fail(fname, "corrupt pickle data (setitem on a non-dict)") end
    for i = 1, items.n - 1, 2 do
      local k = items[i]
      if type(k) ~= "string" and math.type(k) ~= "integer" then
        fail(fname, "dict keys must be strings or integers, got " .. type(k))
      end
      dict[k] = items[i + 1]
    end
  end
  local function global(module, name)
    local full = module .. "." .. name
    local fn = env.globals[full]
    if not fn then fail(fname, "refusing to load the Python global " .. full .. " (only tensors and containers are read)") end
    return { global = full, fn = fn }
  end
  local function memo_get(i)
    if memo[i] == nil then fail(fname, "corrupt pickle data (memo " .. i .. " unset)") end
    return memo[i]
  end

  local ops = {
    [0x80] = function() unpack("B", 1) end,                          -- PROTO
    [0x95] = function() unpack("<I8", 8) end,                        -- FRAME
    [0x28] = function() push(MARK); marks[#marks + 1] = top end,     -- MARK
    [0x7d] = function() push(container(DICT, {})) end,              -- EMPTY_DICT
    [0x5d] = function() push(container(LIST, {})) end,              -- EMPTY_LIST
    [0x29] = function() push(container(TUPLE, {})) end,             -- EMPTY_TUPLE
    [0x74] = function() push(container(TUPLE, pop_mark())) end,     -- TUPLE
    [0x85] = function() local a = pop(); push(container(TUPLE, { a, n = 1 })) end,
    [0x86] = function() local b, a = pop(), pop(); push(container(TUPLE, { a, b, n = 2 })) end,
    [0x87] = function() local c, b, a = pop(), pop(), pop(); push(container(TUPLE, { a, b, c, n = 3 })) end,
    [0x61] = function() local v = pop(); append_all(peek(), { v, n = 1 }) end,   -- APPEND
    [0x65] = function() local items = pop_mark(); append_all(peek(), items) end, -- APPENDS
    [0x73] = function() local v, k = pop(), pop(); set_all(peek(), { k, v, n = 2 }) end,
    [0x75] = function() local items = pop_mark(); set_all(peek(), items) end,    -- SETITEMS
    [0x4a] = function() push(unpack("<i4", 4)) end,                  -- BININT
    [0x4b] = function() push(unpack("B", 1)) end,                    -- BININT1
    [0x4d] = function() push(unpack("<I2", 2)) end,                  -- BININT2
    [0x8a] = function()                                              -- LONG1
      local k = unpack("B", 1)
      if k > 8 then fail(fname, "an integer of " .. k .. " bytes does not fit in 64 bits") end
      push(k == 0 and 0 or string.unpack("<i" .. k, read(k)))
    end,
    [0x47] = function() push(unpack(">d", 8)) end,                   -- BINFLOAT
    [0x58] = function() push(read(unpack("<I4", 4))) end,            -- BINUNICODE
    [0x8c] = function() push(read(unpack("B", 1))) end,              -- SHORT_BINUNICODE
    [0x8d] = function() push(read(unpack("<I8", 8))) end,            -- BINUNICODE8
    [0x55] = function() push(read(unpack("B", 1))) end,              -- SHORT_BINSTRING
    [0x54] = function() push(read(unpack("<I4", 4))) end,            -- BINSTRING
    [0x42] = function() push(read(unpack("<I4", 4))) end,            -- BINBYTES
    [0x43] = function() push(read(unpack("B", 1))) end,              -- SHORT_BINBYTES
    [0x4e] = function() push(nil); stack[top] = nil end,            -- NONE (a hole)
    [0x88] = function() push(true) end,                              -- NEWTRUE
    [0x89] = function() push(false) end,                             -- NEWFALSE
    [0x63] = function()                                              -- GLOBAL
      local nl1 = bytes:find("\n", pos, true)
      local nl2 = nl1 and bytes:find("\n", nl1 + 1, true)
      if not nl2 then fail(fname, "truncated pickle data") end
      local module, name = bytes:sub(pos, nl1 - 1), bytes:sub(nl1 + 1, nl2 - 1)
      pos = nl2 + 1
      push(global(module, name))
    end,
    [0x93] = function() local name, module = pop(), pop(); push(global(tostring(module), tostring(name))) end,
    [0x52] = function()                                              -- REDUCE
      local args, f = pop(), pop()
      if type(f) ~= "table" or not f.fn or getmetatable(args) ~= TUPLE then
        fail(fname, "corrupt pickle data (REDUCE needs a global and a tuple)")
      end
      push(f.fn(args, fname))
    end,
    [0x62] = function()                                              -- BUILD
      local state, obj = pop(), peek()
      if env.build then env.build(obj, state, fname)
      else fail(fname, "corrupt pickle data (BUILD)") end
    end,
    [0x71] = function() memo[unpack("B", 1)] = peek() end,           -- BINPUT
    [0x72] = function() memo[unpack("<I4", 4)] = peek() end,         -- LONG_BINPUT
    [0x68] = function() push(memo_get(unpack("B", 1))) end,          -- BINGET
    [0x6a] = function() push(memo_get(unpack("<I4", 4))) end,        -- LONG_BINGET
    [0x51] = function()                                              -- BINPERSID
      if not env.persistent then fail(fname, "corrupt pickle data (persistent id)") end
      push(env.persistent(plain(pop(), {}), fname))
    end,
  }
  -- MEMOIZE numbers from 0 while #memo counts from 1: keep a counter
  local memo_count = 0
  ops[0x94] = function() memo[memo_count] = peek(); memo_count = memo_count + 1 end

  while true do
    local op = unpack("B", 1)
    if op == 0x2e then -- STOP
      local v = top == 1 and stack[1] or nil
      if top ~= 1 or v == MARK then fail(fname, "corrupt pickle data (stack at STOP)") end
      return plain(v, {})
    end
    local f = ops[op]
    if not f then fail(fname, ("unsupported pickle opcode 0x%02x at byte %d"):format(op, pos - 2)) end
    f()
  end
end

M.DICT, M.LIST, M.TUPLE = DICT, LIST, TUPLE

-- ---- writing -----------------------------------------------------------------

-- A Lua array (1..n, nothing else) is a list; any other table a dict.
local function is_array(t)
  local n = #t
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return n > 0
end

local function sorted_keys(t, fname)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" and math.type(k) ~= "integer" then
      error(fname .. ": table keys must be strings or integers, got " .. type(k), 0)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) == "number" end
    return a < b
  end)
  return keys
end

-- dump(value, {tensor = fn(out, t)}, fname) -> pickle bytes (protocol 2);
-- tensor(out, t) appends the opcodes that rebuild t to the array out.
function M.dump(value, env, fname)
  local out = { "\x80\x02" }
  local depth = 0
  local function emit(s) out[#out + 1] = s end
  local function int(v)
    if v >= 0 and v < 256 then emit(string.pack("<BB", 0x4b, v))
    elseif v >= 0 and v < 65536 then emit(string.pack("<BI2", 0x4d, v))
    elseif v >= -2 ^ 31 and v < 2 ^ 31 then emit(string.pack("<Bi4", 0x4a, v))
    else emit(string.pack("<BBi8", 0x8a, 8, v)) end
  end
  local function str(s) emit(string.pack("<BI4", 0x58, #s)); emit(s) end
  local save
  function save(v)
    local tv = type(v)
    if v == nil then emit("N")
    elseif tv == "boolean" then emit(v and "\x88" or "\x89")
    elseif math.type(v) == "integer" then int(v)
    elseif tv == "number" then emit(string.pack(">Bd", 0x47, v))
    elseif tv == "string" then str(v)
    elseif env.is_tensor(v) then env.tensor(out, v, M.global, int)
    elseif tv == "table" and type(rawget(v, "_modules")) == "table" and getmetatable(v) then
      error(("%s: an nn.Module (%s) cannot be saved: save its model:state_dict() instead, and "
        .. "restore it with model:load_state_dict(lucid.load(path))"):format(fname,
        tostring(getmetatable(v).__name or "Module")), 0)
    elseif tv == "table" then
      depth = depth + 1
      if depth > 200 then error(fname .. ": tables nested more than 200 deep (a cycle?)", 0) end
      if is_array(v) then
        emit("](")
        for i = 1, #v do save(v[i]) end
        emit("e")
      else
        emit("}(")
        for _, k in ipairs(sorted_keys(v, fname)) do save(k); save(v[k]) end
        emit("u")
      end
      depth = depth - 1
    else
      error(("%s: cannot store a %s"):format(fname, tv), 0)
    end
  end
  save(value)
  emit(".")
  return table.concat(out)
end

function M.global(module, name) return "c" .. module .. "\n" .. name .. "\n" end

return M
