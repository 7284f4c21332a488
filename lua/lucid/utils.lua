-- lucid.utils: small helpers for training scripts: command-line flags and a
-- progress bar.
--
--   local utils = require("lucid.utils")
--   local opts = utils.parse_args(arg, { steps = 100, model = "gru", tiny = false })
--   local bar = utils.progress(opts.steps)
--   for step = 1, opts.steps do ... bar:update(step, { loss = l }) end
--   bar:done()
local lucid = require("lucid")
local args = require("lucid.args")

local M = {}

-- Parses `--name value`, `--name=value` and `--flag` (booleans) against a
-- table of defaults, whose types decide how values are read. Unknown names
-- and bad values are errors naming the flag. Words that are not flags are
-- returned in order as the array part of the result.
function M.parse_args(argv, defaults)
  local opts, i = {}, 1
  for k, v in pairs(defaults) do opts[k] = v end
  local function value_of(name, text)
    local kind = type(defaults[name])
    if kind == "number" then
      local n = tonumber(text)
      if not n then error(string.format("--%s: expected a number, got '%s'", name, tostring(text)), 0) end
      return n
    end
    if kind == "boolean" then
      if text == "true" or text == "1" then return true end
      if text == "false" or text == "0" then return false end
      error(string.format("--%s: expected true or false, got '%s'", name, tostring(text)), 0)
    end
    return text
  end
  while argv[i] do
    local a = argv[i]
    local name, inline = a:match("^%-%-([%w_%-]+)=(.*)$")
    name = name or a:match("^%-%-([%w_%-]+)$")
    if name then
      name = name:gsub("%-", "_")
      if defaults[name] == nil then
        error(string.format("unknown option --%s", name), 0)
      end
      if inline then
        opts[name] = value_of(name, inline)
      elseif type(defaults[name]) == "boolean" then
        opts[name] = true
      else
        i = i + 1
        if argv[i] == nil then error(string.format("--%s needs a value", name), 0) end
        opts[name] = value_of(name, argv[i])
      end
    else
      opts[#opts + 1] = a
    end
    i = i + 1
  end
  return opts
end

local function clock_text(seconds)
  seconds = math.max(0, math.floor(seconds + 0.5))
  local h, m, s = seconds // 3600, seconds % 3600 // 60, seconds % 60
  if h > 0 then return string.format("%d:%02d:%02d", h, m, s) end
  return string.format("%d:%02d", m, s)
end
M.clock_text = clock_text

local Progress = {}
Progress.__index = Progress

-- A progress bar over `total` steps: `[#####.....] 50/100 12.3 steps/s
-- loss 1.234 ETA 0:04`. On a terminal it redraws one line; otherwise (a log,
-- a test) it prints a line every `every` steps (default total / 10).
function M.progress(...)
  local opts = args.parse("utils.progress", { "total", "*", "out", "tty", "width", "every", "first" }, 2, ...)
  local total = opts.total
  local out = opts.out or io.stdout
  local tty = opts.tty
  if tty == nil then tty = os.getenv("TERM") ~= nil and os.execute("test -t 1") == true end
  return setmetatable({
    total = total, out = out, tty = tty, width = opts.width or 24,
    every = opts.every or math.max(1, total // 10), start = lucid.clock(), first = opts.first or 0,
  }, Progress)
end

function Progress:line(step, fields)
  local elapsed = lucid.clock() - self.start
  local done_steps = step - self.first
  local rate = elapsed > 0 and done_steps / elapsed or 0
  local eta = rate > 0 and (self.total - step) / rate or 0
  local filled = math.floor(self.width * step / self.total + 0.5)
  local parts = {
    string.format("[%s%s] %d/%d %.1f steps/s", string.rep("#", filled),
      string.rep(".", self.width - filled), step, self.total, rate),
  }
  local names = {}
  for k in pairs(fields or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = fields[k]
    parts[#parts + 1] = type(v) == "number" and string.format("%s %.4f", k, v) or (k .. " " .. tostring(v))
  end
  parts[#parts + 1] = "ETA " .. clock_text(eta)
  return table.concat(parts, " ")
end

function Progress:update(step, fields)
  if self.tty then
    self.out:write("\r", self:line(step, fields), "\027[K")
    self.out:flush()
  elseif step % self.every == 0 or step == self.total then
    self.out:write(self:line(step, fields), "\n")
  end
end

-- Ends the bar's line (on a terminal) and returns the seconds it ran.
function Progress:done()
  if self.tty then self.out:write("\n") end
  return lucid.clock() - self.start
end

-- lucid.utils.Logger and the other modules of lua/lucid/utils/ load on first use.
return setmetatable(M, {
  __index = function(t, k)
    if type(k) ~= "string" or not package.searchpath("lucid.utils." .. k, package.path) then return nil end
    local mod = require("lucid.utils." .. k)
    rawset(t, k, mod)
    return mod
  end,
})
