-- Every differentiable op passes lucid.autograd.gradcheck (float64 central
-- finite differences), on contiguous inputs and again with each input seen
-- through a strided (non-contiguous) view and, for inputs of 2 or more dims,
-- through a transposed view. Also the rest of API.md's "Autograd" section:
-- requires_grad, backward, .grad, grad_fn, detach, no_grad, autograd.grad,
-- autograd.Function.
local lucid = require("lucid")
local H = require("helpers")

local gradcheck = lucid.autograd.gradcheck

local function rev(shape)
  local r = {}
  for i = 1, #shape do r[i] = shape[i] end
  if #r >= 2 then r[#r], r[#r - 1] = r[#r - 1], r[#r] end
  return r
end

local function with_last(shape, n)
  local r = {}
  for i = 1, #shape do r[i] = shape[i] end
  r[#r + 1] = n
  return r
end

-- Input i of a case: a leaf plus how fn sees it.
--   "contiguous": the leaf itself
--   "strided":    leaf of shape (S..., 2), seen as select(-1, 2): stride 2
--   "transposed": leaf with the last two dims swapped, seen transposed back
local function make_input(shape, layout, lo, hi)
  local leaf_shape = layout == "strided" and with_last(shape, 2)
    or (layout == "transposed" and rev(shape) or shape)
  local leaf = lucid.rand(leaf_shape, H.F64) * (hi - lo) + lo
  leaf = leaf:detach():requires_grad_()
  local see
  if layout == "strided" then
    see = function(x) return x:select(-1, 2) end
  elseif layout == "transposed" then
    see = function(x) return x:transpose(-1, -2) end
  else
    see = function(x) return x end
  end
  return leaf, see
end

-- Runs gradcheck of case.f over case.shapes in a layout.
local function check(case, layout)
  lucid.manual_seed(1234)
  local leaves, sees = {}, {}
  for i, s in ipairs(case.shapes) do
    local lay = layout
    if lay == "transposed" and #s < 2 then lay = "contiguous" end
    leaves[i], sees[i] = make_input(s, lay, case.lo or -1.5, case.hi or 1.5)
  end
  local function fn(...)
    local xs = { ... }
    for i = 1, #xs do xs[i] = sees[i](xs[i]) end
    return case.f(table.unpack(xs, 1, #case.shapes))
  end
  if layout ~= "contiguous" then
    local v = sees[1](leaves[1])
    local t_ok = layout ~= "transposed" or (#case.shapes[1] >= 2 and v:size(-1) > 1 and v:size(-2) > 1)
    if t_ok and v:numel() > 1 then
      assert.is_false(v:is_contiguous(), "the " .. layout .. " view should not be contiguous")
    end
  end
  assert.is_true(gradcheck(fn, leaves))
end

-- x ^ 3 as an autograd.Function with a hand-written backward 3 x^2.
local function cube()
  return lucid.autograd.Function({
    forward = function(ctx, x) ctx:save_for_backward(x); return x ^ 3 end,
    backward = function(ctx, g)
      local x = table.unpack(ctx.saved_tensors)
      return g * 3 * x * x
    end,
  })
end

local cases = {}
local function add(name, shapes, f, extra)
  local c = { name = name, shapes = shapes, f = f }
  for k, v in pairs(extra or {}) do c[k] = v end
  cases[#cases + 1] = c
end

-- unary ---------------------------------------------------------------------
-- every differentiable row of the op table (lucid._C.optable), on its test
-- domain, with its default and its sample parameters: a new op is checked
-- here without new test code
for _, op in ipairs(lucid._C.optable) do
  if op.differentiable and not op.own_binding then
    local sets = { {} }
    if #op.params > 0 then
      local sample = {}
      for k, c in ipairs(op.choices) do
        if c ~= "" then -- a string parameter: its second choice
          sample[k] = c:match("|([^|]+)")
        else
          sample[k] = op.sample[k]
        end
      end
      sets[2] = sample
    end
    for i, ps in ipairs(sets) do
      local label = op.name .. (i == 2 and " (sample parameters)" or "") .. " from the op table"
      local extra = { lo = op.lo, hi = op.hi }
      if op.arity == 1 then
        add(label, { { 3, 4 } }, function(x) return x[op.name](x, table.unpack(ps, 1, #op.params)) end, extra)
      else
        add(label, { { 3, 4 }, { 4 } }, function(a, b) return a[op.name](a, b) end, extra)
      end
    end
  end
end
add("neg", { { 3, 4 } }, function(x) return -x end)
add("addcmul with broadcasting and a value", { { 3, 4 }, { 4 }, { 3, 1 } }, function(x, a, b) return x:addcmul(a, b, 0.7) end)
add("addcdiv", { { 3, 4 }, { 3, 4 }, { 4 } }, function(x, a, b) return lucid.addcdiv(x, a, b, -2) end, { lo = 0.5, hi = 2 })
add("addcmul_ on a non-leaf", { { 3, 4 }, { 4 }, { 3, 4 } }, function(x, a, b) return (x * 1):addcmul_(a, b) end)
-- every differentiable row of the reduction table, over all elements, a dim
-- and (where allowed) a list of dims
for _, r in ipairs(lucid._C.reducetable) do
  if r.differentiable then
    local extra = { lo = r.lo, hi = r.hi }
    local calls = { {}, { dim = 2 }, { dim = -1, keepdim = true } }
    if not r.one_dim then calls[#calls + 1] = { dim = { 1, 3 } } end
    for _, opts in ipairs(calls) do
      local label = string.format("%s {dim = %s, keepdim = %s} from the reduction table", r.name,
        type(opts.dim) == "table" and "{1, 3}" or tostring(opts.dim), tostring(opts.keepdim))
      add(label, { { 2, 3, 4 } }, function(x) return x[r.name](x, opts) end, extra)
    end
  end
end
add("lucid.exp function form", { { 5 } }, function(x) return lucid.exp(x) end)
add("unary on 0-dim", { { 2 } }, function(x) return x:sum():tanh() end)

-- binary, with broadcasting and scalars ------------------------------------------
for _, op in ipairs({ "add", "sub", "mul", "div" }) do
  local lo = op == "div" and 0.5 or -1.5
  add(op .. " same shape", { { 3, 4 }, { 3, 4 } }, function(a, b) return a[op](a, b) end, { lo = lo, hi = 2 })
  add(op .. " broadcast (3, 4) with (4)", { { 3, 4 }, { 4 } }, function(a, b) return a[op](a, b) end, { lo = lo, hi = 2 })
  add(op .. " broadcast (3, 1) with (1, 4)", { { 3, 1 }, { 1, 4 } }, function(a, b) return a[op](a, b) end, { lo = lo, hi = 2 })
  add(op .. " broadcast (2, 1, 3) with (4, 3)", { { 2, 1, 3 }, { 4, 3 } }, function(a, b) return a[op](a, b) end, { lo = lo, hi = 2 })
  add(op .. " broadcast (4) with (3, 4), small first", { { 4 }, { 3, 4 } }, function(a, b) return a[op](a, b) end, { lo = lo, hi = 2 })
  add(op .. " with a 0-dim tensor", { { 3, 4 }, { 2 } }, function(a, b) return a[op](a, b:sum()) end, { lo = lo, hi = 2 })
  add(op .. " tensor op number", { { 3, 4 } }, function(a) return a[op](a, 1.7) end, { lo = lo, hi = 2 })
end
add("+ operator", { { 3, 4 }, { 4 } }, function(a, b) return a + b end)
add("- operator", { { 3, 4 }, { 4 } }, function(a, b) return a - b end)
add("* operator", { { 3, 4 }, { 3, 1 } }, function(a, b) return a * b end)
add("/ operator", { { 3, 4 }, { 3, 1 } }, function(a, b) return a / b end, { lo = 0.5, hi = 2 })
add("number + tensor", { { 3, 4 } }, function(a) return 2 + a end)
add("number - tensor", { { 3, 4 } }, function(a) return 2 - a end)
add("number * tensor", { { 3, 4 } }, function(a) return 2.5 * a end)
add("number / tensor", { { 3, 4 } }, function(a) return 3 / a end, { lo = 0.5, hi = 2 })
add("same tensor on both sides", { { 3, 4 } }, function(a) return a * a + a / (a * a + 1) end)

-- pow and clamp ---------------------------------------------------------------
add("x ^ 3", { { 3, 4 } }, function(x) return x ^ 3 end)
add("x:pow(2.5)", { { 3, 4 } }, function(x) return x:pow(2.5) end, { lo = 0.5, hi = 2 })
add("x ^ -1", { { 3, 4 } }, function(x) return x ^ -1 end, { lo = 0.5, hi = 2 })
add("number ^ x", { { 3, 4 } }, function(x) return 2 ^ x end)
add("x ^ y tensors (both get gradients)", { { 3, 4 }, { 3, 4 } }, function(x, y) return x ^ y end, { lo = 0.5, hi = 2 })
add("x:pow(y) broadcast", { { 3, 4 }, { 4 } }, function(x, y) return x:pow(y) end, { lo = 0.5, hi = 2 })
add("clamp(lo, hi)", { { 4, 5 } }, function(x) return x:clamp(-0.5, 0.7) end)
add("clamp(min)", { { 4, 5 } }, function(x) return x:clamp(0.1) end)
add("clamp(nil, max)", { { 4, 5 } }, function(x) return x:clamp(nil, 0.2) end)
add("clamp{min, max}", { { 4, 5 } }, function(x) return x:clamp({ min = -0.3, max = 0.4 }) end)

-- matmul ------------------------------------------------------------------------
add("matmul 1-D x 1-D", { { 4 }, { 4 } }, function(a, b) return a:matmul(b) end)
add("matmul 2-D x 1-D", { { 3, 4 }, { 4 } }, function(a, b) return a:matmul(b) end)
add("matmul 1-D x 2-D", { { 3 }, { 3, 4 } }, function(a, b) return a:matmul(b) end)
add("matmul 2-D x 2-D", { { 3, 4 }, { 4, 2 } }, function(a, b) return lucid.matmul(a, b) end)
add("matmul transposed x transposed", { { 4, 3 }, { 2, 4 } }, function(a, b) return a:t():matmul(b:t()) end)
add("matmul A^T A", { { 4, 3 } }, function(a) return a:t():matmul(a) end)
add("matmul batched", { { 2, 3, 4 }, { 2, 4, 5 } }, function(a, b) return a:matmul(b) end)
add("matmul batched with broadcast batch dims", { { 2, 1, 3, 4 }, { 3, 4, 2 } }, function(a, b) return a:matmul(b) end)
add("matmul batched x 2-D", { { 2, 3, 4 }, { 4, 2 } }, function(a, b) return a:matmul(b) end)
add("matmul 2-D x batched", { { 3, 4 }, { 2, 4, 2 } }, function(a, b) return a:matmul(b) end)
add("matmul batched x 1-D", { { 2, 3, 4 }, { 4 } }, function(a, b) return a:matmul(b) end)
add("matmul 1-D x batched", { { 4 }, { 2, 4, 3 } }, function(a, b) return a:matmul(b) end)
add("matmul batched with transposed batches", { { 2, 4, 3 }, { 2, 5, 4 } },
  function(a, b) return a:transpose(2, 3):matmul(b:transpose(-1, -2)) end)

-- reductions --------------------------------------------------------------------
for _, op in ipairs({ "sum", "mean" }) do
  add(op .. " all", { { 3, 4 } }, function(x) return x[op](x) end)
  add(op .. " dim 1", { { 3, 4 } }, function(x) return x[op](x, 1) end)
  add(op .. " dim -1 keepdim", { { 3, 4 } }, function(x) return x[op](x, -1, true) end)
  add(op .. " middle dim of 3-D", { { 2, 3, 4 } }, function(x) return x[op](x, 2) end)
  add(op .. " all keepdim", { { 2, 3 } }, function(x) return x[op](x, nil, true) end)
end
for _, op in ipairs({ "max", "min" }) do
  add(op .. " all", { { 3, 4 } }, function(x) return x[op](x) end)
  add(op .. " dim 1", { { 3, 4 } }, function(x) return (x[op](x, 1)) end)
  add(op .. " dim 2 keepdim", { { 3, 4 } }, function(x) return (x[op](x, 2, true)) end)
  add(op .. " dim -1 of 3-D", { { 2, 3, 4 } }, function(x) return (x[op](x, -1)) end)
  add(op .. " values and indices returned", { { 3, 4 } }, function(x) return x[op](x, 2) end)
end
for _, op in ipairs({ "softmax", "log_softmax" }) do
  add(op .. " dim 1", { { 3, 4 } }, function(x) return x[op](x, 1) end)
  add(op .. " dim 2", { { 3, 4 } }, function(x) return x[op](x, 2) end)
  add(op .. " dim -1 of 3-D", { { 2, 3, 4 } }, function(x) return x[op](x, -1) end)
  add(op .. " middle dim of 3-D", { { 2, 3, 4 } }, function(x) return x[op](x, 2) end)
end

-- views ---------------------------------------------------------------------------
add("narrow", { { 4, 5 } }, function(x) return x:narrow(2, 2, 3) end)
add("narrow dim 1, negative start", { { 4, 5 } }, function(x) return x:narrow(1, -3, 2) end)
add("select", { { 4, 5 } }, function(x) return x:select(2, 3) end)
add("select negative index", { { 4, 5 } }, function(x) return x:select(1, -1) end)
add("index x[t]", { { 4, 5 } }, function(x) return x[2] end)
add("index x[-t][t]", { { 3, 4, 5 } }, function(x) return x[-1][2] end)
add("view", { { 4, 6 } }, function(x) return x:contiguous():view(3, 8) end)
add("view with -1", { { 4, 6 } }, function(x) return x:contiguous():view(-1) * lucid.arange(24):double() end)
add("reshape", { { 4, 6 } }, function(x) return x:reshape(2, 12) end)
add("reshape to 3-D", { { 4, 6 } }, function(x) return x:reshape(2, -1, 3) end)
add("transpose", { { 3, 4 } }, function(x) return x:transpose(1, 2) end)
add("transpose 3-D", { { 2, 3, 4 } }, function(x) return x:transpose(1, 3) end)
add("t", { { 3, 4 } }, function(x) return x:t() end)
add("permute", { { 2, 3, 4 } }, function(x) return x:permute(3, 1, 2) end)
add("expand", { { 1, 4 } }, function(x) return x:expand(3, 4) end)
add("expand new leading dims", { { 4 } }, function(x) return x:expand(2, 3, 4) end)
add("squeeze all", { { 1, 4 } }, function(x) return x:squeeze() end)
add("squeeze dim", { { 3, 1 } }, function(x) return x:squeeze(2) end)
add("unsqueeze", { { 3, 4 } }, function(x) return x:unsqueeze(2) end)
add("unsqueeze -1", { { 3, 4 } }, function(x) return x:unsqueeze(-1) end)
add("contiguous", { { 3, 4 } }, function(x) return x:contiguous() end)
add("clone", { { 3, 4 } }, function(x) return x:clone() * 2 end)
add("chain of views", { { 2, 3, 4 } }, function(x)
  return x:transpose(1, 2):narrow(3, 2, 2):reshape(6, 2):unsqueeze(1):expand(2, 6, 2):select(3, 1)
end)

-- joining and splitting ------------------------------------------------------------
add("cat dim 1", { { 2, 3 }, { 4, 3 } }, function(a, b) return lucid.cat({ a, b }, 1) end)
add("cat dim 2", { { 3, 2 }, { 3, 4 } }, function(a, b) return lucid.cat({ a, b }, 2) end)
add("cat same tensor twice", { { 3, 2 } }, function(a) return lucid.cat({ a, a * 2, a }, -1) end)
add("stack dim 1", { { 3, 4 }, { 3, 4 } }, function(a, b) return lucid.stack({ a, b }, 1) end)
add("stack last dim", { { 3, 4 }, { 3, 4 } }, function(a, b) return lucid.stack({ a, b }, 3) end)
add("split", { { 5, 3 } }, function(x) return table.unpack(x:split(2)) end)
add("split dim 2, parts used separately", { { 3, 5 } }, function(x)
  local p = x:split(2, 2)
  return p[1]:sum() * p[2]:mean() + p[3]:exp():sum()
end)
add("chunk", { { 3, 6 } }, function(x) return table.unpack(x:chunk(3, 2)) end)
add("chunk uneven", { { 5, 2 } }, function(x) return table.unpack(lucid.chunk(x, 2, 1)) end)

-- in-place ops on non-leaf tensors -------------------------------------------------
add("add_ tensor on a non-leaf", { { 3, 4 }, { 4 } }, function(x, b)
  local y = x * 1
  y:add_(b)
  return y
end)
add("add_ number on a non-leaf", { { 3, 4 } }, function(x) return (x * 2):add_(3) end)
add("mul_ tensor on a non-leaf", { { 3, 4 }, { 3, 4 } }, function(x, b) return (x + 0):mul_(b) end)
add("mul_ number on a non-leaf", { { 3, 4 } }, function(x) return (x * 2):mul_(1.5) end)
add("sub_ and div_ on a non-leaf", { { 3, 4 }, { 3, 4 } }, function(x, b)
  return (x * 1):sub_(b):div_(b)
end, { lo = 0.5, hi = 2 })
add("in-place after a saving op (tanh then mul_)", { { 3, 4 } }, function(x)
  local y = x:exp() * x
  y:mul_(2)
  return y:tanh()
end)
add("copy_ into a non-leaf", { { 3, 4 }, { 4 } }, function(x, src)
  local y = x * 1
  y:copy_(src)
  return y * x
end)
add("fill_ and zero_ cut the gradient", { { 3, 4 } }, function(x)
  local y, z = x * 1, x * 2
  y:fill_(3)
  z:zero_()
  return y * x + z + x
end)

-- composites and custom functions ---------------------------------------------------
add("softmax of matmul plus bias", { { 2, 3 }, { 3, 4 }, { 4 } }, function(x, w, b)
  return (x:matmul(w) + b):log_softmax(2)
end)
add("autograd.Function (Cube)", { { 3, 4 } }, function(x)
  return cube().apply(x) + x
end)

describe("gradcheck of every differentiable op", function()
  for _, case in ipairs(cases) do
    for _, layout in ipairs({ "contiguous", "strided", "transposed" }) do
      local multi_d = false
      for _, s in ipairs(case.shapes) do multi_d = multi_d or #s >= 2 end
      if layout ~= "transposed" or multi_d then
        it(case.name .. " (" .. layout .. " inputs)", function() check(case, layout) end)
      end
    end
  end
end)

describe("gradcheck itself", function()
  it("detects a wrong gradient", function()
    local Wrong = lucid.autograd.Function({
      forward = function(ctx, a) return a * 2 end,
      backward = function(ctx, g) return g * 3 end,
    })
    local x = lucid.randn(3, { dtype = lucid.float64, requires_grad = true })
    local err = H.err_of(gradcheck, function(a) return Wrong.apply(a) end, { x })
    assert.matches("gradcheck: gradient mismatch", err)
  end)

  it("requires float64 inputs", function()
    local x = lucid.randn(3, { requires_grad = true })
    local err = H.err_of(gradcheck, function(a) return a * 2 end, { x })
    assert.matches("gradcheck: input 1 is float32", err)
  end)
end)

describe("in-place ops and saved tensors", function()
  it("modifying a tensor saved for backward (exp's output) raises at backward", function()
    local x = lucid.randn(3, { dtype = lucid.float64, requires_grad = true })
    local y = x:exp()
    y:mul_(2)
    local err = H.err_of(function() y:sum():backward() end)
    assert.matches("backward: a tensor saved by %w+ for the gradient was modified by an in%-place operation", err)
  end)
end)

describe("autograd API", function()
  local function f64(t, rg) return lucid.tensor(t, { dtype = lucid.float64, requires_grad = rg }) end

  it("requires_grad: option, field and requires_grad_()", function()
    local a = f64({ 1, 2 }, true)
    assert.is_true(a.requires_grad)
    local b = f64({ 1, 2 })
    assert.is_false(b.requires_grad)
    b.requires_grad = true
    assert.is_true(b.requires_grad)
    local c = f64({ 1, 2 })
    assert.is_true(c:requires_grad_() == c)
    assert.is_true(c.requires_grad)
    c:requires_grad_(false)
    assert.is_false(c.requires_grad)
    assert.is_true(a.is_leaf)
    assert.is_false((a * 2).is_leaf)
  end)

  it("x.grad is nil until a backward reaches x, then accumulates", function()
    local x = f64({ 1, 2, 3 }, true)
    local unused = f64({ 1 }, true)
    assert.is_nil(x.grad)
    local y = (x * x):sum()
    assert.is_nil(x.grad)
    y:backward()
    assert.are.same({ 2, 4, 6 }, x.grad:tolist())
    assert.is_nil(unused.grad)
    ;(x * 3):sum():backward()
    assert.are.same({ 5, 7, 9 }, x.grad:tolist())
    x.grad = nil
    assert.is_nil(x.grad)
    ;(x * 1):sum():backward()
    assert.are.same({ 1, 1, 1 }, x.grad:tolist())
  end)

  it("backward(grad) seeds a non-scalar output", function()
    local x = f64({ 1, 2 }, true)
    local y = x * x
    y:backward(f64({ 10, 100 }))
    assert.are.same({ 20, 400 }, x.grad:tolist())
  end)

  it("backward twice needs retain_graph", function()
    local x = f64({ 0.5 }, true)
    local y = x:exp():sum()
    y:backward({ retain_graph = true })
    y:backward()
    assert.is_true(math.abs(x.grad:item() - 2 * math.exp(0.5)) < 1e-12)
    local err = H.err_of(function() y:backward() end)
    assert.matches("backward: trying to backward through the graph a second time", err)
  end)

  it("grad_fn names the op that made a tensor; leaves have none", function()
    local x = f64({ 1, 2 }, true)
    assert.is_nil(x.grad_fn)
    assert.are.equal("SumBackward", (x * 2):sum().grad_fn.name)
    assert.are.equal("string", type(tostring((x * 2).grad_fn)))
    assert.is_nil((f64({ 1 }) * 2).grad_fn)
  end)

  it("detach shares memory and stops gradients", function()
    local x = f64({ 1, 2 }, true)
    local y = x * 3
    local d = y:detach()
    assert.is_false(d.requires_grad)
    assert.is_nil(d.grad_fn)
    assert.is_true(d:is_same_storage(y))
    ;(y * d):sum():backward()
    assert.are.same({ 9, 18 }, x.grad:tolist()) -- d counts as a constant
  end)

  it("no_grad(fn, ...) runs fn without recording and returns its results", function()
    local x = f64({ 1, 2 }, true)
    local y, n = lucid.no_grad(function(a, k) return a * k, k + 1 end, x, 3)
    assert.are.equal(4, n)
    assert.is_false(y.requires_grad)
    assert.is_nil(y.grad_fn)
    assert.are.same({ 3, 6 }, y:tolist())
    assert.is_true(lucid.is_grad_enabled())
    assert.is_true((x * 2).requires_grad)
    -- errors inside restore grad mode
    assert.is_false(pcall(lucid.no_grad, function() error("boom") end))
    assert.is_true(lucid.is_grad_enabled())
  end)

  it("autograd.grad returns gradients without touching .grad", function()
    local x, w = f64({ 1, 2 }, true), f64({ 3, 4 }, true)
    local y = (x * w):sum()
    local g = lucid.autograd.grad(y, { x, w })
    assert.are.same({ 3, 4 }, g[1]:tolist())
    assert.are.same({ 1, 2 }, g[2]:tolist())
    assert.is_nil(x.grad)
    assert.is_nil(w.grad)
    local single = lucid.autograd.grad((x * x):sum(), x)
    assert.is_true(lucid.is_tensor(single))
    assert.are.same({ 2, 4 }, single:tolist())
    local u = f64({ 1 }, true)
    local err = H.err_of(lucid.autograd.grad, (x * 2):sum(), { x, u })
    assert.matches("grad: input 2 was not used in the graph", err)
    local g2 = lucid.autograd.grad((x * 2):sum(), { x, u }, nil, { allow_unused = true })
    assert.are.same({ 2, 2 }, g2[1]:tolist())
    assert.is_nil(g2[2])
    local gv = lucid.autograd.grad(x * x, { x }, { f64({ 1, 10 }) })
    assert.are.same({ 2, 40 }, gv[1]:tolist())
  end)

  it("autograd.Function makes one node with a Lua backward", function()
    local Cube = cube()
    local x = f64({ 1, 2 }, true)
    local y = Cube.apply(x)
    assert.are.same({ 1, 8 }, y:tolist())
    assert.is_not_nil(y.grad_fn)
    y:sum():backward()
    assert.are.same({ 3, 12 }, x.grad:tolist())
    assert.has_error(function() lucid.autograd.Function({ forward = 1 }) end)
  end)
end)

describe("in-place writes through views under autograd", function()
  -- As PyTorch: writing into a view of a tensor changes that tensor's history
  -- too, so gradients see the write.
  it("narrow():mul_ on a non-leaf scales that part's gradient", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local y = x * 1
    y:narrow(1, 1, 1):mul_(3)
    y:sum():backward()
    assert.are.same({ 3, 1 }, x.grad:tolist())
    local z = lucid.randn(3, 4, { dtype = lucid.float64, requires_grad = true })
    assert.is_true(gradcheck(function(a)
      local b = a * 1
      b:narrow(2, 1, 2):mul_(3)
      return b
    end, { z }))
  end)

  it("x[t] = value on a non-leaf cuts the gradient of the overwritten part", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local y = x * 1
    y[2] = 5
    ;(y * y):sum():backward()
    assert.are.same({ 2, 0 }, x.grad:tolist())
    local z = lucid.randn(3, 4, { dtype = lucid.float64, requires_grad = true })
    local r = lucid.randn(4, { dtype = lucid.float64, requires_grad = true })
    assert.is_true(gradcheck(function(a, b)
      local c = a * 1
      c[2] = b
      return c
    end, { z, r }))
  end)

  it("a written value flows back to where it came from, through views of views and broadcasting", function()
    local a = lucid.randn(3, 4, { dtype = lucid.float64, requires_grad = true })
    local b = lucid.randn(4, { dtype = lucid.float64, requires_grad = true })
    local s = lucid.randn(1, { dtype = lucid.float64, requires_grad = true })
    assert.is_true(gradcheck(function(p, q, w)
      local c = p * 2 + 1
      c:t()[2]:copy_(q:narrow(1, 1, 3) * 2) -- column 2 of c, through a transposed view
      c[3]:narrow(1, 2, 2):add_(w)          -- a view of a view, a broadcast operand
      return c * c
    end, { a, b, s }))
  end)

  it("the view itself carries the new history", function()
    local x = lucid.tensor({ 1, 2, 3 }, { dtype = lucid.float64, requires_grad = true })
    local y = x * 2
    local v = y:narrow(1, 2, 2)
    v:mul_(x:narrow(1, 1, 2))
    assert.are.same({ 2, 4, 12 }, y:tolist())
    assert.are.equal("AsStridedBackward", tostring(v.grad_fn))
    assert.are.equal("CopySlices", tostring(y.grad_fn))
    v:sum():backward()
    -- v = 2 x[2:3] * x[1:2]: d/dx1 = 2 x2 = 4, d/dx2 = 2 x1 + 2 x3 = 8, d/dx3 = 2 x2 = 4
    assert.are.same({ 4, 8, 4 }, x.grad:tolist())
  end)

  it("a tensor saved for backward and then written through a view is an error at backward", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local y = x:tanh() -- saves its output
    y[1] = 0
    local err = H.err_of(function() y:sum():backward() end)
    assert.truthy(err:find("modified by an in-place operation", 1, true))
  end)

  it("writes without autograd keep no history", function()
    local y = lucid.zeros(2, 3)
    y[1] = lucid.ones(3)
    assert.is_nil(y.grad_fn)
    assert.is_false(y.requires_grad)
  end)

  it("in-place on a view of a leaf that requires grad is an error", function()
    local x = lucid.tensor({ 1, 2 }, { dtype = lucid.float64, requires_grad = true })
    local err = H.err_of(function() x:narrow(1, 1, 1):mul_(3) end)
    assert.truthy(err:find("a view of a leaf tensor that requires grad is used in an in-place operation", 1, true))
    assert.is_false(pcall(function() x[1] = 3 end))
    assert.are.same({ 1, 2 }, x:tolist())
    lucid.no_grad(function() x[1] = 3 end) -- allowed without autograd, as in PyTorch
    assert.are.same({ 3, 2 }, x:tolist())
  end)
end)
