-- Printing tensors: values in aligned columns, large tensors summarised with
-- "..." (the first and last `edge` entries of each dim), and a footer naming
-- the type and size, as Torch7 printed them.
local M = {}

local THRESHOLD = 1000 -- more elements than this are summarised
local EDGE = 3
local ROW_WIDTH = 80 -- a 1-D tensor prints on one row, summarised beyond this

local type_names = { float32 = "FloatTensor", float64 = "DoubleTensor", int64 = "LongTensor",
  bool = "BoolTensor" }

-- Indices (1-based) kept along a dim of size n.
local function kept(n, summarise)
  local idx = {}
  if summarise and n > 2 * EDGE then
    for i = 1, EDGE do idx[#idx + 1] = i end
    idx[#idx + 1] = false -- the "..." marker
    for i = n - EDGE + 1, n do idx[#idx + 1] = i end
  else
    for i = 1, n do idx[i] = i end
  end
  return idx
end

-- One number format for the whole tensor, chosen from the shown values.
local function number_format(values, is_int)
  if is_int then return "%d" end
  if type(values[1]) == "boolean" then return "%s" end
  local maxabs, minabs, all_int = 0, math.huge, true
  for _, v in ipairs(values) do
    local a = math.abs(v)
    if a == a and a ~= math.huge then
      if a > maxabs then maxabs = a end
      if a > 0 and a < minabs then minabs = a end
      if v ~= math.floor(v) then all_int = false end
    end
  end
  if all_int and maxabs < 1e8 then return "%.0f." end
  if maxabs >= 1e5 or (minabs < 1e-4 and maxabs > 0) then return "%.4e" end
  return "%.4f"
end

local function fmt_value(f, v)
  if type(v) == "boolean" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return string.format(f, v)
end

function M.tensor(t)
  local shape = t.shape
  local dims = #shape
  local footer_size = tostring(shape) -- (5, 3), as every message writes shapes
  local footer = string.format("[ lucid.%s of size %s%s ]", type_names[t.dtype.name], footer_size,
    t.grad_fn and (", grad_fn=" .. t.grad_fn.name) or (t.requires_grad and ", requires_grad" or ""))
  local is_int = t.dtype.name == "int64"
  if dims == 0 then
    local v = t:item()
    return fmt_value(number_format({ v }, is_int), v) .. "\n" .. footer
  end
  local summarise = t:numel() > THRESHOLD
  -- collect the shown values once to choose a format and a width
  local shown = {}
  local function collect(x, d)
    if d == dims then
      for _, i in ipairs(kept(shape[d], summarise)) do
        if i then shown[#shown + 1] = x[i]:item() end
      end
      return
    end
    for _, i in ipairs(kept(shape[d], summarise)) do
      if i then collect(x[i], d + 1) end
    end
  end
  if dims == 1 then
    for _, i in ipairs(kept(shape[1], summarise)) do
      if i then shown[#shown + 1] = t[i]:item() end
    end
  else
    collect(t, 1)
  end
  local f = number_format(shown, is_int)
  local width = 0
  for _, v in ipairs(shown) do width = math.max(width, #fmt_value(f, v)) end
  local cell = "%" .. width .. "s"

  local lines = {}
  local function row(x) -- a 1-D slice as one line
    local parts = {}
    for _, i in ipairs(kept(x:size(1), summarise)) do
      parts[#parts + 1] = i and string.format(cell, fmt_value(f, x[i]:item())) or "..."
    end
    return table.concat(parts, " ")
  end
  -- x is a slice with dims d..dims; the last two dims print as a matrix
  local function block(x, d, prefix)
    if d == dims - 1 then
      for _, i in ipairs(kept(shape[d], summarise)) do
        lines[#lines + 1] = i and row(x[i]) or "..."
      end
      return
    end
    for _, i in ipairs(kept(shape[d], summarise)) do
      if not i then
        lines[#lines + 1] = "..."
        lines[#lines + 1] = ""
      elseif d == dims - 2 then
        lines[#lines + 1] = string.format("(%s%d,.,.) = ", prefix, i)
        block(x[i], d + 1, prefix .. i .. ",")
        lines[#lines + 1] = ""
      else
        block(x[i], d + 1, prefix .. i .. ",")
      end
    end
  end
  if dims == 1 then -- one row, as PyTorch prints a vector
    if shape[1] * (width + 1) - 1 > ROW_WIDTH then summarise = true end
    if shape[1] > 0 then lines[#lines + 1] = row(t) end
  else
    block(t, 1, "")
  end
  lines[#lines + 1] = footer
  return table.concat(lines, "\n")
end

return M
