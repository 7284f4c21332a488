-- Runs every script in examples/seeds with the launcher (build/bin/lucid, or $LUCID_BIN) as a
-- separate process, and checks it exits 0 and prints the shapes its seed document shows.

local process = require("process")
local q, BIN = process.q, process.BIN

local EXAMPLES = process.ROOT .. "/examples/seeds"

-- stdout, stderr, exit status
local function run(script)
  return process.run(process.LUCID .. " " .. process.q(script))
end

-- script -> the lines it must print, in order
local EXPECTED = {
  ["rnncell_loop.lua"] = { "(3, 16)" },
  ["rnncell_relu.lua"] = { "(4, 16)" },
  ["rnncell_outputs.lua"] = { "6", "(3, 20)" },
  ["grucell_loop.lua"] = { "(4, 16)" },
  ["grucell_no_state.lua"] = { "(3, 12)" },
  ["rnn_batch_first.lua"] = { "(4, 6, 12)", "(1, 4, 12)" },
  ["rnn_stacked_relu.lua"] = { "(5, 3, 6)\t(2, 3, 6)" },
  ["rnn_two_layers.lua"] = { "(5, 3, 20)", "(2, 3, 20)" },
}

describe("examples/seeds scripts", function()
  it("are all listed here", function()
    local p = io.popen("ls " .. q(EXAMPLES))
    local names = {}
    for name in p:lines() do
      if name:match("%.lua$") then names[#names + 1] = name end
    end
    p:close()
    table.sort(names)
    local want = {}
    for name in pairs(EXPECTED) do want[#want + 1] = name end
    table.sort(want)
    assert.are.same(want, names)
  end)

  local names = {}
  for name in pairs(EXPECTED) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    it(name .. " exits 0 and prints " .. table.concat(EXPECTED[name], " / "), function()
      local f = io.open(BIN, "rb")
      assert(f, "launcher not built: " .. BIN .. " (set LUCID_BIN to override)")
      f:close()
      local out, err, code = run(EXAMPLES .. "/" .. name)
      assert.are.equal(0, code, "stderr: " .. err)
      assert.are.equal("", err)
      local lines = {}
      for line in out:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
      assert.are.same(EXPECTED[name], lines)
    end)
  end
end)
