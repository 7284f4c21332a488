-- lucid.utils.Logger: scalars recorded per step (loss, accuracy, learning
-- rate...), written as CSV and plotted, after Torch7's optim.Logger.
--
--   local log = lucid.utils.Logger("train.csv")      -- path optional
--   log:log{step = 10, loss = 2.3}                    -- step defaults to the next one
--   log:plot{output = "loss.png", smooth = 10}        -- every scalar, one line each
--   log:series("loss")                                -- {x = steps, y = values}
local args = require("lucid.args")
local raise = args.raise

local Logger = {}
Logger.__index = Logger

local function new(_, path)
  if path ~= nil and type(path) ~= "string" then
    raise("Logger: path must be a file name, got " .. type(path))
  end
  local self = setmetatable({ path = path, names = {}, rows = {}, last_step = 0 }, Logger)
  if path then
    local f, err = io.open(path, "w")
    if not f then raise("Logger: cannot write " .. err) end
    f:close()
  end
  return self
end

setmetatable(Logger, { __call = new })

-- Records one row: name = number pairs, at `step` (default: the last + 1).
-- A name seen for the first time becomes a new column.
function Logger:log(values)
  if type(values) ~= "table" then raise("Logger.log: values must be a table of name = number, got " .. type(values)) end
  local step = values.step or self.last_step + 1
  if math.type(step) ~= "integer" then raise("Logger.log: step must be an integer, got " .. tostring(step)) end
  local row, new_names = { step = step }, {}
  for k, v in pairs(values) do
    if k ~= "step" then
      if type(k) ~= "string" then raise("Logger.log: names must be strings, got " .. type(k)) end
      if type(v) ~= "number" then
        local ok, item = pcall(function() return v:item() end) -- a one-element tensor
        if not ok or type(item) ~= "number" then
          raise(("Logger.log: %s must be a number, got %s"):format(k, type(v)))
        end
        v = item
      end
      row[k] = v
      if not self.names[k] then new_names[#new_names + 1] = k end
    end
  end
  table.sort(new_names)
  for _, k in ipairs(new_names) do
    self.names[#self.names + 1] = k
    self.names[k] = true
  end
  self.rows[#self.rows + 1] = row
  self.last_step = step
  if self.path then self:write_csv(self.path) end
  return self
end

-- Torch7's name for log.
Logger.add = Logger.log

-- The values of one scalar and the steps they were recorded at.
function Logger:series(name)
  local x, y = {}, {}
  for _, r in ipairs(self.rows) do
    if r[name] ~= nil then x[#x + 1] = r.step; y[#y + 1] = r[name] end
  end
  return { x = x, y = y, label = name }
end

-- Writes every row as CSV: a header `step,name1,name2,...`, empty fields
-- where a row lacks a value.
function Logger:write_csv(path)
  path = path or self.path
  if type(path) ~= "string" then raise("Logger.write_csv: path must be a file name, got " .. type(path)) end
  local lines = { "step," .. table.concat(self.names, ",") }
  for _, r in ipairs(self.rows) do
    local cells = { tostring(r.step) }
    for i, k in ipairs(self.names) do cells[i + 1] = r[k] and ("%.10g"):format(r[k]) or "" end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then raise("Logger.write_csv: cannot write " .. err) end
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
  os.rename(tmp, path)
end

-- Plots the named scalars (default: all) with lucid.plot's options.
function Logger:plot(opts)
  opts = opts or {}
  local names = opts.names or self.names
  local series = {}
  for _, k in ipairs(names) do series[#series + 1] = self:series(k) end
  local o = {}
  for k, v in pairs(opts) do if k ~= "names" then o[k] = v end end
  o.xlabel = o.xlabel or "step"
  return require("lucid.plot")(series, o)
end

return Logger
