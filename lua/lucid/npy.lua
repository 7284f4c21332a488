-- lucid.npy: NumPy's .npy files (one array) and .npz archives (a zip of
-- .npy files, stored or deflated).
--
--   local t = lucid.npy.load(path);          lucid.npy.save(t, path)
--   local tbl = lucid.npy.load_npz(path);    lucid.npy.save_npz({a = t, b = u}, path)
--
-- Reading takes either byte order and C or Fortran order; float16 is read as
-- float32, narrower integers as int64. Writing uses little-endian C order.
local lucid = require("lucid")
local C = lucid._C
local zip = require("lucid.formats.zip")
local file = require("lucid.formats.file")
local args = require("lucid.args")
local raise = args.raise

local M = {}

local kinds = { f4 = "float32", f8 = "float64", f2 = "float16", i8 = "int64", i4 = "int32",
  i2 = "int16", i1 = "int8", u1 = "uint8", b1 = "bool" }
local sizes = { f4 = 4, f8 = 8, f2 = 2, i8 = 8, i4 = 4, i2 = 2, i1 = 1, u1 = 1, b1 = 1 }
local descr_of = { float32 = "<f4", float64 = "<f8", int64 = "<i8", bool = "|b1" }


local function decode(bytes, fname)
  local function fail(msg) error(fname .. ": " .. msg, 0) end
  if bytes:sub(1, 6) ~= "\x93NUMPY" or #bytes < 10 then fail("not a .npy file (no magic string)") end
  local major = bytes:byte(7)
  local hlen, start
  if major == 1 then hlen, start = string.unpack("<I2", bytes, 9), 11
  elseif major == 2 or major == 3 then
    if #bytes < 12 then fail("truncated header") end
    hlen, start = string.unpack("<I4", bytes, 9), 13
  else fail("unsupported .npy version " .. tostring(major)) end
  if start - 1 + hlen > #bytes then fail("truncated header") end
  local header = bytes:sub(start, start + hlen - 1)
  local descr = header:match("'descr':%s*'([^']*)'")
  local order = header:match("'fortran_order':%s*(%a+)")
  local shape_text = header:match("'shape':%s*(%b())")
  if not (descr and order and shape_text) then fail("malformed header " .. header) end
  local endian, code = descr:match("^([<>|=]?)(%a%d+)$")
  if not code or not kinds[code] then fail("unsupported dtype '" .. descr .. "'") end
  local swap = endian == ">" and sizes[code] > 1
  local shape, numel = {}, 1
  for s in shape_text:gmatch("%d+") do
    local v = math.tointeger(tonumber(s))
    if not v or (v > 0 and numel > (1 << 62) // v) then fail("shape overflows") end
    shape[#shape + 1] = v
    numel = numel * v
  end
  if shape_text:gsub("[%s(),%d]", "") ~= "" then fail("malformed shape " .. shape_text) end
  local data = start + hlen - 1
  if #bytes - data < numel * sizes[code] then
    fail(("%d bytes of data for %d elements of %s"):format(#bytes - data, numel, descr))
  end
  local flat = C.from_raw(bytes, kinds[code], swap, numel, data)
  if order == "True" and #shape > 1 then -- column-major: a transposed view
    local strides, step = {}, 1
    for d = 1, #shape do strides[d] = step; step = step * shape[d] end
    return C.strided_view(flat, shape, strides, 0)
  elseif order ~= "True" and order ~= "False" then
    fail("fortran_order must be True or False")
  end
  return flat:view(shape)
end

local function encode(t, fname)
  if not lucid.is_tensor(t) then error(fname .. ": argument 1 must be a tensor, got " .. type(t), 0) end
  local descr = descr_of[t.dtype.name]
  if not descr then error(fname .. ": dtype " .. t.dtype.name .. " cannot be stored", 0) end
  local dims = {}
  for d = 1, t:dim() do dims[d] = tostring(t:size(d)) end
  local shape = "(" .. table.concat(dims, ", ") .. (#dims == 1 and ",)" or ")")
  local header = ("{'descr': '%s', 'fortran_order': False, 'shape': %s, }"):format(descr, shape)
  local pad = 64 - (10 + #header + 1) % 64
  header = header .. (" "):rep(pad % 64) .. "\n"
  return "\x93NUMPY\1\0" .. string.pack("<I2", #header) .. header .. C.to_raw(t)
end

function M.load(path)
  local fname = "npy.load"
  return args.call(decode, file.read(path, fname), fname)
end

function M.save(t, path)
  local fname = "npy.save"
  args.call(file.write, path, args.call(encode, t, fname), fname)
end

function M.load_npz(path)
  local fname = "npy.load_npz"
  local bytes = file.read(path, fname)
  return args.call(function()
    local entries, names = zip.read(bytes, fname)
    local out = {}
    for _, name in ipairs(names) do
      local key = name:match("^(.*)%.npy$") or name
      out[key] = decode(zip.extract(bytes, entries[name], name, fname), fname .. " (" .. name .. ")")
    end
    return out
  end)
end

function M.save_npz(tbl, path)
  local fname = "npy.save_npz"
  if type(tbl) ~= "table" then raise(fname .. ": argument 1 must be a table of name = tensor, got " .. type(tbl)) end
  local names = {}
  for k in pairs(tbl) do
    if type(k) ~= "string" then raise(fname .. ": names must be strings, got " .. type(k)) end
    names[#names + 1] = k
  end
  table.sort(names)
  local list = {}
  for i, k in ipairs(names) do list[i] = { k .. ".npy", args.call(encode, tbl[k], fname) } end
  args.call(file.write, path, zip.write(list), fname)
end

M._decode = decode
return M
