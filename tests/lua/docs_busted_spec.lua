-- docs/busted.md's "In your own project": the project it shows (.busted,
-- src/scaler.lua, spec/scaler_spec.lua, taken from the page itself) is built
-- in a temporary folder and busted runs in it, with lucid found as an
-- install would be (through LUA_PATH / LUA_CPATH, not the project's .busted).
local process = require("process")
local q, write = process.q, process.write

local ROOT = process.ROOT

-- The ```lua-norun block that follows the paragraph naming `file`.
local function block_after(text, file)
  local at = assert(text:find("`" .. file .. "`", 1, true), file .. " not named in docs/busted.md")
  local s, e = text:find("```lua%-norun\n", at)
  local close = text:find("\n```", e, true)
  return text:sub(e + 1, close)
end

describe("docs/busted.md", function()
  local page = process.read(ROOT .. "/docs/busted.md")
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir .. "/src") .. " " .. q(dir .. "/spec")))
    for _, file in ipairs({ ".busted", "src/scaler.lua", "spec/scaler_spec.lua" }) do
      write(dir .. "/" .. file, block_after(page, file))
    end
  end)
  after_each(function() os.execute("rm -rf " .. q(dir)) end)

  local function busted()
    local env = string.format("LUA_PATH=%s LUA_CPATH=%s", q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
      q(ROOT .. "/build/lib/?.so;;"))
    return process.run(string.format("cd %s && %s lua5.4 $(command -v busted) -o plainTerminal", q(dir), env))
  end

  it("shows a project whose spec passes under busted", function()
    local out, err, code = busted()
    assert.are.equal(0, code, out .. err)
    assert.truthy(out:find("1 success / 0 failures / 0 errors / 0 pending", 1, true), out)
  end)

  it("whose tensor assertions catch a wrong result", function()
    write(dir .. "/src/scaler.lua", "return { standardize = function(x) return x end }\n")
    local out, err, code = busted()
    assert.are_not.equal(0, code)
    assert.truthy(out:find("0 successes / 1 failure", 1, true), out .. err)
    assert.truthy(out:find("Expected tensors to be near", 1, true), out)
  end)
end)
