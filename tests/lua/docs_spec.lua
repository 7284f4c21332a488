-- Every ```lua block in docs/*.md and README.md runs, so the documentation's
-- examples cannot go stale. Blocks run in order per page, each in a fresh
-- environment with lucid and nn (as in the launcher); their assert()s are the
-- checks; describe/it in a block just run their bodies. A block fenced as ```lua-norun is shown but not run (for code that
-- needs a terminal or a C host).
local lucid = require("lucid")
local nn = require("nn")

local function pages()
  local list = { "README.md" }
  local p = io.popen("ls docs/*.md 2>/dev/null")
  for path in p:lines() do list[#list + 1] = path end
  p:close()
  return list
end

local function blocks(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  local found, line_of = {}, 1
  local pos = 1
  while true do
    local s, e = text:find("\n```lua\n", pos, true)
    if not s then break end
    local close = text:find("\n```", e, true)
    if not close then error(path .. ": unclosed ```lua block") end
    local _, nl = text:sub(1, s):gsub("\n", "")
    line_of = nl + 2
    found[#found + 1] = { code = text:sub(e + 1, close), line = line_of }
    pos = close + 4
  end
  return found
end

describe("documentation examples", function()
  for _, path in ipairs(pages()) do
    for i, b in ipairs(blocks(path)) do
      it(string.format("%s block %d (line %d) runs", path, i, b.line), function()
        -- spec-shaped examples (docs/busted.md) run their bodies directly
        local function run_body(_, fn) fn() end
        local env = setmetatable({ lucid = lucid, nn = nn, print = function() end, assert = assert,
          describe = run_body, it = run_body }, { __index = _G })
        local chunk, err = load(b.code, "=" .. path .. ":" .. b.line, "t", env)
        assert(chunk, err)
        local ok, run_err = pcall(chunk) -- as written: no helper globals
        assert(ok, run_err)
      end)
    end
  end
end)
