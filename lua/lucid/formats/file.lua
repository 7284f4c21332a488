-- Whole-file reads and atomic writes for the format modules: a failed save
-- leaves the old file as it was.
local M = {}

function M.read(path, fname)
  if type(path) ~= "string" then
    error(("%s: path must be a string, got %s"):format(fname, type(path)), 0)
  end
  local f, err = io.open(path, "rb")
  if not f then error(fname .. ": cannot open " .. err, 0) end
  local bytes, rerr = f:read("a")
  f:close()
  if not bytes then error(fname .. ": cannot read " .. path .. ": " .. tostring(rerr), 0) end
  return bytes
end

function M.write(path, bytes, fname)
  if type(path) ~= "string" then
    error(("%s: path must be a string, got %s"):format(fname, type(path)), 0)
  end
  local tmp = path .. ".tmp" .. tostring(os.time())
  local f, err = io.open(tmp, "wb")
  if not f then error(fname .. ": cannot write " .. err, 0) end
  local ok, werr = f:write(bytes)
  local closed = f:close()
  if not ok or not closed then
    os.remove(tmp)
    error(fname .. ": cannot write " .. path .. ": " .. tostring(werr), 0)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    error(fname .. ": cannot write " .. path .. ": " .. tostring(rerr), 0)
  end
end

return M
