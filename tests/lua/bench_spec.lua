-- The benchmark harness (`make bench`): its arithmetic on made-up rounds
-- (medians, per-round ratios, sgemm shares, case selection), then a run on
-- the tiny case list without PyTorch (CI does not install it).
local process = require("process")
local common = dofile(process.ROOT .. "/bench/common.lua")

describe("bench/common.lua", function()
  it("takes the median of odd and even lists without reordering them", function()
    local xs = { 3, 1, 2 }
    assert.are.equal(2, common.median(xs))
    assert.are.same({ 3, 1, 2 }, xs)
    assert.are.equal(2.5, common.median({ 4, 1, 3, 2 }))
  end)

  it("summarizes rounds: medians of each side, median and range of the per-round ratios", function()
    -- The machine slows down in round 3: both sides take 10x longer, and the
    -- ratio of that round stays 2, as in the others.
    local rounds = {
      { lucid = 1.0, torch = 2.0, torch_threads = 1, lucid_kb = 100, torch_kb = 300, rate = 100 },
      { lucid = 1.0, torch = 3.0, torch_threads = 2, lucid_kb = 120, torch_kb = 310, rate = 100 },
      { lucid = 10.0, torch = 20.0, torch_threads = 1, lucid_kb = 110, torch_kb = 305, rate = 10 },
    }
    local row = common.summarize(rounds, 50)
    assert.are.equal(3, row.rounds)
    assert.are.equal(1.0, row.lucid)
    assert.are.equal(3.0, row.torch)
    assert.are.equal(2.0, row.ratio) -- ratios 2, 3, 2
    assert.are.equal(2.0, row.ratio_min)
    assert.are.equal(3.0, row.ratio_max)
    assert.are.equal(1, row.torch_threads) -- PyTorch's faster setting in most rounds
    assert.are.equal(110, row.lucid_kb)
    assert.are.equal(305, row.torch_kb)
    -- shares per round: 50/1/100, 50/1/100, 50/10/10: all 0.5
    assert.are.equal(0.5, row.share)
  end)

  it("leaves out what was not measured", function()
    local row = common.summarize({ { lucid = 2 }, { lucid = 4 }, { lucid = 3 } })
    assert.are.equal(3, row.lucid)
    assert.is_nil(row.torch)
    assert.is_nil(row.ratio)
    assert.is_nil(row.share)
  end)

  it("parses the command line: options and case selectors", function()
    local o = common.parse_args({ "--rounds=5", "--torch-threads=2", "sum_", "rnn_train" })
    assert.are.equal(5, o.rounds)
    assert.are.same({ 2 }, o.torch_threads)
    assert.are.same({ "sum_", "rnn_train" }, o.select)
    assert.is_true(o.torch)
    local d = common.parse_args({ "--tiny", "--no-torch" })
    assert.are.equal(3, d.rounds)
    assert.are.same({ 1, 2 }, d.torch_threads)
    assert.is_true(d.tiny)
    assert.is_false(d.torch)
    assert.has_error(function() common.parse_args({ "--rounds=0" }) end,
      "bench: --rounds expects a positive integer, got --rounds=0")
    assert.has_error(function() common.parse_args({ "--fast" }) end)
  end)

  it("selects cases by exact name or Lua pattern, and refuses a selector matching nothing", function()
    local cases = common.read_cases(process.ROOT .. "/bench/cases.txt")
    local names = function(cs)
      local out = {}
      for i, c in ipairs(cs) do out[i] = c.name end
      return out
    end
    assert.are.same({ "sum_1e7", "sum_t_1e7" }, names(common.select(cases, { "^sum.*1e7$" })))
    assert.are.same({ "rnn_train" }, names(common.select(cases, { "rnn_train" })))
    assert.are.equal(#cases, #common.select(cases, {}))
    assert.has_error(function() common.select(cases, { "no_such_case" }) end,
      "bench: no case matches no_such_case")
  end)

  it("counts the GEMM FLOPs a training step runs: no dx for the first layer's input", function()
    local cases = common.read_cases(process.ROOT .. "/bench/cases.txt")
    -- LSTM L=100 N=64 I=H=512: x W_ih, h W_hh, dh, dW_ih, dW_hh, each 2 * 6400 * 512 * 2048
    local each = 2 * 6400 * 512 * 2048
    assert.are.equal(5 * each, common.gemm_flops(common.find(cases, "lstm_train")))
    assert.are.equal(5 * each, common.gemm_flops(common.find(cases, "lnlstm_train")))
    -- RNN L=100 N=64 I=256 H=512: the input products are half the recurrent ones
    local rec = 2 * 6400 * 512 * 512
    assert.are.equal(2 * rec / 2 + 3 * rec, common.gemm_flops(common.find(cases, "rnn_train")))
    -- two bidirectional layers (L=50 N=32 I=128 H=256): the second layer's input is the
    -- first one's output (512 wide), which needs its gradient dx
    local rows, H = 50 * 32, 256
    local layer1 = 2 * (2 * (2 * rows * 128 * H) + 3 * (2 * rows * H * H))
    local layer2 = 2 * (3 * (2 * rows * 512 * H) + 3 * (2 * rows * H * H))
    assert.are.equal(layer1 + layer2, common.gemm_flops(common.find(cases, "birnn2_train")))
  end)
end)

describe("bench/run.lua --tiny --no-torch", function()
  local function run(args)
    return process.run(string.format("cd %s && %s bench/run.lua --tiny --no-torch %s",
      process.q(process.ROOT), process.LUCID, args))
  end

  it("times every tiny case with lucid and prints the table", function()
    local out, err, code = run("--rounds=3")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("lucid sgemm rate %(threads: %d+; median of 3 rounds"), out)
    assert.truthy(out:find("\n  128%^3: [%d.]+ GFLOP/s %([%d.e+-]+%-[%d.e+-]+%)"), out)
    assert.truthy(out:find("\n  256%^3: [%d.]+ GFLOP/s"), out)
    assert.truthy(out:find("load average at start: "), out)
    for _, case in ipairs({ "rnn_train", "lstm_train", "lnlstm_train", "grucell_loop", "add_1e3", "gru_flat_mem" }) do
      assert.truthy(out:find("\n" .. case .. "%s+%-%s+[%d.e%-]+"), case .. " missing:\n" .. out)
    end
    -- GEMM-bound cases get a share of the sgemm rate, the others a dash
    assert.truthy(out:find("\nrnn_train%s+%-%s+[%d.e%-]+%s+%-%s+%-%s+%d+%%"), out)
    assert.truthy(out:find("\nadd_1e3%s+%-%s+[%d.e%-]+%s+%-%s+%-%s+%-"), out)
    assert.truthy(out:find("gru_flat_mem: resident size grew"), out)
    assert.truthy(out:find("\nstartup%s+%-%s+[%d.e%-]+"), out)
  end)

  it("runs only the selected cases", function()
    local out, err, code = run("--rounds=1 add_1e3")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("\nadd_1e3 "), out)
    assert.falsy(out:find("\nrnn_train "), out)
  end)
end)
