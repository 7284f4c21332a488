-- The benchmark harness (`make bench`) runs: on the tiny case list and
-- without PyTorch (CI does not install it), it prints a row per case.
local process = require("process")

describe("bench/run.lua --tiny --no-torch", function()
  it("times every tiny case with lucid and prints the table", function()
    local out, err, code = process.run(string.format("cd %s && %s bench/run.lua --tiny --no-torch",
      process.q(process.ROOT), process.LUCID))
    assert.are.equal(0, code, err)
    assert.truthy(out:find("sgemm rate of this machine: [%d.]+ GFLOP/s"), out)
    for _, case in ipairs({ "rnn_train", "lstm_train", "grucell_loop", "add_1e3", "gru_flat_mem" }) do
      assert.truthy(out:find("\n" .. case .. "%s+%-%s+[%d.e%-]+"), case .. " missing:\n" .. out)
    end
    assert.truthy(out:find("gru_flat_mem: resident size grew"), out)
    assert.truthy(out:find("\nstartup%s+%-%s+[%d.e%-]+"), out)
  end)
end)
