-- lucid.safetensors: the safetensors format (Hugging Face): an 8-byte
-- little-endian header length, a JSON header naming each tensor's dtype,
-- shape and byte range, then the data. Reading refuses byte ranges that
-- leave the file, overlap, leave holes or disagree with the shape.
--
--   local tensors, metadata = lucid.safetensors.load(path)
--   lucid.safetensors.save({weight = w, bias = b}, path [, metadata])
local lucid = require("lucid")
local C = lucid._C
local json = require("lucid.formats.json")
local file = require("lucid.formats.file")
local args = require("lucid.args")

local M = {}

local kinds = { F32 = "float32", F64 = "float64", I64 = "int64", F16 = "float16", BF16 = "bfloat16",
  I32 = "int32", I16 = "int16", I8 = "int8", U8 = "uint8", BOOL = "bool" }
local sizes = { F32 = 4, F64 = 8, I64 = 8, F16 = 2, BF16 = 2, I32 = 4, I16 = 2, I8 = 1, U8 = 1, BOOL = 1 }
local codes = { float32 = "F32", float64 = "F64", int64 = "I64", bool = "BOOL" }
local MAX_HEADER = 100000000


local function decode(bytes, fname)
  local function fail(msg) error(fname .. ": " .. msg, 0) end
  if #bytes < 8 then fail("not a safetensors file (shorter than its header length)") end
  local n = string.unpack("<I8", bytes)
  if n < 2 or n > MAX_HEADER or n > #bytes - 8 then
    fail(("header length %d is impossible for a file of %d bytes"):format(n, #bytes))
  end
  local header = json.decode(bytes:sub(9, 8 + n), fname)
  if type(header) ~= "table" then fail("the header is not a JSON object") end
  local data_start, data_len = 8 + n, #bytes - 8 - n
  local metadata = header.__metadata__
  header.__metadata__ = nil
  if metadata ~= nil and type(metadata) ~= "table" then fail("__metadata__ must be an object") end
  local ranges, out = {}, {}
  for name, e in pairs(header) do
    if type(e) ~= "table" or not kinds[e.dtype] or type(e.shape) ~= "table"
        or type(e.data_offsets) ~= "table" then
      fail("entry " .. name .. " needs dtype, shape and data_offsets")
    end
    local numel = 1
    for _, s in ipairs(e.shape) do
      if math.type(s) ~= "integer" or s < 0 then fail("entry " .. name .. " has a bad shape") end
      if s > 0 and numel > (1 << 62) // s then fail("entry " .. name .. ": shape overflows") end
      numel = numel * s
    end
    local b, e2 = e.data_offsets[1], e.data_offsets[2]
    if math.type(b) ~= "integer" or math.type(e2) ~= "integer" or b < 0 or e2 < b or e2 > data_len then
      fail(("entry %s: data_offsets [%s, %s] outside the %d data bytes"):format(name, tostring(b),
        tostring(e2), data_len))
    end
    if e2 - b ~= numel * sizes[e.dtype] then
      fail(("entry %s: %d bytes for shape of %d %s elements"):format(name, e2 - b, numel, e.dtype))
    end
    ranges[#ranges + 1] = { b, e2, name }
    local t = C.from_raw(bytes, kinds[e.dtype], false, numel, data_start + b)
    out[name] = #e.shape == 0 and t:view({}) or t:view(e.shape)
  end
  table.sort(ranges, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
  local at = 0
  for _, r in ipairs(ranges) do
    if r[1] < at then fail("entry " .. r[3] .. " overlaps another") end
    if r[1] > at then fail("a hole in the data before entry " .. r[3]) end
    at = r[2]
  end
  if at ~= data_len then fail("data bytes after the last entry") end
  return out, metadata
end

function M.load(path)
  local fname = "safetensors.load"
  return args.call(decode, file.read(path, fname), fname)
end

-- Bytes of a safetensors file holding the tensors of tbl (name -> tensor).
local function encode(tbl, metadata, fname)
  local function fail(msg) error(fname .. ": " .. msg, 0) end
  if type(tbl) ~= "table" then fail("tensors must be a table of name = tensor, got " .. type(tbl)) end
  local names = {}
  for name, t in pairs(tbl) do
    if type(name) ~= "string" then fail("tensor names must be strings, got " .. type(name)) end
    if not lucid.is_tensor(t) then fail(name .. " must be a tensor, got " .. type(t)) end
    if not codes[t.dtype.name] then fail(name .. ": dtype " .. t.dtype.name .. " cannot be stored") end
    names[#names + 1] = name
  end
  -- larger elements first, then by name, as the reference writer does
  table.sort(names, function(a, b)
    local sa, sb = sizes[codes[tbl[a].dtype.name]], sizes[codes[tbl[b].dtype.name]]
    if sa ~= sb then return sa > sb end
    return a < b
  end)
  local header, parts, at = {}, {}, 0
  for i, name in ipairs(names) do
    local t = tbl[name]
    parts[i] = C.to_raw(t)
    local shape = json.array({})
    for d = 1, t:dim() do shape[d] = t:size(d) end
    header[name] = { dtype = codes[t.dtype.name], shape = shape, data_offsets = { at, at + #parts[i] } }
    at = at + #parts[i]
  end
  if metadata ~= nil then
    if type(metadata) ~= "table" then fail("metadata must be a table of strings") end
    for k, v in pairs(metadata) do
      if type(k) ~= "string" or type(v) ~= "string" then fail("metadata must map strings to strings") end
    end
    header.__metadata__ = metadata
  end
  local text = json.encode(header)
  text = text .. (" "):rep((8 - #text % 8) % 8)
  return string.pack("<I8", #text) .. text .. table.concat(parts)
end

function M.save(tbl, path, metadata)
  local fname = "safetensors.save"
  local bytes = args.call(encode, tbl, metadata, fname)
  args.call(file.write, path, bytes, fname)
end

M._decode, M._encode = decode, encode
return M
