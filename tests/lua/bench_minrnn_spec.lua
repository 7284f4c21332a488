-- bench/minrnn.lua runs (tiny sizes) and prints each of its three comparisons.
local process = require("process")

describe("bench/minrnn.lua --tiny", function()
  it("prints the speedup over nn.LSTM, the cost per token and scan against steps", function()
    local out, err, code = process.run(string.format("cd %s && %s bench/minrnn.lua --tiny",
      process.q(process.ROOT), process.LUCID))
    assert.are.equal(0, code, err)
    assert.truthy(out:find("speedup over nn.LSTM: MinGRU [%d.]+x  MinLSTM [%d.]+x"), out)
    assert.truthy(out:find("MinGRU cost per token: .* ratio [%d.]+"), out)
    assert.truthy(out:find("MinLSTM cost per token: .* ratio [%d.]+"), out)
    assert.truthy(out:find("minlstm layer, L=16: scan .* scan faster by [%d.]+x"), out)
  end)
end)
