-- lucid.save / lucid.load (API.md "Training"; format in docs/save_load.md): round trips
-- of tensors and nested tables, atomic replace, and clear errors for damaged,
-- foreign, newer and crafted files and for values that cannot be saved.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

-- A fresh directory under /tmp for each test, removed afterwards.
local function tmpdir()
  local name = os.tmpname()
  os.remove(name)
  assert(os.execute("mkdir -p '" .. name .. "'"))
  return name
end

local function rmdir(dir)
  os.execute("rm -rf '" .. dir .. "'")
end

local function listdir(dir)
  local out = {}
  local p = io.popen("ls -A '" .. dir .. "'")
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  table.sort(out)
  return out
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

-- the format's checksum, written independently of the C code (docs/save_load.md)
local function fnv1a64(s)
  local h = 0xcbf29ce484222325
  for i = 1, #s do h = (h ~ s:byte(i)) * 0x100000001b3 end
  return h
end

local function seal(payload, version)
  return string.pack("<c8I4I4i8i8", "\x89LUCID\r\n", version or 1, 0, #payload, fnv1a64(payload))
    .. payload
end

-- exact equality of dtype, shape and every value
local function assert_same_tensor(actual, expected)
  assert.is_true(lucid.is_tensor(actual))
  assert.are.equal(expected.dtype, actual.dtype)
  assert.are.same(H.shape_of(expected), H.shape_of(actual))
  if expected:numel() > 0 then
    assert.are.same(expected:tolist(), actual:tolist())
  end
end

describe("lucid.save / lucid.load", function()
  local dir, path
  before_each(function()
    dir = tmpdir()
    path = dir .. "/obj.lc"
  end)
  after_each(function() rmdir(dir) end)

  local function round_trip(obj)
    lucid.save(obj, path)
    return lucid.load(path)
  end

  describe("tensors", function()
    it("round trips each dtype with exact values", function()
      lucid.manual_seed(3)
      local cases = {
        lucid.randn(3, 4),
        lucid.randn({ 2, 3, 2 }, { dtype = lucid.float64 }),
        lucid.randint(-1000, 1000, { 5, 2 }),
        lucid.tensor({ math.maxinteger, math.mininteger, 0, -1 }, { dtype = lucid.int64 }),
        lucid.tensor({ 1e-310, -0.0, 1 / 0, -1 / 0 }, { dtype = lucid.float64 }),
      }
      for _, x in ipairs(cases) do
        local y = round_trip(x)
        assert_same_tensor(y, x)
        assert.is_true(y:is_contiguous())
        assert.is_false(y:is_same_storage(x))
      end
    end)

    it("keeps NaN and the sign of zero", function()
      local x = lucid.tensor({ 0 / 0, -0.0, 0.0 }, { dtype = lucid.float32 })
      local y = round_trip(x)
      local v = y:tolist()
      assert.is_true(v[1] ~= v[1])
      assert.are.equal(-math.huge, 1 / v[2])
      assert.are.equal(math.huge, 1 / v[3])
    end)

    it("round trips 0-d and empty tensors", function()
      local s = lucid.tensor(2.5, { dtype = lucid.float64 })
      local y = round_trip(s)
      assert.are.equal(0, y:dim())
      assert.are.equal(2.5, y:item())
      assert.are.equal(lucid.float64, y.dtype)

      local i = round_trip(lucid.tensor(7, { dtype = lucid.int64 }))
      assert.are.equal(0, i:dim())
      assert.are.equal(7, i:item())
      assert.are.equal("integer", math.type(i:item()))

      for _, e in ipairs({ lucid.zeros(2, 0, 3), lucid.zeros(0), lucid.zeros({ 0, 4 }, { dtype = lucid.int64 }) }) do
        local z = round_trip(e)
        assert.are.same(H.shape_of(e), H.shape_of(z))
        assert.are.equal(e.dtype, z.dtype)
        assert.are.equal(0, z:numel())
      end
    end)

    it("saves views as their elements, loaded contiguous", function()
      local base = lucid.arange(0, 24, 1, { dtype = lucid.float64 }):view(4, 6)
      local views = {
        base:t(),                                 -- transposed
        base:narrow(2, 3, 2),                     -- narrowed columns
        base:narrow(1, 2, 2):narrow(2, 2, 3),     -- narrowed twice
        base:select(2, 4),                        -- a strided column
        lucid.tensor({ 1, 2, 3 }):view(3, 1):expand(3, 5), -- stride 0
        base:permute(2, 1):unsqueeze(1),
      }
      for _, v in ipairs(views) do
        local y = round_trip(v)
        assert.is_true(y:is_contiguous())
        assert_same_tensor(y, v:contiguous())
      end
    end)

    it("writes only the bytes a view covers", function()
      local big = lucid.zeros({ 1000, 100 }, { dtype = lucid.float64 })
      local n = big:narrow(1, 500, 3) -- 300 of 100000 elements
      -- header 32 + tensor record (5 + 2 sizes x 8) + 300 doubles
      assert.are.equal(32 + 5 + 16 + 300 * 8, #lucid._C.serialize(n))
      lucid.save(n, path)
      assert.are.equal(32 + 5 + 16 + 300 * 8, #read_file(path))
      -- an expanded view saves its full logical size
      local e = lucid.tensor({ 1.0 }):expand(10)
      assert.are.equal(32 + 5 + 8 + 10 * 4, #lucid._C.serialize(e))
    end)

    it("saves tensors sharing storage as independent copies", function()
      local x = lucid.arange(0, 6, 1, { dtype = lucid.float64 })
      local y = round_trip({ a = x, b = x:view(2, 3), c = x })
      assert_same_tensor(y.a, x)
      assert_same_tensor(y.b, x:view(2, 3))
      assert.is_false(y.a:is_same_storage(y.b))
      assert.are_not.equal(y.a, y.c)
      y.a:fill_(-1)
      assert.are.same({ 0, 1, 2 }, y.b:tolist()[1])
      assert.are.same({ 0, 1, 2, 3, 4, 5 }, y.c:tolist())
    end)

    it("keeps requires_grad as a flag; loaded tensors are leaves without grad", function()
      local w = lucid.randn(2, 3):requires_grad_()
      local nonleaf = w * 2
      ;(nonleaf:sum()):backward()
      assert.is_not_nil(w.grad)
      local y = round_trip({ w = w, nonleaf = nonleaf, plain = lucid.ones(2), det = w:detach() })
      assert.is_true(y.w.requires_grad)
      assert.is_true(y.w.is_leaf)
      assert.is_nil(y.w.grad)
      assert.is_true(y.nonleaf.requires_grad)
      assert.is_true(y.nonleaf.is_leaf)
      assert.is_nil(y.nonleaf.grad_fn)
      assert.is_false(y.plain.requires_grad)
      assert.is_false(y.det.requires_grad)
      assert_same_tensor(y.w:detach(), w:detach())
      -- a loaded leaf takes part in autograd
      ;(y.w * y.w):sum():backward()
      assert_same_tensor(y.w.grad, (w * 2):detach())
    end)
  end)

  describe("values and tables", function()
    it("round trips nested tables of mixed values", function()
      local obj = {
        1, 2.0, "three", true, false,
        n = { int = 42, float = 42.0, neg = -7, big = math.maxinteger, small = math.mininteger,
              pi = math.pi, tiny = 5e-324, inf = math.huge, ninf = -math.huge },
        s = { empty = "", zeros = "a\0b\0", bytes = "\255\1\127", long = string.rep("xy", 5000) },
        nested = { { { { deep = "yes" } } } },
        [-5] = "negative key",
        [100] = "sparse",
        ["with space"] = { [0] = "zero" },
        t = lucid.tensor({ { 1, 2 }, { 3, 4 } }),
      }
      local y = round_trip(obj)
      assert.are.equal(1, y[1])
      assert.are.equal("integer", math.type(y[1]))
      assert.are.equal(2.0, y[2])
      assert.are.equal("float", math.type(y[2]))
      assert.are.equal("three", y[3])
      assert.are.equal(true, y[4])
      assert.are.equal(false, y[5])
      assert.are.equal(5, #y)
      for k, v in pairs(obj.n) do
        assert.are.equal(v, y.n[k], k)
        assert.are.equal(math.type(v), math.type(y.n[k]), k)
      end
      assert.are.same(obj.s, y.s)
      assert.are.equal("yes", y.nested[1][1][1].deep)
      assert.are.equal("negative key", y[-5])
      assert.are.equal("sparse", y[100])
      assert.are.equal("zero", y["with space"][0])
      assert_same_tensor(y.t, obj.t)
      local count = 0
      for _ in pairs(y) do count = count + 1 end
      assert.are.equal(12, count)
    end)

    it("round trips plain values and empty tables at the root", function()
      for _, v in ipairs({ 0, -1.5, "str", true, false, math.mininteger }) do
        local y = round_trip(v)
        assert.are.equal(v, y)
        assert.are.equal(math.type(v), math.type(y))
      end
      assert.are.same({}, round_trip({}))
      local nan = round_trip(0 / 0)
      assert.is_true(nan ~= nan)
      assert.are.equal(-math.huge, 1 / round_trip(-0.0))
    end)

    it("drops metatables and saves raw contents", function()
      local x = lucid.zeros(2, 3)
      local y = round_trip({ shape = x.shape })
      assert.are.same({ 2, 3 }, y.shape)
      assert.is_nil(getmetatable(y.shape))
    end)

    it("writes the same bytes for the same value whatever the insertion order", function()
      local a, b = {}, {}
      for i = 1, 50 do a["k" .. i] = i; a[i] = -i end
      for i = 50, 1, -1 do b[i] = -i; b["k" .. i] = i end
      assert.are.equal(lucid._C.serialize(a), lucid._C.serialize(b))
    end)

    it("round trips through _serialize / _deserialize", function()
      local obj = { w = lucid.randn(3), step = 10, name = "m" }
      local y = lucid._C.deserialize(lucid._C.serialize(obj))
      assert_same_tensor(y.w, obj.w)
      assert.are.equal(10, y.step)
      assert.are.equal("m", y.name)
    end)

    it("accepts tables nested 100 deep and refuses deeper ones", function()
      local root = {}
      local t = root
      for _ = 2, 100 do t.x = {}; t = t.x end
      t.x = 1
      local y = round_trip(root)
      for _ = 1, 99 do y = y.x end
      assert.are.equal(1, y.x)
      t.x = {}
      local err = H.err_str(lucid.save, root, path)
      assert.matches("lucid.save: table at obj.x.x.x", err, 1, true)
      assert.matches("nested deeper than 100 tables", err, 1, true)
    end)
  end)

  describe("state_dict", function()
    it("round trips nn.Linear's state_dict into a fresh Linear", function()
      lucid.manual_seed(11)
      local m = nn.Linear(3, 4)
      lucid.save(m:state_dict(), path)
      local sd = lucid.load(path)
      assert_same_tensor(sd.weight, m.weight:detach())
      assert_same_tensor(sd.bias, m.bias:detach())
      local fresh = nn.Linear(3, 4)
      assert.are_not.same(fresh.weight:tolist(), m.weight:tolist())
      fresh:load_state_dict(sd)
      assert_same_tensor(fresh.weight:detach(), m.weight:detach())
      assert_same_tensor(fresh.bias:detach(), m.bias:detach())
      assert.is_true(fresh.weight.requires_grad)
      local x = lucid.randn(5, 3)
      assert_same_tensor(fresh(x):detach(), m(x):detach())
    end)

    it("round trips a float64 model and a checkpoint table", function()
      local m = nn.Linear(2, 3, { dtype = lucid.float64 })
      local ck = round_trip({ model = m:state_dict(), epoch = 3, lr = 0.01, tag = "run1" })
      assert.are.equal(lucid.float64, ck.model.weight.dtype)
      local fresh = nn.Linear(2, 3, { dtype = lucid.float64 })
      fresh:load_state_dict(ck.model)
      assert_same_tensor(fresh.weight:detach(), m.weight:detach())
      assert.are.equal(3, ck.epoch)
      assert.are.equal("integer", math.type(ck.epoch))
      assert.are.equal(0.01, ck.lr)
    end)
  end)

  describe("atomic writes", function()
    local old
    before_each(function()
      old = { w = lucid.arange(0, 5), note = "previous" }
      lucid.save(old, path)
    end)

    local function assert_previous_intact()
      local y = lucid.load(path)
      assert.are.equal("previous", y.note)
      assert_same_tensor(y.w, old.w)
      assert.are.same({ "obj.lc" }, listdir(dir))
    end

    it("overwrites with the new value and leaves no temporary file", function()
      lucid.save({ note = "new" }, path)
      assert.are.equal("new", lucid.load(path).note)
      assert.are.same({ "obj.lc" }, listdir(dir))
    end)

    it("keeps the previous file when the value is refused at once", function()
      local err = H.err_str(lucid.save, print, path)
      assert.matches("value at obj is a function", err, 1, true)
      assert_previous_intact()
    end)

    it("keeps the previous file when a save fails half way through", function()
      -- keys are written in order: the tensors under "a" are written before "z" fails
      local bad = { a = { lucid.randn(100, 100), lucid.randn(50) }, z = { fn = print } }
      local err = H.err_str(lucid.save, bad, path)
      assert.matches("value at obj.z.fn is a function", err, 1, true)
      assert_previous_intact()
    end)

    it("fails cleanly when the directory does not exist", function()
      local err = H.err_str(lucid.save, { 1 }, dir .. "/nope/x.lc")
      assert.matches("lucid.save: '" .. dir .. "/nope/x.lc'", err, 1, true)
      assert.matches("cannot create the temporary file", err, 1, true)
      assert_previous_intact()
    end)
  end)

  describe("unsupported values", function()
    local function save_error(obj)
      local err = H.err_str(lucid.save, obj, path)
      assert.is_nil(io.open(path, "rb"))
      assert.are.same({}, listdir(dir))
      return err
    end

    it("names the path of a function, thread or foreign userdata", function()
      assert.are.equal(
        "lucid.save: value at obj.layers[2].fn is a function; only tensors, tables, numbers, "
          .. "strings and booleans can be saved",
        save_error({ layers = { { w = lucid.ones(1) }, { fn = function() end } } }):match("lucid%.save:.*"))
      assert.matches("value at obj.co is a thread", save_error({ co = coroutine.create(print) }), 1, true)
      assert.matches("value at obj[\"a b\"][3] is a userdata that is not a tensor",
        save_error({ ["a b"] = { 1, 2, io.stdout } }), 1, true)
      assert.matches("value at obj is a function", save_error(print), 1, true)
      assert.matches("value at obj is nil", save_error(nil), 1, true)
      local x = lucid.ones(2)
      x:close()
      assert.matches("value at obj.x is a closed tensor", save_error({ x = x }), 1, true)
    end)

    it("reports cycles instead of recursing forever", function()
      local t = {}
      t.self = t
      assert.matches("table at obj.self refers back to obj (a cycle)", save_error(t), 1, true)
      local a = { b = { c = {} } }
      a.b.c.back = a.b
      assert.matches("table at obj.b.c.back refers back to obj.b (a cycle)", save_error(a), 1, true)
      -- the same table twice without a cycle is fine (saved twice)
      local shared = { v = 1 }
      lucid.save({ shared, shared }, path)
      local y = lucid.load(path)
      assert.are.equal(1, y[1].v)
      assert.are.equal(1, y[2].v)
      assert.are_not.equal(y[1], y[2])
    end)

    it("refuses keys that are not strings or integers", function()
      assert.matches("table at obj.opt has a float key (1.5); only string and integer keys",
        save_error({ opt = { [1.5] = 1 } }), 1, true)
      assert.matches("table at obj has a boolean key (true)", save_error({ [true] = 1 }), 1, true)
      assert.matches("table at obj has a table key", save_error({ [{}] = 1 }), 1, true)
    end)

    it("checks its arguments", function()
      assert.matches("lucid.save: argument 2 (path) must be a string, got no value",
        H.err_str(lucid.save, {}), 1, true)
      assert.matches("lucid.save: argument 2 (path) is an empty string",
        H.err_str(lucid.save, {}, ""), 1, true)
      assert.matches("lucid.load: argument 1 (path) must be a string, got number",
        H.err_str(lucid.load, 42), 1, true)
      assert.matches("lucid._C.deserialize: argument 1 must be a string",
        H.err_str(lucid._C.deserialize, {}), 1, true)
    end)
  end)

  describe("damaged and foreign files", function()
    local good
    before_each(function()
      lucid.save({ w = lucid.arange(0, 10, 1, { dtype = lucid.float32 }), name = "x" }, path)
      good = read_file(path)
    end)

    local function load_error(bytes)
      write_file(path, bytes)
      local err = H.err_str(lucid.load, path)
      assert.matches("lucid.load: '" .. path .. "': ", err, 1, true)
      return err
    end

    it("reports a missing file", function()
      local err = H.err_str(lucid.load, dir .. "/missing.lc")
      assert.matches("lucid.load: '" .. dir .. "/missing.lc': no such file", err, 1, true)
    end)

    it("reports a directory", function()
      assert.matches("is a directory", H.err_str(lucid.load, dir), 1, true)
    end)

    it("reports a flipped byte as a checksum mismatch", function()
      for _, pos in ipairs({ 33, 40, #good // 2, #good }) do
        local bad = good:sub(1, pos - 1) .. string.char(good:byte(pos) ~ 0x10) .. good:sub(pos + 1)
        assert.matches("checksum mismatch, the file is corrupt", load_error(bad), 1, true)
      end
    end)

    it("reports truncation at any point", function()
      assert.matches("not a lucid save file: the file is empty", load_error(""), 1, true)
      for _, len in ipairs({ 1, 5, 8, 16, 31 }) do
        assert.matches("truncated file: " .. len .. " bytes, shorter than the 32-byte header",
          load_error(good:sub(1, len)), 1, true)
      end
      for _, len in ipairs({ 32, 33, 50, #good - 1 }) do
        assert.matches("truncated file: the header announces " .. (#good - 32) .. " payload bytes, only "
          .. (len - 32) .. " are present", load_error(good:sub(1, len)), 1, true)
      end
    end)

    it("reports extra bytes after the payload", function()
      assert.matches("corrupt file: 2 unexpected bytes after", load_error(good .. "\0\0"), 1, true)
    end)

    it("reports a foreign file", function()
      assert.matches("not a lucid save file (wrong magic number)",
        load_error("return {w = 1} -- a Lua script, never run\n"), 1, true)
      assert.matches("not a lucid save file", load_error("\x89LUCIX\r\n" .. good:sub(9)), 1, true)
    end)

    it("reports a newer format version", function()
      local newer = good:sub(1, 8) .. string.pack("<I4", 2) .. good:sub(13)
      assert.matches("unsupported format version 2: written by a newer lucid", load_error(newer), 1, true)
      assert.matches("unsupported format version 4000000000",
        load_error(seal("\2", 4000000000)), 1, true)
    end)

    it("reads a file crafted from the documented format", function()
      -- {[1] = true, b = 2.5, t = int64 tensor (2,)} by hand
      local payload = string.pack("<Bi8", 7, 3)
        .. string.pack("<Bi8", 3, 1) .. string.pack("<B", 2)
        .. string.pack("<Bi8", 5, 1) .. "b" .. string.pack("<Bd", 4, 2.5)
        .. string.pack("<Bi8", 5, 1) .. "t" .. string.pack("<BBBBBi8i8i8", 6, 2, 1, 0, 0, 2, 7, -8)
      write_file(path, seal(payload))
      local y = lucid.load(path)
      assert.are.equal(true, y[1])
      assert.are.equal(2.5, y.b)
      assert_same_tensor(y.t, lucid.tensor({ 7, -8 }, { dtype = lucid.int64 }))
    end)

    it("rejects crafted sizes without crashing or allocating them", function()
      local function tensor_rec(dtype, sizes, data)
        local s = string.pack("<BBBBB", 6, dtype, #sizes, 0, 0)
        for _, n in ipairs(sizes) do s = s .. string.pack("<i8", n) end
        return s .. (data or "")
      end
      local cases = {
        { tensor_rec(0, { 1 << 30, 1 << 20 }, string.rep("\0", 64)), "needs" },
        { tensor_rec(1, { 1 << 40, 1 << 40 }), "tensor sizes overflow" },
        { tensor_rec(1, { 0, 1 << 62, 1 << 62 }), "tensor sizes overflow" },
        { tensor_rec(2, { -1 }), "tensor sizes overflow" },
        { tensor_rec(0, { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, "\0\0\0\0"), "9 dimensions, at most 8" },
        { tensor_rec(7, { 1 }, "\0\0\0\0"), "unknown tensor dtype code 7" },
        { string.pack("<BBBBB", 6, 2, 1, 1, 0) .. string.pack("<i8i8", 1, 5), "int64 tensor is marked as requiring grad" },
        { string.pack("<Bi8", 7, math.maxinteger), "announces" },
        { string.pack("<Bi8", 5, -1), "a string of" },
        { string.pack("<Bi8", 5, 100) .. "short", "a string of 100 bytes" },
        { string.pack("<Bi8", 7, 1) .. string.pack("<BB", 2, 1) .. string.rep("\0", 8), "table key" },
        { string.pack("<Bi8", 7, 2) .. string.pack("<Bi8B", 3, 1, 2) .. string.pack("<Bi8B", 3, 1, 1),
          "key 1 appears twice" },
        { "\9", "unknown record type 9" },
        { "", "needs 1 bytes, only 0 remain" },
        { "\2\2", "1 unexpected bytes after the value" },
        { string.rep(string.pack("<Bi8Bi8", 7, 1, 3, 1), 101) .. "\1", "nested deeper than 100" },
      }
      for _, c in ipairs(cases) do
        local err = load_error(seal(c[1]))
        assert.matches(c[2], err, 1, true)
        assert.matches("lucid._C.deserialize: ", H.err_str(lucid._C.deserialize, seal(c[1])), 1, true)
      end
    end)
  end)
end)
