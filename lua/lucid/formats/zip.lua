-- zip containers, as PyTorch (torch.save) and NumPy (.npz) write them:
-- reading stored and deflated entries through the central directory, and
-- writing stored entries aligned to 64 bytes (as PyTorch's writer does, so
-- that a reader could map tensor data in place). No zip64: files up to 4 GiB.
local C = require("lucid")._C

local M = {}

local function fail(fname, msg) error(fname .. ": " .. msg, 0) end

-- Reads the archive in `bytes`; returns a table name -> entry and the list of
-- names in order. fname names the caller in errors.
function M.read(bytes, fname)
  local n = #bytes
  -- the end of central directory record: 22 bytes plus a comment of up to 64 KiB
  local eocd
  for pos = n - 21, math.max(1, n - 22 - 65535), -1 do
    if bytes:byte(pos) == 0x50 and bytes:sub(pos, pos + 3) == "PK\5\6" then eocd = pos break end
  end
  if not eocd then fail(fname, "not a zip file (no end of central directory)") end
  local count, dir_size, dir_offset = string.unpack("<I2I4I4", bytes, eocd + 10)
  if count == 0xFFFF or dir_offset == 0xFFFFFFFF then fail(fname, "zip64 archives are not supported") end
  if dir_offset + dir_size > eocd - 1 then fail(fname, "corrupt zip: the directory lies outside the file") end
  local entries, names, pos = {}, {}, dir_offset + 1
  for i = 1, count do
    if pos + 46 > eocd or bytes:sub(pos, pos + 3) ~= "PK\1\2" then
      fail(fname, ("corrupt zip: directory entry %d is damaged"):format(i))
    end
    local flags, method, crc, csize, usize, name_len, extra_len, comment_len, local_off =
      string.unpack("<I2I2xxxxI4I4I4I2I2I2xxxxxxxxI4", bytes, pos + 8)
    local name = bytes:sub(pos + 46, pos + 45 + name_len)
    if #name ~= name_len then fail(fname, "corrupt zip: a name runs past the directory") end
    if flags & 1 ~= 0 then fail(fname, "encrypted zip entries are not supported: " .. name) end
    if method ~= 0 and method ~= 8 then
      fail(fname, ("zip entry %s uses compression method %d (only stored and deflated)"):format(name, method))
    end
    if local_off + 30 > n or bytes:sub(local_off + 1, local_off + 4) ~= "PK\3\4" then
      fail(fname, "corrupt zip: the local header of " .. name .. " is missing")
    end
    local lname, lextra = string.unpack("<I2I2", bytes, local_off + 27)
    local data = local_off + 30 + lname + lextra -- 0-based offset of the data
    if data + csize > n then fail(fname, "corrupt zip: the data of " .. name .. " runs past the end") end
    entries[name] = { method = method, crc = crc, csize = csize, usize = usize, offset = data }
    names[#names + 1] = name
    pos = pos + 46 + name_len + extra_len + comment_len
  end
  return entries, names
end

-- The contents of one entry, checked against its CRC.
function M.extract(bytes, entry, name, fname)
  local data
  if entry.method == 0 then
    if entry.csize ~= entry.usize then fail(fname, "corrupt zip: stored entry " .. name .. " changes size") end
    data = bytes:sub(entry.offset + 1, entry.offset + entry.csize)
  else
    local ok, out = pcall(C.inflate, bytes, entry.offset, entry.csize, entry.usize)
    if not ok then fail(fname, ("zip entry %s: %s"):format(name, out)) end
    data = out
  end
  if C.crc32(data) ~= entry.crc then fail(fname, "corrupt zip: CRC mismatch in " .. name) end
  return data
end

-- Writes entries {{name, data}, ...} as stored, 64-byte aligned, to a string.
function M.write(list)
  local out, dir, size = {}, {}, 0
  local function emit(s) out[#out + 1] = s; size = size + #s end
  for _, e in ipairs(list) do
    local name, data = e[1], e[2]
    local crc = C.crc32(data)
    local offset = size
    local header_end = size + 30 + #name + 4 -- with an extra field header of 4 bytes
    local pad = (64 - header_end % 64) % 64
    if #data >= 0xFFFFFFFF or offset >= 0xFFFFFFFF then error("zip: archives over 4 GiB are not supported", 0) end
    emit(string.pack("<c4I2I2I2I2I2I4I4I4I2I2", "PK\3\4", 20, 0, 0, 0, 0x21, crc, #data, #data,
      #name, 4 + pad))
    emit(name)
    emit(string.pack("<I2I2", 0x4246, pad) .. ("Z"):rep(pad)) -- "FB": padding, as PyTorch
    emit(data)
    dir[#dir + 1] = string.pack("<c4I2I2I2I2I2I2I4I4I4I2I2I2I2I2I4I4", "PK\1\2", 20, 20, 0, 0, 0,
      0x21, crc, #data, #data, #name, 0, 0, 0, 0, 0, offset) .. name
  end
  local dir_offset = size
  local directory = table.concat(dir)
  emit(directory)
  emit(string.pack("<c4I2I2I2I2I4I4I2", "PK\5\6", 0, 0, #list, #list, #directory, dir_offset, 0))
  return table.concat(out)
end

return M
