-- examples/from_pytorch: a tagger PyTorch trained (train.py, committed files)
-- run by lucid with PyTorch's outputs, fine-tuned, and run by the C host.
local lucid = require("lucid")
local process = require("process")

local DIR = process.ROOT .. "/examples/from_pytorch/"

describe("examples/from_pytorch", function()
  it("reproduces PyTorch's outputs, fine-tunes and saves for PyTorch", function()
    local path = os.tmpname()
    local out, err, code = process.run(process.LUCID .. " " .. process.q(DIR .. "finetune.lua") .. " " .. path)
    assert.are.equal(0, code, err)
    local diff = tonumber(out:match("max difference (%S+)"))
    assert.is_true(diff < 1e-5, out)
    assert.is_true(tonumber(out:match("accuracy (%S+)")) > 0.9, out)
    local first, last = out:match("loss (%S+) %-> (%S+)")
    assert.is_true(tonumber(last) < tonumber(first) / 2, out)
    local saved = lucid.load(path)
    os.remove(path)
    assert.are.same({ 16 * 4, 4 }, { saved["lstm.weight_ih_l0"]:size(1), saved["lstm.weight_ih_l0"]:size(2) })
  end)

  it("runs in the C host of examples/embed, as lucid runs it", function()
    local host = process.ROOT .. "/build/examples/embed_host"
    local out, err, code = process.run(process.q(host) .. " " .. process.q(DIR .. "tagger.lua") .. " "
      .. process.q(DIR .. "tagger.pt"))
    assert.are.equal(0, code, err)
    local model = dofile(DIR .. "tagger.lua")()
    model:load_state_dict(lucid.load(DIR .. "tagger.pt"))
    model:eval()
    -- the host's input: a sequence of 2 steps of 4 features
    local x = lucid.tensor({ { 0.5, -1.0, 2.0, 0.25 }, { -0.75, 0.0, 1.5, -2.0 } })
    local want = lucid.no_grad(function() return model(x) end):view(-1):tolist()
    local got = {}
    for v in out:match("output %(2, 3%):\n(.-)\ninput"):gmatch("%S+") do got[#got + 1] = tonumber(v) end
    assert.are.equal(6, #got, out)
    for i = 1, 6 do assert.is_true(math.abs(got[i] - want[i]) <= 1e-6 * math.max(1, math.abs(want[i])), out) end
  end)
end)
