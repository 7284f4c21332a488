-- bench/variants.lua runs (tiny sizes) and prints each of its comparisons.
local process = require("process")

local function run(args)
  return process.run(string.format("cd %s && %s bench/variants.lua --tiny %s", process.q(process.ROOT),
    process.LUCID, args))
end

describe("bench/variants.lua --tiny", function()
  it("prints the dropout variants against the plain LSTM, one and two layers", function()
    local out, err, code = run("dropout")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("LSTM training, 1 layer%(s%)"), out)
    assert.truthy(out:find("weight_dropout=0.5%s+[%d.e+-]+ s  [%d.]+ of plain"), out)
    assert.truthy(out:find("LSTM training, 2 layer%(s%)"), out)
    assert.truthy(out:find("variational dropout=0.3, recurrent_dropout=0.25%s+[%d.e+-]+ s  [%d.]+ of plain"), out)
    assert.falsy(out:find("MinGRU"), out)
  end)

  it("prints the speedup over nn.LSTM, the cost per token and scan against steps", function()
    local out, err, code = run("minrnn --rounds 1")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("rounds: 1"), out)
    assert.truthy(out:find("speedup over nn.LSTM: MinGRU [%d.]+x  MinLSTM [%d.]+x"), out)
    assert.truthy(out:find("MinGRU cost per token: .* ratio [%d.]+"), out)
    assert.truthy(out:find("MinLSTM cost per token: .* ratio [%d.]+"), out)
    assert.truthy(out:find("minlstm layer, L=16: scan .* scan faster by [%d.]+x"), out)
    assert.falsy(out:find("LSTM training,"), out)
  end)

  it("refuses an unknown argument", function()
    local _, err, code = run("--bogus")
    assert.are_not.equal(0, code)
    assert.truthy(err:find("bench: unknown argument %-%-bogus"), err)
  end)
end)
