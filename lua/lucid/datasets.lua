-- lucid.datasets: data that Debian packages ship, so that examples and users
-- train on real data with no network. Each loader parses its files once per
-- process (and keeps a copy under ~/.cache/lucid, refreshed when the source
-- changes); a missing package is an error naming what to install.
--
--   lucid.datasets.fortunes()            -- text: Debian's fortune cookies
--   lucid.datasets.words{list = "words"} -- word lists: words, web2, propernames, connectives
--   lucid.datasets.sunspots()            -- yearly sunspot activity, 1700-2008
--   lucid.datasets.co2()                 -- weekly CO2 at Mauna Loa, 1958-2001
--   lucid.datasets.seattle_weather()     -- daily weather and its label, 2012-2015
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise
local C = lucid._C

local M = {}

local memo = {}

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function need(fname, path, package)
  local s = read(path)
  if not s then
    raise(("datasets.%s: %s is missing: install Debian's %s (apt-get install %s)"):format(
      fname, path, package, package))
  end
  return s
end

-- gzip (RFC 1952): a header, raw deflate, then CRC-32 and the size mod 2^32.
local function gunzip(bytes, fname)
  if bytes:sub(1, 3) ~= "\31\139\8" then raise("datasets." .. fname .. ": not a gzip file") end
  local flags, pos = bytes:byte(4), 11
  if flags & 4 ~= 0 then pos = pos + 2 + string.unpack("<I2", bytes, pos) end
  if flags & 8 ~= 0 then pos = bytes:find("\0", pos, true) + 1 end
  if flags & 16 ~= 0 then pos = bytes:find("\0", pos, true) + 1 end
  if flags & 2 ~= 0 then pos = pos + 2 end
  local crc, size = string.unpack("<I4I4", bytes, #bytes - 7)
  local out = args.call(C.inflate, bytes, pos - 1, #bytes - 8 - (pos - 1), size)
  if C.crc32(out) ~= crc then raise("datasets." .. fname .. ": corrupt gzip data") end
  return out
end

-- The source's parse, cached in this process and on disk (lucid.save),
-- keyed by the source's size so that an updated package is parsed again.
local function cached(name, source_bytes, parse)
  local key = name .. ":" .. #source_bytes
  if memo[key] then return memo[key] end
  local dir = (os.getenv("XDG_CACHE_HOME") or ((os.getenv("HOME") or "/tmp") .. "/.cache")) .. "/lucid"
  local path = dir .. "/" .. name:gsub("[^%w_]", "_") .. ".lcd"
  local ok, hit = pcall(lucid.load, path)
  if ok and type(hit) == "table" and hit.key == key then
    memo[key] = hit.value
    return hit.value
  end
  local value = parse(source_bytes)
  memo[key] = value
  if os.execute("mkdir -p '" .. dir .. "' 2>/dev/null") then
    pcall(lucid.save, { key = key, value = value }, path)
  end
  return value
end

local function csv_rows(text)
  local rows = {}
  for line in text:gmatch("[^\r\n]+") do
    local cells = {}
    for cell in (line .. ","):gmatch('"?([^,"]*)"?,') do cells[#cells + 1] = cell end
    rows[#rows + 1] = cells
  end
  return rows
end

-- ---- text ------------------------------------------------------------------------

local FORTUNES = "/usr/share/games/fortunes"

-- All fortune cookies as one string, fortunes separated by blank lines.
function M.fortunes()
  local list = io.popen("ls " .. FORTUNES .. " 2>/dev/null")
  local parts = {}
  for name in list:lines() do
    if not name:match("%.") then
      local s = read(FORTUNES .. "/" .. name)
      if s then
        local n
        s = "\n" .. s -- a file may start with a "%" line
        repeat s, n = s:gsub("\n%%\n", "\n\n") until n == 0 -- "%" lines, also back to back
        parts[#parts + 1] = s:sub(2)
      end
    end
  end
  list:close()
  if #parts == 0 then
    raise("datasets.fortunes: " .. FORTUNES .. " is missing: install Debian's fortunes (apt-get install fortunes)")
  end
  return table.concat(parts)
end

local word_lists = {
  words = { "/usr/share/dict/words", "wamerican" },
  web2 = { "/usr/share/dict/web2", "miscfiles" },
  propernames = { "/usr/share/dict/propernames.gz", "miscfiles" },
  connectives = { "/usr/share/dict/connectives.gz", "miscfiles" },
}

-- words{list = "words"}: a word list as an array of strings, one per line.
function M.words(...)
  local a = args.parse("datasets.words", { "list" }, 1, ...)
  local name = a.list or "words"
  local src = word_lists[name]
  if not src then
    raise("datasets.words: list must be 'words', 'web2', 'propernames' or 'connectives', got " .. tostring(name))
  end
  local bytes = need("words", src[1], src[2])
  return cached("words_" .. name, bytes, function(b)
    if src[1]:match("%.gz$") then b = gunzip(b, "words") end
    local out = {}
    for w in b:gmatch("[^\n]+") do out[#out + 1] = w end
    return out
  end)
end

-- ---- time series and labelled sequences ----------------------------------------

local STATSMODELS = "/usr/lib/python3/dist-packages/statsmodels/datasets/"

-- sunspots(): {year = int64 (N), activity = float64 (N)}, yearly from 1700.
function M.sunspots()
  local bytes = need("sunspots", STATSMODELS .. "sunspots/sunspots.csv", "python3-statsmodels")
  return cached("sunspots", bytes, function(b)
    local year, activity = {}, {}
    for i, r in ipairs(csv_rows(b)) do
      if i > 1 then year[#year + 1] = math.tointeger(tonumber(r[1])); activity[#activity + 1] = tonumber(r[2]) end
    end
    return { year = lucid.tensor(year, { dtype = lucid.int64 }),
      activity = lucid.tensor(activity, { dtype = lucid.float64 }) }
  end)
end

-- co2(): {date = int64 YYYYMMDD (N), co2 = float64 ppm (N), NaN where missing}, weekly.
function M.co2()
  local bytes = need("co2", STATSMODELS .. "co2/co2.csv", "python3-statsmodels")
  return cached("co2", bytes, function(b)
    local date, co2 = {}, {}
    for i, r in ipairs(csv_rows(b)) do
      if i > 1 then
        date[#date + 1] = math.tointeger(tonumber(r[1]))
        co2[#co2 + 1] = tonumber(r[2]) or 0 / 0
      end
    end
    return { date = lucid.tensor(date, { dtype = lucid.int64 }),
      co2 = lucid.tensor(co2, { dtype = lucid.float64 }) }
  end)
end

local VEGA = "/usr/lib/python3/dist-packages/vega_datasets/_data/"

-- seattle_weather(): daily weather in Seattle, 2012-2015, and its label:
-- {features = float32 (N, 4): precipitation, temp_max, temp_min, wind;
--  labels = int64 (N), 1-based indices into classes; classes = {"drizzle",
--  "fog", "rain", "snow", "sun"}; dates = {"2012/01/01", ...}}
function M.seattle_weather()
  local bytes = need("seattle_weather", VEGA .. "seattle-weather.csv", "python3-vega-datasets")
  return cached("seattle_weather", bytes, function(b)
    local classes = { "drizzle", "fog", "rain", "snow", "sun" }
    local index = {}
    for i, c in ipairs(classes) do index[c] = i end
    local features, labels, dates = {}, {}, {}
    for i, r in ipairs(csv_rows(b)) do
      if i > 1 then
        dates[#dates + 1] = r[1]
        features[#features + 1] = { tonumber(r[2]), tonumber(r[3]), tonumber(r[4]), tonumber(r[5]) }
        labels[#labels + 1] = index[r[6]] or raise("datasets.seattle_weather: unknown label " .. tostring(r[6]))
      end
    end
    return { features = lucid.tensor(features), labels = lucid.tensor(labels, { dtype = lucid.int64 }),
      classes = classes, dates = dates }
  end)
end

M._need = need
return M
