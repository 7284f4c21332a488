-- The save/load fuzzer's child: loads damaged save files.
--
--   lucid tests/fuzz/saveload.lua SEED ROUNDS LOG [--verbose]
--
-- Each round saves a random object (nested tables of tensors of every dtype and shape,
-- 0-dim and empty ones, numbers of both subtypes, strings, booleans), then loads it
-- back damaged: truncated at every offset, with random bytes flipped, and with huge
-- values (2^64-1, 2^63, 2^62, 2^32, 2^31-1) written over every offset of the payload
-- as 32- and 64-bit numbers. The header's checksum is recomputed for most damaged
-- copies, so that the record parser sees them rather than the checksum test alone.
-- A Lua error is a pass; what a load returns is read through (sums, tostring) to show
-- it is sound. Run by run.lua, which fails on a crash, an abort, a hang or a
-- sanitizer report; the log names the round and the damage being loaded.
local seed, rounds, logname = tonumber(arg[1]), tonumber(arg[2]), arg[3]
assert(seed and rounds and logname, "usage: saveload.lua SEED ROUNDS LOG")
math.randomseed(seed)
local log = assert(io.open(logname, "w"))
log:setvbuf("no")

local HEADER = 32 -- magic (8), version (4), flags (4), payload size (8), FNV-1a 64 (8)

-- FNV-1a 64 of s from byte i on: Lua's integer product wraps modulo 2^64, as the C one.
local function fnv1a64(s, i)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  for k = i, #s do
    h = (h ~ s:byte(k)) * 0x100000001b3
  end
  return h
end

-- s with its header's payload size and checksum made to match its payload.
local function reseal(s)
  if #s < HEADER then return s end
  return s:sub(1, 16) .. string.pack("<i8<i8", #s - HEADER, fnv1a64(s, HEADER + 1)) .. s:sub(HEADER + 1)
end

local function random_tensor()
  local dtype = ({ lucid.float32, lucid.float64, lucid.int64 })[math.random(3)]
  local shapes = { {}, { 0 }, { 3 }, { 2, 3 }, { 1, 0, 2 }, { 2, 1, 2, 1 } }
  local shape = shapes[math.random(#shapes)]
  local t = dtype == lucid.int64 and lucid.randint({ low = -5, high = 5, size = shape })
    or lucid.randn(shape, { dtype = dtype })
  if math.random() < 0.2 then t:requires_grad_(dtype ~= lucid.int64) end
  return t
end

local function random_value(depth)
  local k = math.random(depth > 2 and 5 or 6)
  if k == 1 then return random_tensor() end
  if k == 2 then return math.random(-1000, 1000) end
  if k == 3 then return math.random() * 1e10 end
  if k == 4 then return string.rep("s", math.random(0, 20)) end
  if k == 5 then return math.random() < 0.5 end
  local t = {}
  for i = 1, math.random(0, 4) do t[i] = random_value(depth + 1) end
  for _ = 1, math.random(0, 3) do t["k" .. math.random(100)] = random_value(depth + 1) end
  return t
end

-- Reads everything a load returned, as a user would.
local function touch(v, depth)
  if depth > 200 then return end
  if lucid.is_tensor(v) then
    local _ = v:double():sum():item(), tostring(v), v:tolist()
  elseif type(v) == "table" then
    for k, x in pairs(v) do touch(k, depth + 1); touch(x, depth + 1) end
  end
end

local function load(s, what)
  log:write(what, "\n")
  local ok, v = pcall(lucid._C.deserialize, s)
  if ok then pcall(touch, v, 0) end -- reading may refuse too (tolist of 2^40 empty rows)
end

local HUGE = { string.pack("<i8", -1), string.pack("<i8", math.mininteger), string.pack("<i8", 1 << 62),
  string.pack("<i8", 1 << 32), string.pack("<i4", -1), string.pack("<i4", 0x7fffffff) }

local loads = 0
for round = 1, rounds do
  local obj = { random_value(0), random_tensor() }
  local s = lucid._C.serialize(obj)
  log:write("round ", round, ": ", #s, " bytes\n")
  for n = 0, #s - 1 do -- truncations, as written and resealed
    load(s:sub(1, n), "truncated to " .. n)
    load(reseal(s:sub(1, n)), "truncated to " .. n .. ", resealed")
    loads = loads + 2
  end
  for _ = 1, 64 do -- byte flips
    local d = s
    for _ = 1, math.random(1, 4) do
      local at = math.random(#d)
      d = d:sub(1, at - 1) .. string.char(math.random(0, 255)) .. d:sub(at + 1)
    end
    load(math.random() < 0.8 and reseal(d) or d, "bytes flipped")
    loads = loads + 1
  end
  for at = HEADER + 1, #s do -- huge declared sizes, counts and lengths
    local v = HUGE[math.random(#HUGE)]
    load(reseal(s:sub(1, at - 1) .. v .. s:sub(at + #v)), "huge value at " .. at)
    loads = loads + 1
  end
  -- and one through a file
  local path = "fuzz.lc"
  local f = assert(io.open(path, "wb"))
  f:write(reseal(s:sub(1, math.random(0, #s))))
  f:close()
  pcall(lucid.load, path)
  if round % 4 == 0 then collectgarbage() end
end
log:write("done\n")
io.stdout:write(string.format("seed %d: %d rounds, %d damaged loads\n", seed, rounds, loads))
os.exit(0, true)
