-- Files from PyTorch, safetensors and NumPy (tests/fixtures/interop/, made by
-- tests/fixtures/gen/gen_interop.py): read exactly, written back readable,
-- and corrupt ones refused with errors, never crashes.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("interop")

-- equal to the bit: a fixture's float32 values go through float32 first
local function exact(actual, expected, label)
  if H.is_fixture(expected) then expected = H.tensor_from_fixture(expected) end
  H.assert_close(actual, expected, 0, 0, label)
end

local function entries_match(loaded, case)
  for _, e in ipairs(case.entries) do exact(loaded[e.name], e.value, case.file .. " " .. e.name) end
end

local function of(kind)
  local out = {}
  for _, c in ipairs(cases) do if c.kind == kind then out[#out + 1] = c end end
  assert(#out > 0, "no fixture cases of kind " .. kind)
  return out
end

local function bytes_of(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("PyTorch files", function()
  it("lucid.load reads a torch.save state_dict: every dtype, views, offsets, strides", function()
    local case = of("torch")[1]
    local sd = lucid.load(case.file)
    entries_match(sd, case)
    assert.are.equal(lucid.float32, sd.half.dtype) -- float16 is read as float32
  end)

  it("keeps storages shared: views of one storage stay views of one storage", function()
    local sd = lucid.load(of("torch")[1].file)
    -- view.a is base[2:8] as 2x3, view.b is column 1 of base as 3x4: both hold base[5]
    sd["view.a"][2][1] = -1
    assert.are.equal(-1, sd["view.b"][2]:item())
  end)

  it("reads nested containers: dicts, lists, tuples, numbers, strings, booleans, None", function()
    local case = of("torch_nested")[1]
    local obj = lucid.load(case.file)
    entries_match(obj.model, case)
    assert.are.equal(12, obj.step)
    assert.are.equal(0.5, obj.lr)
    assert.are.equal("lstm", obj.name)
    assert.are.same({ true, false }, obj.flags)
    assert.is_nil(obj.none)
    assert.are.same({ 1, "two" }, obj.pair)
  end)

  it("loads a PyTorch LSTM state_dict into nn.LSTM", function()
    local case = of("torch_nested")[1]
    local m = nn.LSTM(3, 4, { num_layers = 2 })
    m:load_state_dict(lucid.load(case.file).model)
    entries_match(m:state_dict(), case)
  end)

  it("round trips lucid -> PyTorch -> lucid exactly (an LSTM's state_dict)", function()
    local case = of("roundtrip")[1]
    lucid.manual_seed(0)
    local m = nn.LSTM(3, 4, { num_layers = 2, bidirectional = true, dtype = lucid.float64 })
    local back = lucid.load(case.file)
    entries_match(back, case)
    for name, t in pairs(m:state_dict()) do exact(back[name], t, name) end
  end)

  it("writes what it reads: save{format = 'torch'} then load", function()
    local sd = lucid.load(of("torch")[1].file)
    sd.bytes, sd.ints = nil, nil -- int64 copies of narrower kinds
    sd.nested = { list = { lucid.ones(2), 3, "x" }, flag = true }
    local path = os.tmpname()
    lucid.save(sd, path, { format = "torch" })
    local back = lucid.load(path)
    os.remove(path)
    for k, v in pairs(sd) do
      if k ~= "nested" then exact(back[k], v, k) end
    end
    exact(back.nested.list[1], lucid.ones(2), "nested tensor")
    assert.are.equal(3, back.nested.list[2])
    assert.is_true(back.nested.flag)
    back["view.a"][2][1] = 123 -- still one storage after the round trip
    assert.are.equal(123, back["view.b"][2]:item())
  end)

  it("refuses the legacy format and pickles that would run code, naming why", function()
    for _, c in ipairs(of("error")) do
      if c.loader == "load" then
        local ok, err = pcall(lucid.load, c.file)
        assert.is_false(ok)
        assert.truthy(err:find(c.error, 1, true), err)
      end
    end
  end)

  it("refuses a module, saying to save its state_dict", function()
    local ok, err = pcall(lucid.save, nn.Linear(2, 3), os.tmpname(), { format = "torch" })
    assert.is_false(ok)
    assert.truthy(err:find("save: an nn.Module (Linear) cannot be saved: save its model:state_dict() instead", 1, true), err)
  end)

  it("refuses unknown options and formats", function()
    assert.has_error(function() lucid.save({}, os.tmpname(), { format = "onnx" }) end,
      "save: format must be 'lucid' or 'torch', got onnx")
    assert.has_error(function() lucid.save({}, os.tmpname(), { fromat = "torch" }) end,
      "save: unknown option 'fromat'")
  end)
end)

describe("safetensors", function()
  it("reads tensors and metadata", function()
    local case = of("safetensors")[1]
    local t, meta = lucid.safetensors.load(case.file)
    entries_match(t, case)
    assert.are.same(case.metadata, meta)
  end)

  it("writes what it reads, with metadata", function()
    local t = lucid.safetensors.load(of("safetensors")[1].file)
    t.noncontig = lucid.arange(6):view(2, 3):t()
    t.flags = lucid.tensor({ true, false, true })
    local path = os.tmpname()
    lucid.safetensors.save(t, path, { source = "lucid" })
    local back, meta = lucid.safetensors.load(path)
    os.remove(path)
    for k, v in pairs(t) do exact(back[k], v, k) end
    assert.are.same({ source = "lucid" }, meta)
  end)

  it("refuses overlapping and out-of-range offsets", function()
    for _, c in ipairs(of("error")) do
      if c.loader == "safetensors" then
        local ok, err = pcall(lucid.safetensors.load, c.file)
        assert.is_false(ok)
        assert.truthy(err:find("safetensors.load: ", 1, true) and err:find(c.error, 1, true), err)
      end
    end
  end)
end)

describe("NumPy files", function()
  it("reads .npy: C and Fortran order, both byte orders, float16, bool, uint8, 0-dim", function()
    for _, c in ipairs(of("npy")) do entries_match({ [c.entries[1].name] = lucid.npy.load(c.file) }, c) end
  end)

  it("reads .npz, stored and deflated", function()
    for _, c in ipairs(of("npz")) do entries_match(lucid.npy.load_npz(c.file), c) end
  end)

  it("writes .npy and .npz that it reads back", function()
    local path = os.tmpname()
    for _, t in ipairs({ lucid.randn(3, 4), lucid.randn(2, { dtype = lucid.float64 }),
      lucid.tensor(7, { dtype = lucid.int64 }), lucid.arange(12):view(3, 4):t(), lucid.zeros(0, 2),
      lucid.tensor({ { true, false }, { false, true } }) }) do
      lucid.npy.save(t, path)
      exact(lucid.npy.load(path), t, "npy " .. tostring(t.shape))
      assert.are.equal(0, (#bytes_of(path) - #lucid._C.to_raw(t)) % 64) -- header aligned to 64
    end
    local tbl = { a = lucid.randn(2, 2), b = lucid.arange(5) }
    lucid.npy.save_npz(tbl, path)
    local back = lucid.npy.load_npz(path)
    os.remove(path)
    exact(back.a, tbl.a, "npz a")
    exact(back.b, tbl.b, "npz b")
  end)

  it("names the function and the problem on bad input", function()
    assert.has_error(function() lucid.npy.save(5, os.tmpname()) end,
      "npy.save: argument 1 must be a tensor, got number")
    local ok, err = pcall(lucid.npy.load, "/nonexistent/x.npy")
    assert.is_false(ok)
    assert.truthy(err:find("npy.load: cannot open", 1, true), err)
  end)
end)

-- Corrupt files: every truncation, byte flips, huge declared sizes. Each
-- load either succeeds or raises a Lua error; a crash would end the run.
describe("corrupt files", function()
  local readers = {
    { "state.pt", function(b) return require("lucid.formats.torch").load(b, "load") end },
    { "tensors.safetensors", function(b) return require("lucid.safetensors")._decode(b, "safetensors.load") end },
    { "fortran_f8.npy", function(b) return require("lucid.npy")._decode(b, "npy.load") end },
    { "deflated.npz", function(b)
      local zip = require("lucid.formats.zip")
      local entries, names = zip.read(b, "npz")
      for _, n in ipairs(names) do zip.extract(b, entries[n], n, "npz") end
    end },
  }
  for _, r in ipairs(readers) do
    it("never crash on " .. r[1], function()
      local good = bytes_of("tests/fixtures/interop/" .. r[1])
      local errors = 0
      for cut = 0, #good - 1 do
        local ok = pcall(r[2], good:sub(1, cut))
        if not ok then errors = errors + 1 end
      end
      assert.is_true(errors >= #good // 2, "most truncations are errors")
      local rng = 12345
      for _ = 1, 2000 do
        rng = (rng * 1103515245 + 12345) % 2147483648
        local at = rng % #good + 1
        local b = good:sub(1, at - 1) .. string.char((good:byte(at) + 1 + rng % 255) % 256) .. good:sub(at + 1)
        pcall(r[2], b)
      end
      -- every 4- and 8-byte field set to huge values in turn
      for at = 1, #good - 8, 1 do
        pcall(r[2], good:sub(1, at - 1) .. "\255\255\255\127" .. good:sub(at + 4))
      end
    end)
  end
end)
