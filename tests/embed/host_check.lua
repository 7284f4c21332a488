-- Runs examples/embed/host.c's program and checks what it prints against the
-- same model evaluated here in Lua. Run by ctest (test embed_host):
--   lucid tests/embed/host_check.lua <host executable> <examples/embed/model.lua>
local lucid = require("lucid")

local host, model_path = arg[1], arg[2]
assert(host and model_path, "usage: host_check.lua host model.lua")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs the host on a weights file ("" for none) and returns its output.
local function run_host(weights)
  local out = os.tmpname()
  local ok = os.execute(string.format("%s %s %s >%s", q(host), q(model_path), q(weights), q(out)))
  local f = assert(io.open(out))
  local text = f:read("a")
  f:close()
  os.remove(out)
  io.write(text)
  assert(ok, "host failed")
  return text
end

-- Checks the host's printed output against model(x) computed here.
local function check(text, model)
  model:eval()
  local x = lucid.tensor({ { 0.5, -1.0, 2.0, 0.25 }, { -0.75, 0.0, 1.5, -2.0 } })
  local want = model(x):tolist()
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    if line:match("^ ") then
      local row = {}
      for v in line:gmatch("%S+") do row[#row + 1] = tonumber(v) end
      rows[#rows + 1] = row
    end
  end
  assert(text:find("output (2, 3):", 1, true), "no output header")
  assert(#rows == 2, "expected 2 rows, got " .. #rows)
  for i = 1, 2 do
    assert(#rows[i] == 3, "row " .. i .. " has " .. #rows[i] .. " values")
    for j = 1, 3 do
      local got, exp = rows[i][j], want[i][j]
      assert(math.abs(got - exp) <= 1e-6 * math.max(1, math.abs(exp)),
        string.format("output [%d, %d]: host %.9g, Lua %.9g", i, j, got, exp))
    end
  end
  assert(text:find("input released 1 time(s)", 1, true), "release callback not called exactly once")
end

local build = dofile(model_path)

-- Without weights the host builds the model from model.lua's seed.
check(run_host(""), build())

if lucid.save then
  -- model.lua run as a script saves the seeded weights ...
  local weights = os.tmpname()
  loadfile(model_path)(weights)
  check(run_host(weights), build())
  -- ... and weights changed from those must reach the host through lucid.load.
  local model = build()
  for _, p in pairs(model:state_dict()) do p:mul_(-1.5) end
  lucid.save(model:state_dict(), weights)
  check(run_host(weights), model)
  os.remove(weights)
else
  print("lucid.save is missing: only the seeded model was checked")
end
print("host output matches Lua")
