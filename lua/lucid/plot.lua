-- lucid.plot: line plots through gnuplot (Debian's gnuplot-nox), to a PNG or
-- SVG file, or as text for the terminal (gnuplot's dumb terminal).
--
--   lucid.plot(losses)                                   -- text, returned and printed
--   lucid.plot({train = t1, valid = t2}, {output = "loss.png", logy = true, smooth = 20})
--   lucid.plot({{x = steps, y = loss, label = "loss"}}, {title = "training", xlabel = "step"})
--
-- A series is a 1-D tensor or a Lua array of numbers (y against 1, 2, ...), or
-- a table {x = ..., y = ..., label = ...}. Several series come as a table of
-- label = series (drawn in label order) or an array of series tables.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise

local M = {}

local OPTIONS = { "data", "output", "title", "xlabel", "ylabel", "logx", "logy", "smooth",
  "width", "height", "print" }

local function numbers(v, what)
  if lucid.is_tensor(v) then
    if v:dim() ~= 1 then
      raise(("plot: %s must be a 1-D tensor, got shape %s"):format(what, tostring(v.shape)))
    end
    return v:double():tolist()
  end
  if type(v) ~= "table" then raise(("plot: %s must be a tensor or an array of numbers, got %s"):format(what, type(v))) end
  for i = 1, #v do
    if type(v[i]) ~= "number" then raise(("plot: %s[%d] must be a number, got %s"):format(what, i, type(v[i]))) end
  end
  return v
end

local function is_series_table(v) return type(v) == "table" and not lucid.is_tensor(v) and v.y ~= nil end

-- The series as {x = {...}, y = {...}, label = "..."}.
local function series_of(data)
  if lucid.is_tensor(data) or (type(data) == "table" and type(data[1]) == "number")
      or (type(data) == "table" and next(data) == nil) then
    return { { y = numbers(data, "data"), label = nil } }
  end
  if is_series_table(data) then data = { data } end
  if type(data) ~= "table" then raise("plot: data must be a tensor, an array or a table of series, got " .. type(data)) end
  local list = {}
  if #data > 0 then
    for i, s in ipairs(data) do
      if not is_series_table(s) then raise(("plot: series %d must be a table with y (and x, label)"):format(i)) end
      list[i] = { x = s.x and numbers(s.x, "x of series " .. i), y = numbers(s.y, "y of series " .. i),
        label = s.label and tostring(s.label) }
    end
  else
    local labels = {}
    for k in pairs(data) do labels[#labels + 1] = tostring(k) end
    table.sort(labels)
    for _, k in ipairs(labels) do
      local s = data[k]
      if is_series_table(s) then
        list[#list + 1] = { x = s.x and numbers(s.x, "x of " .. k), y = numbers(s.y, "y of " .. k), label = k }
      else
        list[#list + 1] = { y = numbers(s, k), label = k }
      end
    end
  end
  for _, s in ipairs(list) do
    if s.x and #s.x ~= #s.y then
      raise(("plot: series %s has %d x values and %d y values"):format(s.label or "", #s.x, #s.y))
    end
  end
  return list
end

-- A trailing moving average over k points (the first points average what
-- there is), so a noisy loss curve shows its trend.
local function smooth(y, k)
  local out, sum = {}, 0
  for i = 1, #y do
    sum = sum + y[i] - (i > k and y[i - k] or 0)
    out[i] = sum / math.min(i, k)
  end
  return out
end

local function gnuplot_path()
  local p = io.popen("command -v gnuplot 2>/dev/null")
  local path = p:read("l")
  p:close()
  return path
end

local function quote(s) return "'" .. tostring(s):gsub("'", "''") .. "'" end

function M.plot(...)
  local a = args.parse("plot", OPTIONS, 2, ...)
  local list = series_of(a.data)
  local k = a.smooth
  if k ~= nil and (math.type(k) ~= "integer" or k < 1) then
    raise("plot: smooth must be a positive integer (points to average), got " .. tostring(k))
  end
  local output = a.output
  local shown -- a notebook shows pictures: render to a PNG for M.display
  if output == nil and M.display then
    shown = os.tmpname() .. ".png"
    output = shown
  end
  local terminal
  if output == nil then
    terminal = ("dumb size %d,%d"):format(a.width or 79, a.height or 24)
  elseif type(output) ~= "string" then
    raise("plot: output must be a file name ending in .png or .svg, got " .. type(output))
  elseif output:match("%.png$") then
    terminal = ("pngcairo size %d,%d"):format(a.width or 800, a.height or 480)
  elseif output:match("%.svg$") then
    terminal = ("svg size %d,%d"):format(a.width or 800, a.height or 480)
  else
    raise("plot: output must end in .png or .svg, got '" .. output .. "'")
  end
  local gp = gnuplot_path()
  if not gp then
    raise("plot: gnuplot is not installed: install Debian's gnuplot-nox (apt-get install gnuplot-nox)")
  end
  local dat = os.tmpname()
  local f = assert(io.open(dat, "w"))
  local plots = {}
  for i, s in ipairs(list) do
    local y = k and smooth(s.y, k) or s.y
    for j = 1, #y do f:write(("%.17g %.17g\n"):format(s.x and s.x[j] or j, y[j])) end
    f:write("\n\n") -- gnuplot's data blocks: index i - 1
    plots[i] = ("%s index %d using 1:2 with lines %s"):format(quote(dat), i - 1,
      s.label and "title " .. quote(s.label) or "notitle")
  end
  f:close()
  local script = { "set terminal " .. terminal }
  if output then script[#script + 1] = "set output " .. quote(output) end
  if a.title then script[#script + 1] = "set title " .. quote(a.title) end
  if a.xlabel then script[#script + 1] = "set xlabel " .. quote(a.xlabel) end
  if a.ylabel then script[#script + 1] = "set ylabel " .. quote(a.ylabel) end
  if a.logx then script[#script + 1] = "set logscale x" end
  if a.logy then script[#script + 1] = "set logscale y" end
  script[#script + 1] = "plot " .. table.concat(plots, ", ")
  local gpf = os.tmpname()
  f = assert(io.open(gpf, "w"))
  f:write(table.concat(script, "\n"), "\n")
  f:close()
  local p = io.popen(("%s %s 2>&1"):format(gp, gpf))
  local text = p:read("a")
  local ok = p:close()
  os.remove(dat)
  os.remove(gpf)
  if not ok then raise("plot: gnuplot failed: " .. text) end
  if shown then return M.display(shown) end
  if output then return output end
  if a.print ~= false then io.write(text) end
  return text
end

M._smooth = smooth
return setmetatable(M, { __call = function(_, ...) return M.plot(...) end })
