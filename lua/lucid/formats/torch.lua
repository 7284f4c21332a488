-- PyTorch's file format (torch.save since 1.6): a zip archive holding
-- <name>/data.pkl, the pickled object, and <name>/data/<key>, one record per
-- storage, referred to from the pickle by persistent ids. Tensors are views
-- of storages (offset, sizes, strides), so tensors sharing a storage stay
-- sharing it, both ways.
local lucid = require("lucid")
local C = lucid._C
local zip = require("lucid.formats.zip")
local pickle = require("lucid.formats.pickle")

local M = {}

-- storage classes and dtypes PyTorch names -> the raw element kind
local storage_kinds = {
  FloatStorage = "float32", DoubleStorage = "float64", LongStorage = "int64",
  HalfStorage = "float16", BFloat16Storage = "bfloat16", IntStorage = "int32",
  ShortStorage = "int16", CharStorage = "int8", ByteStorage = "uint8", BoolStorage = "bool",
  float32 = "float32", float64 = "float64", int64 = "int64", float16 = "float16",
  bfloat16 = "bfloat16", int32 = "int32", int16 = "int16", int8 = "int8", uint8 = "uint8",
  bool = "bool",
}
local storage_of_dtype = { float32 = "FloatStorage", float64 = "DoubleStorage", int64 = "LongStorage",
  bool = "BoolStorage" }

local function fail(fname, msg) error(fname .. ": " .. msg, 0) end

local function tuple_of_ints(v, what, fname)
  if type(v) ~= "table" then fail(fname, what .. " must be a tuple") end
  for i = 1, #v do
    if math.type(v[i]) ~= "integer" then fail(fname, what .. " must hold integers") end
  end
  return v
end

local function rebuild(args, fname)
  local storage, offset, size, stride = args[1], args[2], args[3], args[4]
  if not lucid.is_tensor(storage) or math.type(offset) ~= "integer" then
    fail(fname, "corrupt tensor record")
  end
  local ok, t = pcall(C.strided_view, storage, tuple_of_ints(size, "size", fname),
    tuple_of_ints(stride, "stride", fname), offset)
  if not ok then fail(fname, "corrupt tensor record: " .. tostring(t)) end
  return t
end

local function globals()
  local g = {
    ["collections.OrderedDict"] = function() return setmetatable({}, pickle.DICT) end,
    ["torch._utils._rebuild_tensor_v2"] = rebuild,
    ["torch._utils._rebuild_tensor"] = rebuild,
    ["torch._utils._rebuild_parameter"] = function(args, fname)
      if not lucid.is_tensor(args[1]) then fail(fname, "corrupt parameter record") end
      return args[1]
    end,
  }
  for name in pairs(storage_kinds) do -- named in persistent ids, never called
    g["torch." .. name] = function(_, fname) fail(fname, "corrupt pickle data (a storage class called)") end
  end
  return g
end

-- Reads a torch.save file's bytes.
function M.load(bytes, fname)
  local entries, names = zip.read(bytes, fname)
  local prefix = names[1] and names[1]:match("^([^/]*)/")
  if not prefix or not entries[prefix .. "/data.pkl"] then
    fail(fname, "a zip file without data.pkl is not a PyTorch file")
  end
  local swap = false
  local bo = entries[prefix .. "/byteorder"]
  if bo then swap = zip.extract(bytes, bo, "byteorder", fname) == "big" end
  local storages = {}
  local env = { globals = globals() }
  function env.persistent(pid, fname_)
    if type(pid) ~= "table" or pid[1] ~= "storage" then fail(fname_, "unsupported persistent id") end
    local class, key, numel = pid[2], pid[3], pid[5]
    if storages[key] then return storages[key] end
    local kind = type(class) == "table" and storage_kinds[class.global:match("([^.]+)$")]
    if not kind or type(key) ~= "string" or math.type(numel) ~= "integer" then
      fail(fname_, "unsupported storage record")
    end
    local name = prefix .. "/data/" .. key
    local entry = entries[name]
    if not entry then fail(fname_, "the storage record " .. name .. " is missing") end
    local data = zip.extract(bytes, entry, name, fname_)
    local ok, t = pcall(C.from_raw, data, kind, swap, numel)
    if not ok then fail(fname_, "storage " .. key .. ": " .. tostring(t)) end
    storages[key] = t
    return t
  end
  function env.build(obj, state) -- OrderedDict's _metadata, a Parameter's state: not kept
    if getmetatable(obj) ~= pickle.DICT and not lucid.is_tensor(obj) then
      fail(fname, "corrupt pickle data (BUILD on an unexpected object)")
    end
  end
  local data = zip.extract(bytes, entries[prefix .. "/data.pkl"], "data.pkl", fname)
  return pickle.load(data, env, fname)
end

-- The bytes of a torch.save file holding obj.
function M.dump(obj, fname)
  local keys, records = {}, {}
  local env = { is_tensor = lucid.is_tensor }
  function env.tensor(out, t, global, int)
    local sname = storage_of_dtype[t.dtype.name]
    if not sname then fail(fname, "cannot store a tensor of dtype " .. t.dtype.name) end
    local storage, offset, numel = C.storage_of(t)
    local key = keys[storage]
    if not key then
      key = tostring(#records)
      keys[storage] = key
      records[#records + 1] = { key, C.to_raw(C.storage_tensor(t)) }
    end
    out[#out + 1] = global("torch._utils", "_rebuild_tensor_v2") .. "("
    out[#out + 1] = "(" .. string.pack("<BI4", 0x58, 7) .. "storage" .. global("torch", sname)
      .. string.pack("<BI4", 0x58, #key) .. key .. string.pack("<BI4", 0x58, 3) .. "cpu"
    int(numel)
    out[#out + 1] = "tQ"
    int(offset)
    out[#out + 1] = "("
    for d = 1, t:dim() do int(t:size(d)) end
    out[#out + 1] = "t("
    for d = 1, t:dim() do int(t:stride(d)) end
    out[#out + 1] = "t\x89" .. global("collections", "OrderedDict") .. ")Rt" .. "R"
  end
  local pkl = pickle.dump(obj, env, fname)
  local list = { { "archive/data.pkl", pkl } }
  for _, r in ipairs(records) do list[#list + 1] = { "archive/data/" .. r[1], r[2] } end
  list[#list + 1] = { "archive/version", "3\n" }
  return zip.write(list)
end

return M
