-- Keyword arguments (API.md "Keyword arguments"): every function that takes
-- keyword arguments in PyTorch accepts them positionally, positionally with a
-- trailing options table, and all by name in one table; unknown names, wrong
-- types and clashes are errors naming the function and the argument.
local lucid = require("lucid")
local H = require("helpers")

local function x23() return lucid.tensor({ { 1, 5, 3 }, { 4, 2, 6 } }, H.F64) end

-- Each case: name, and three functions computing the same result in the three
-- forms; `same` compares the results (default: tolist + dtype + shape).
local cases = {
  {
    "tensor",
    function() return lucid.tensor({ 1, 2 }, lucid.float64, true) end,
    function() return lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true }) end,
    function() return lucid.tensor({ data = { 1, 2 }, dtype = lucid.float64, requires_grad = true }) end,
  },
  {
    "full",
    function() return lucid.full({ 2, 2 }, 3, lucid.float64, true) end,
    function() return lucid.full({ 2, 2 }, 3, { dtype = lucid.float64, requires_grad = true }) end,
    function() return lucid.full({ size = { 2, 2 }, fill_value = 3, dtype = lucid.float64, requires_grad = true }) end,
  },
  {
    "arange",
    function() return lucid.arange(2, 11, 3, lucid.float64) end,
    function() return lucid.arange(2, 11, { step = 3, dtype = lucid.float64 }) end,
    function() return lucid.arange({ start = 2, ["end"] = 11, step = 3, dtype = lucid.float64 }) end,
  },
  {
    "eye",
    function() return lucid.eye(2, 3, lucid.float64) end,
    function() return lucid.eye(2, { m = 3, dtype = lucid.float64 }) end,
    function() return lucid.eye({ n = 2, m = 3, dtype = lucid.float64 }) end,
  },
  {
    "randint",
    function() lucid.manual_seed(1); return lucid.randint(2, 9, { 5 }, lucid.float64) end,
    function() lucid.manual_seed(1); return lucid.randint(2, 9, { 5 }, { dtype = lucid.float64 }) end,
    function() lucid.manual_seed(1); return lucid.randint({ low = 2, high = 9, size = { 5 }, dtype = lucid.float64 }) end,
  },
  {
    "sum",
    function() return x23():sum(2, true) end,
    function() return x23():sum(2, { keepdim = true }) end,
    function() return x23():sum({ dim = 2, keepdim = true }) end,
  },
  {
    "mean",
    function() return lucid.mean(x23(), 1, true) end,
    function() return lucid.mean(x23(), 1, { keepdim = true }) end,
    function() return lucid.mean({ input = x23(), dim = 1, keepdim = true }) end,
  },
  {
    "max",
    function() return select(2, x23():max(2, true)) end,
    function() return select(2, x23():max(2, { keepdim = true })) end,
    function() return select(2, x23():max({ dim = 2, keepdim = true })) end,
  },
  {
    "min",
    function() return x23():min(1, false) end,
    function() return x23():min(1, { keepdim = false }) end,
    function() return x23():min({ dim = 1 }) end,
  },
  {
    "argmax",
    function() return x23():argmax(2, true) end,
    function() return x23():argmax(2, { keepdim = true }) end,
    function() return x23():argmax({ dim = 2, keepdim = true }) end,
  },
  {
    "softmax",
    function() return x23():softmax(1) end,
    function() return x23():softmax({ dim = 1 }) end,
    function() return lucid.softmax({ input = x23(), dim = 1 }) end,
  },
  {
    "log_softmax",
    function() return x23():log_softmax(-1) end,
    function() return x23():log_softmax({ dim = -1 }) end,
    function() return lucid.log_softmax({ input = x23(), dim = -1 }) end,
  },
  {
    "clamp",
    function() return x23():clamp(2, 4) end,
    function() return x23():clamp(2, { max = 4 }) end,
    function() return x23():clamp({ min = 2, max = 4 }) end,
  },
  {
    "cat",
    function() return lucid.cat({ x23(), x23() }, 2) end,
    function() return lucid.cat({ x23(), x23() }, { dim = 2 }) end,
    function() return lucid.cat({ tensors = { x23(), x23() }, dim = 2 }) end,
  },
  {
    "stack",
    function() return lucid.stack({ x23(), x23() }, 3) end,
    function() return lucid.stack({ x23(), x23() }, { dim = 3 }) end,
    function() return lucid.stack({ tensors = { x23(), x23() }, dim = 3 }) end,
  },
  {
    "split",
    function() return x23():split(2, 2)[2] end,
    function() return x23():split(2, { dim = 2 })[2] end,
    function() return x23():split({ split_size = 2, dim = 2 })[2] end,
  },
  {
    "chunk",
    function() return x23():chunk(3, 2)[3] end,
    function() return x23():chunk(3, { dim = 2 })[3] end,
    function() return lucid.chunk({ tensor = x23(), chunks = 3, dim = 2 })[3] end,
  },
  {
    "uniform_",
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):uniform_(2, 3) end,
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):uniform_(2, { to = 3 }) end,
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):uniform_({ from = 2, to = 3 }) end,
  },
  {
    "normal_",
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):normal_(1, 0.5) end,
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):normal_(1, { std = 0.5 }) end,
    function() lucid.manual_seed(4); return lucid.zeros(6, H.F64):normal_({ mean = 1, std = 0.5 }) end,
  },
}

for _, name in ipairs({ "zeros", "ones", "empty", "rand", "randn" }) do
  cases[#cases + 1] = {
    name,
    function() lucid.manual_seed(8); return lucid[name]({ 2, 3 }, { dtype = lucid.float64, requires_grad = true }) end,
    function() lucid.manual_seed(8); return lucid[name](2, 3, { dtype = lucid.float64, requires_grad = true }) end,
    function() lucid.manual_seed(8); return lucid[name]({ size = { 2, 3 }, dtype = lucid.float64, requires_grad = true }) end,
  }
end

describe("keyword arguments: positional, trailing options and all-named forms agree", function()
  for _, c in ipairs(cases) do
    it(c[1], function()
      local r1, r2, r3 = c[2](), c[3](), c[4]()
      for _, r in ipairs({ r2, r3 }) do
        assert.are.same(H.shape_of(r1), H.shape_of(r))
        assert.are.equal(r1.dtype, r.dtype)
        assert.are.equal(r1.requires_grad, r.requires_grad)
        if c[1] ~= "empty" then assert.are.same(r1:tolist(), r:tolist()) end
      end
    end)
  end

  it("the options actually take effect (not silently ignored)", function()
    assert.are.equal(lucid.float64, lucid.tensor({ 1 }, { dtype = lucid.float64 }).dtype)
    assert.are.same({ 2, 1 }, H.shape_of(x23():sum({ dim = 2, keepdim = true })))
    assert.are.same({ 2, 5, 8 }, lucid.arange({ start = 2, ["end"] = 11, step = 3 }):tolist())
    assert.are.same({ { 3, 4, 3 }, { 4, 3, 4 } }, x23():clamp({ min = 3, max = 4 }):tolist())
    local z = lucid.zeros(100, H.F64):uniform_({ from = 5, to = 6 })
    assert.is_true(z:min():item() >= 5 and z:max():item() < 6)
  end)

  it("backward and autograd.grad take retain_graph in an options table", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local y = (x * x):sum()
    y:backward({ retain_graph = true })
    y:backward(nil, { retain_graph = true })
    y:backward(lucid.tensor(1.0, H.F64), { retain_graph = true })
    assert.are.same({ 6, 12 }, x.grad:tolist())
    local g = lucid.autograd.grad(y, { x }, nil, { retain_graph = true })
    assert.are.same({ 2, 4 }, g[1]:tolist())
    local g2 = lucid.autograd.grad({ outputs = y, inputs = { x }, retain_graph = true })
    assert.are.same({ 2, 4 }, g2[1]:tolist())
  end)

  it("narrow, select, squeeze, unsqueeze and transpose accept named arguments", function()
    local x = lucid.zeros(1, 3, 4)
    assert.are.same({ 1, 3, 2 }, H.shape_of(x:narrow({ dim = 3, start = 2, length = 2 })))
    assert.are.same({ 1, 3, 2 }, H.shape_of(x:narrow(3, { start = 2, length = 2 })))
    assert.are.same({ 1, 4 }, H.shape_of(x:select({ dim = 2, index = 1 })))
    assert.are.same({ 3, 4 }, H.shape_of(x:squeeze({ dim = 1 })))
    assert.are.same({ 1, 1, 3, 4 }, H.shape_of(x:unsqueeze({ dim = 1 })))
    assert.are.same({ 1, 4, 3 }, H.shape_of(x:transpose({ dim0 = 2, dim1 = 3 })))
    assert.are.same({ 1, 4, 3 }, H.shape_of(x:transpose(2, { dim1 = 3 })))
    assert.are.same({ 1, 3 }, H.shape_of(lucid.select(x, { dim = 3, index = -1 })))
    assert.are.same({ 3, 4 }, H.shape_of(x:squeeze({}))) -- no dim: every size-1 dim
    local ok, err = pcall(function() return x:narrow(3, { start = 2, len = 2 }) end)
    assert.is_false(ok)
    assert.matches("narrow: unknown option 'len'", err)
  end)

  it("arange{end = n} and randint{high =, size =} work", function()
    assert.are.same({ 0, 1, 2 }, lucid.arange({ ["end"] = 3 }):tolist())
    assert.are.same({ 3 }, H.shape_of(lucid.randint({ high = 5, size = { 3 } })))
    assert.are.same({ 1, 3, 5 }, lucid.arange({ start = 1, ["end"] = 7, step = 2 }):tolist())
    assert.are.same({ 1, 3, 5 }, lucid.arange(1, { ["end"] = 7, step = 2 }):tolist())
    local r = lucid.randint({ low = 3, high = 5, size = { 200 } })
    assert.is_true(r:min():item() >= 3 and r:max():item() <= 4)
    assert.are.equal(lucid.float64, lucid.randint({ high = 5, size = { 2 }, dtype = lucid.float64 }).dtype)
  end)
end)

describe("keyword argument errors", function()
  local bad = {
    { "tensor", function() return lucid.tensor(1, { dtpe = lucid.float64 }) end, "dtpe" },
    { "zeros", function() return lucid.zeros(2, { dtyp = lucid.float64 }) end, "dtyp" },
    { "ones", function() return lucid.ones({ 2 }, { requires = true }) end, "requires" },
    { "empty", function() return lucid.empty(2, { shape = 3 }) end, "shape" },
    { "rand", function() return lucid.rand(2, { seed = 3 }) end, "seed" },
    { "randn", function() return lucid.randn(2, { mean = 3 }) end, "mean" },
    { "full", function() return lucid.full({ 2 }, 3, { bogus = 1 }) end, "bogus" },
    { "arange", function() return lucid.arange(3, { stp = 1 }) end, "stp" },
    { "eye", function() return lucid.eye(2, { mm = 3 }) end, "mm" },
    { "randint", function() return lucid.randint(0, 5, { 3 }, { lo = 1 }) end, "lo" },
    { "sum", function() return x23():sum({ dim = 1, keepdims = true }) end, "keepdims" },
    { "mean", function() return x23():mean({ axis = 1 }) end, "axis" },
    { "max", function() return x23():max({ dim = 1, keep = true }) end, "keep" },
    { "argmax", function() return x23():argmax({ dimension = 1 }) end, "dimension" },
    { "softmax", function() return x23():softmax({ dim = 1, bad = 1 }) end, "bad" },
    { "clamp", function() return x23():clamp({ min = 1, maxx = 3 }) end, "maxx" },
    { "cat", function() return lucid.cat({ x23(), x23() }, { dimm = 1 }) end, "dimm" },
    { "stack", function() return lucid.stack({ x23() }, { axis = 1 }) end, "axis" },
    { "split", function() return x23():split(1, { dimension = 1 }) end, "dimension" },
    { "chunk", function() return x23():chunk(1, { n = 1 }) end, "n" },
    { "uniform_", function() return x23():uniform_({ a = 1 }) end, "a" },
    { "normal_", function() return x23():normal_({ sigma = 1 }) end, "sigma" },
    { "backward", function() return (x23() * 1):backward({ retain = true }) end, "retain" },
    { "grad", function()
      local x = lucid.ones(1, { requires_grad = true })
      return lucid.autograd.grad(x * 2, { x }, nil, { keep_graph = true })
    end, "keep_graph" },
  }
  for _, b in ipairs(bad) do
    it(b[1] .. " rejects an unknown option, naming the function and the option", function()
      local err = H.err_of(b[2])
      assert.is_not_nil(err:find(b[1] .. ": ", 1, true), err)
      assert.is_not_nil(err:find("'" .. b[3] .. "'", 1, true), err)
      assert.matches("unknown option", err)
    end)
  end

  it("an argument given both by position and by name is an error", function()
    assert.matches("sum: argument 'dim' given both by position and by name",
      H.err_of(function() return x23():sum(1, { dim = 1 }) end))
  end)

  it("wrong option types are errors naming the option", function()
    assert.matches("zeros: requires_grad must be a boolean, got number",
      H.err_of(lucid.zeros, 2, { requires_grad = 1 }))
    assert.matches("tensor: requires_grad must be a boolean", H.err_of(lucid.tensor, 1.0, { requires_grad = "yes" }))
    assert.matches("sum: keepdim must be a boolean, got string", H.err_of(function() return x23():sum(1, "yes") end))
    assert.matches("zeros: dtype must be lucid.float32, lucid.float64, lucid.int64 or lucid.bool, got float16",
      H.err_of(lucid.zeros, 2, { dtype = "float16" }))
    assert.matches("backward: retain_graph must be a boolean",
      H.err_of(function() (x23() * 1):sum():backward({ retain_graph = 1 }) end))
  end)

  it("dtype accepts lucid.float32 (the default) and lucid.float64", function()
    assert.are.equal(lucid.float32, lucid.zeros(1).dtype)
    assert.are.equal(lucid.float32, lucid.zeros(1, { dtype = lucid.float32 }).dtype)
    assert.are.equal(lucid.float64, lucid.zeros(1, { dtype = lucid.float64 }).dtype)
  end)
end)

describe("more keyword forms", function()
  it("eye takes requires_grad, to takes {dtype =}, load_state_dict takes {strict =}", function()
    assert.is_true(lucid.eye(2, { requires_grad = true }).requires_grad)
    assert.are.equal(lucid.float64, lucid.ones(2):to({ dtype = lucid.float64 }).dtype)
    local nn = require("nn")
    local m = nn.Linear(2, 2)
    m:load_state_dict({ weight = lucid.zeros(2, 2) }, { strict = false })
    assert.are.equal(0, m.weight:abs():sum():item())
    assert.matches("missing keys: bias", H.err_of(function()
      m:load_state_dict({ weight = lucid.zeros(2, 2) }, { strict = true })
    end))
  end)
end)

-- The one rule for what counts as an options table (docs/conventions.md),
-- held by both parsers: lucid.args.is_options (Lua) and lcb_is_options (C,
-- asked through lucid._C.is_options(plain, ...)). Each case: the arguments
-- (the last is judged), plain (the first position after every parameter
-- that can take a table) and the rule's answer.
describe("what counts as an options table: lucid.args and lcb_args agree", function()
  local args = require("lucid.args")
  local x = lucid.zeros(2)
  local cases = {
    { "a table with a string key", { 3, { dtype = "float64" } }, 2, true },
    { "a table with a string key, first", { { size = { 2 } } }, 2, true },
    { "an array with a string key too", { 3, { 2, dtype = "float64" } }, 2, true },
    { "an empty table after an argument", { 3, {} }, 2, true },
    { "an empty table first (sizes, data)", { {} }, 2, false },
    { "an empty table first where no parameter takes a table", { {} }, 1, true },
    { "an empty table where a parameter takes a table", { 3, {} }, 3, false },
    { "an array (sizes, betas)", { 3, { 2, 3 } }, 2, false },
    { "a table with only non-string keys", { 3, { [true] = 1, [2.5] = 2 } }, 2, false },
    { "a table with a metatable", { 3, setmetatable({ dtype = "float64" }, {}) }, 2, false },
    { "an empty table with a metatable", { 3, setmetatable({}, {}) }, 2, false },
    { "a tensor", { 3, x }, 2, false },
    { "a shape", { 3, x.shape }, 2, false },
    { "a module", { 3, require("nn").Linear(2, 2) }, 2, false },
    { "a number", { 3, 4 }, 2, false },
    { "a string", { 3, "float64" }, 2, false },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. (c[4] and ": options" or ": a value"), function()
      local list, plain, want = c[2], c[3], c[4]
      local n = #list
      assert.are.equal(want, args.is_options(list[n], n, plain))
      assert.are.equal(want, lucid._C.is_options(plain, table.unpack(list, 1, n)))
    end)
  end

  it("so a C function and a Lua function read the same calls alike", function()
    local nn = require("nn")
    -- {} after the arguments: no options, in C (lucid.zeros) and Lua (nn.Linear)
    assert.are.same({ 2 }, H.shape_of(lucid.zeros(2, {})))
    assert.are.equal(3, nn.Linear(2, 3, {}).out_features)
    -- {} first is a value where the first parameter takes a table
    assert.are.same({}, H.shape_of(lucid.zeros({})))
    assert.are.equal(0, #nn.ModuleList({}))
    assert.are.same({}, H.shape_of(x:new_zeros({}))) -- the size of a method, position 2
    -- alone where no parameter takes a table, {} is the empty options table
    assert.is_false(nn.ReLU({}).inplace)
    -- a table with a metatable is a positional value, never options
    assert.matches("zeros: size 2 must be", H.err_of(lucid.zeros, 2, setmetatable({ dtype = "float64" }, {})))
    assert.matches("Linear: bias must be a boolean, got table",
      H.err_of(nn.Linear, 2, 3, setmetatable({ bias = false }, {})))
    -- a tensor last is a positional value
    assert.matches("zeros: size 2 must be", H.err_of(lucid.zeros, 2, x))
    assert.matches("Linear: bias must be a boolean", H.err_of(nn.Linear, 2, 3, x))
  end)

  it("zeros, ones, empty, rand, randn, new_zeros and meshgrid take their options through lcb_args", function()
    local z = lucid.zeros({ size = { 2, 3 }, dtype = lucid.float64, requires_grad = true })
    assert.are.same({ 2, 3 }, H.shape_of(z))
    assert.is_true(z.requires_grad and z.dtype == lucid.float64)
    assert.are.same({ 2, 3 }, H.shape_of(lucid.ones(2, 3, { dtype = "float64" })))
    assert.matches("zeros: argument 'size' given both by position and by name",
      H.err_of(lucid.zeros, 2, { size = { 3 } }))
    assert.matches("ones: unknown option 'dtpye'", H.err_of(lucid.ones, 2, { dtpye = lucid.float64 }))
    assert.matches("randn: dtype must be a floating point type", H.err_of(lucid.randn, 2, { dtype = lucid.int64 }))
    assert.are.equal(lucid.int64, x:new_ones({ 2 }, { dtype = lucid.int64 }).dtype)
    assert.matches("new_full: unknown option 'value'", H.err_of(function() return x:new_full({ 2 }, 1, { value = 1 }) end))
    local a, b = lucid.arange(2), lucid.arange(3)
    assert.are.same({ 3, 2 }, H.shape_of(lucid.meshgrid(a, b, { indexing = "xy" })[1]))
    assert.are.same({ 2, 3 }, H.shape_of(lucid.meshgrid(a, b, {})[1]))
    assert.matches("meshgrid: unknown option 'index'", H.err_of(lucid.meshgrid, a, b, { index = "xy" }))
  end)

  it("load_state_dict and zero_grad read their options through lucid.args", function()
    local nn = require("nn")
    local m = nn.Linear(2, 2)
    assert.matches("Linear: load_state_dict: unknown option 'strcit'",
      H.err_of(function() m:load_state_dict(m:state_dict(), { strcit = false }) end))
    m:load_state_dict({ weight = lucid.ones(2, 2) }, false)
    assert.are.equal(4, m.weight:sum():item())
    local opt = lucid.optim.SGD(m:parameters(), 0.1)
    m(lucid.ones(1, 2)):sum():backward()
    opt:zero_grad({ set_to_none = true })
    assert.is_nil(m.weight.grad)
    assert.matches("SGD: zero_grad: unknown option 'none'", H.err_of(function() opt:zero_grad({ none = true }) end))
  end)

  it("so do gradcheck and utils.progress, whose options are keyword-only", function()
    local x = lucid.randn(3, { dtype = lucid.float64, requires_grad = true })
    assert.is_true(lucid.autograd.gradcheck(function(t) return t:exp() end, { x }, { eps = 1e-6 }))
    assert.is_true(lucid.autograd.gradcheck{ fn = function(t) return t:exp() end, inputs = x })
    assert.matches("gradcheck: unknown option 'tol'",
      H.err_of(lucid.autograd.gradcheck, function(t) return t end, x, { tol = 1 }))
    assert.matches("gradcheck: expected at most 2 positional arguments, got 3",
      H.err_of(lucid.autograd.gradcheck, function(t) return t end, x, 1e-6))
    local utils = require("lucid.utils")
    assert.matches("utils.progress: unknown option 'widht'", H.err_of(utils.progress, 10, { widht = 5 }))
    assert.are.equal(5, utils.progress(10, { width = 5, out = io.stderr, tty = false }).width)
  end)
end)
