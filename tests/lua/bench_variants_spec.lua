-- bench/variants.lua runs (tiny sizes) and prints each of its comparisons.
local process = require("process")

-- The output of bench/variants.lua --tiny <args>; asserts it exited with 0,
-- printed every pattern of `present` and none of `absent`.
local function run_expecting(args, present, absent)
  local out, err, code = process.run(string.format("cd %s && %s bench/variants.lua --tiny %s",
    process.q(process.ROOT), process.LUCID, args))
  assert.are.equal(0, code, err)
  for _, p in ipairs(present) do assert.truthy(out:find(p), p .. " missing:\n" .. out) end
  for _, p in ipairs(absent) do assert.falsy(out:find(p), p .. " printed:\n" .. out) end
end

describe("bench/variants.lua --tiny", function()
  it("prints the dropout variants against the plain LSTM, one and two layers", function()
    run_expecting("dropout", {
      "LSTM training, 1 layer%(s%)",
      "weight_dropout=0.5%s+[%d.e+-]+ s  [%d.]+ of plain",
      "LSTM training, 2 layer%(s%)",
      "variational dropout=0.3, recurrent_dropout=0.25%s+[%d.e+-]+ s  [%d.]+ of plain",
    }, { "MinGRU" })
  end)

  it("prints the speedup over nn.LSTM, the cost per token and scan against steps", function()
    run_expecting("minrnn --rounds 1", {
      "rounds: 1",
      "speedup over nn.LSTM: MinGRU [%d.]+x  MinLSTM [%d.]+x",
      "MinGRU cost per token: .* ratio [%d.]+",
      "MinLSTM cost per token: .* ratio [%d.]+",
      "minlstm layer, L=16: scan .* scan faster by [%d.]+x",
    }, { "LSTM training," })
  end)

  it("refuses an unknown argument", function()
    local _, err, code = process.run(string.format("cd %s && %s bench/variants.lua --bogus",
      process.q(process.ROOT), process.LUCID))
    assert.are_not.equal(0, code)
    assert.truthy(err:find("bench: unknown argument %-%-bogus"), err)
  end)
end)
