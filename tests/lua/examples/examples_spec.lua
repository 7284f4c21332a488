-- The runnable examples in examples/, each run with the launcher on a tiny
-- setting as a separate process: they exit 0 and print what they promise.
-- (examples/seeds/ has its own spec; examples/embed/ runs under ctest.)
local lucid = require("lucid")
local process = require("process")
local q = process.q

-- Runs examples/<script> from the project root; returns stdout, stderr, status.
local function run(script, args)
  return process.run(string.format("cd %s && %s examples/%s %s", q(process.ROOT), process.LUCID, script, args or ""))
end

-- A small corpus of repeated sentences, so a few steps already learn something.
local function corpus()
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  for i = 1, 60 do
    f:write("the cat sat on the mat. ", i % 2 == 0 and "a dog ran far away.\n" or "we like tea.\n")
  end
  f:close()
  return path
end

describe("examples/main.lua", function()
  it("runs the tensor and autograd tour", function()
    local out, err, code = run("main.lua")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("d loss / d w:", 1, true))
  end)
end)

describe("examples/char_lm.lua", function()
  local text, ckpt, plot
  before_each(function()
    text, ckpt, plot = corpus(), os.tmpname(), os.tmpname() .. ".png"
    os.remove(ckpt) -- os.tmpname makes the file: the example must write it
  end)
  after_each(function()
    for _, p in ipairs({ text, ckpt, plot, plot .. ".dat" }) do os.remove(p) end
  end)

  local tiny = "--hidden 24 --embed 8 --seq 12 --batch 6 --val-every 20 --val-batches 2 --sample 40 --threads 1"

  for _, model in ipairs({ "gru", "lstm" }) do
    it("trains a " .. model:upper() .. ", reports progress and validation, checkpoints and samples", function()
      local out, err, code = run("char_lm.lua", string.format("--model %s --corpus %s --steps 60 --checkpoint %s --plot %s %s",
        model, q(text), q(ckpt), q(plot), tiny))
      assert.are.equal(0, code, err)
      assert.truthy(out:find("vocabulary %d+"), out)
      assert.truthy(out:find("%[#+%] 60/60 [%d.]+ steps/s loss [%d.]+ val [%d.]+ ETA 0:00"), out)
      local first = tonumber(out:match("%] 6/60 [%d.]+ steps/s loss ([%d.]+)"))
      local val = tonumber(out:match("validation loss ([%d.]+)"))
      -- 17 distinct characters: an untrained model scores about log(17) = 2.8
      assert.truthy(first and val and val < first, out)
      local sample = out:match("sample %(temperature 0%.80%):\n(.*)$")
      assert.truthy(sample and sample:sub(1, 4) == "The " and #sample >= 40, out)
      local saved = lucid.load(ckpt)
      assert.are.equal(60, saved.step)
      assert.are.equal(model, saved.model)
      assert.are.equal(60, #saved.history)
      assert.is_true(lucid.is_tensor(saved.model_state["rnn.weight_hh_l0"]))
      if os.execute("command -v gnuplot > /dev/null 2>&1") then
        local f = assert(io.open(plot, "rb"), "no loss curve written")
        assert.are.equal("\137PNG", f:read(4))
        f:close()
      end
    end)
  end

  for _, variant in ipairs({ { "--model awd", "AWD", "rnn.weight_hh_l0" },
                              { "--model lstm --layer-norm", "LSTM", "rnn.ln_c_weight_l0" },
                              { "--model awd --layer-norm", "AWD", "rnn.ln_c_weight_l0" } }) do
    it("trains with " .. variant[1], function()
      local out, err, code = run("char_lm.lua", string.format("%s --corpus %s --steps 40 --layers 2 --checkpoint %s --plot '' %s",
        variant[1], q(text), q(ckpt), tiny))
      assert.are.equal(0, code, err)
      assert.truthy(out:find("model: " .. variant[2] .. ", 2 layer"), out)
      local first = tonumber(out:match("%] 4/40 [%d.]+ steps/s loss ([%d.]+)"))
      local val = tonumber(out:match("validation loss ([%d.]+)"))
      assert.truthy(first and val and val < first, out)
      assert.is_true(lucid.is_tensor(lucid.load(ckpt).model_state[variant[3]]))
    end)
  end

  it("resumes from its checkpoint where it stopped", function()
    local _, err, code = run("char_lm.lua", string.format("--corpus %s --steps 20 --checkpoint %s --plot '' %s",
      q(text), q(ckpt), tiny))
    assert.are.equal(0, code, err)
    local out, err2, code2 = run("char_lm.lua", string.format("--corpus %s --steps 20 --resume --checkpoint %s --plot '' %s",
      q(text), q(ckpt), tiny))
    assert.are.equal(0, code2, err2)
    assert.truthy(out:find("resuming from .* at step 20"), out)
    assert.truthy(out:find("40/40"), out)
    local saved = lucid.load(ckpt)
    assert.are.equal(40, saved.step)
    assert.are.equal(40, #saved.history) -- the steps before the resume and after
    -- a --model other than the checkpoint's is an error, not silently replaced
    local out3, err3, code3 = run("char_lm.lua", string.format("--corpus %s --steps 20 --resume --model lstm --checkpoint %s --plot '' %s",
      q(text), q(ckpt), tiny))
    assert.are.equal(2, code3)
    assert.are.equal("", out3)
    assert.truthy(err3:find("%-%-resume: the checkpoint .* has %-%-model gru, not lstm"), err3)
    assert.falsy(err3:find("traceback", 1, true), err3)
  end)

  it("prints its usage with --help, and the usage without a traceback after a bad flag", function()
    local out, err, code = run("char_lm.lua", "--help")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("^usage: lucid examples/char_lm.lua %[options%]\n"), out)
    assert.truthy(out:find("--resume", 1, true), out)
    assert.are.equal("", err)
    local _
    _, err, code = run("char_lm.lua", "--stpes 3")
    assert.are.equal(2, code)
    assert.truthy(err:find("^char_lm: unknown option %-%-stpes\nusage:"), err)
    assert.falsy(err:find("traceback", 1, true), err)
  end)

  it("says what is wrong with a bad flag or a missing corpus", function()
    local _, err, code = run("char_lm.lua", "--model rnn")
    assert.are_not.equal(0, code)
    assert.truthy(err:find("--model must be gru, lstm or awd", 1, true), err)
    _, err, code = run("char_lm.lua", "--corpus /nonexistent/file")
    assert.are_not.equal(0, code)
    assert.truthy(err:find("cannot read", 1, true), err)
  end)
end)

describe("examples/sine.lua", function()
  it("trains RNN, GRU and LSTM side by side and beats the last-value baseline", function()
    local out, err, code = run("sine.lua", "--steps 150 --hidden 16 --seq 20 --batch 16 --test-batches 2")
    assert.are.equal(0, code, err)
    local baseline = tonumber(out:match("\nlast%s+%-%s+([%d.]+)"))
    assert.truthy(baseline, out)
    for _, kind in ipairs({ "RNN", "GRU", "LSTM" }) do
      local test = tonumber(out:match("\n" .. kind .. "%s+[%d.]+%s+([%d.]+)"))
      assert.truthy(test and test < baseline, kind .. " did not beat the baseline:\n" .. out)
    end
  end)
end)

describe("examples/weather.lua", function()
  it("trains the LSTM weather classifier (bucketed, packed batches, OneCycleLR) past the baseline", function()
    local out, err, code = run("weather.lua", "--epochs 2")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("1155 training windows, 293 test windows, 37 batches an epoch", 1, true), out)
    local epochs = 0
    for _ in out:gmatch("epoch %d  loss [%d.]+  lr [%d.]+  test accuracy [%d.]+") do epochs = epochs + 1 end
    assert.are.equal(2, epochs, out)
    local acc, base = out:match("test accuracy ([%d.]+) %(always 'sun': ([%d.]+)%)")
    assert.truthy(acc, out)
    assert.is_true(tonumber(acc) > tonumber(base) + 0.05, out)
  end)
end)
