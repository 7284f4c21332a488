-- Indexing, views and copies (API.md "Tensors": indexing, views and copies):
-- x[t], view, reshape, transpose, permute, t, narrow, select, squeeze,
-- unsqueeze, expand, contiguous, clone, cat, stack, split, chunk; and every op
-- on non-contiguous inputs agreeing with a contiguous copy.
local lucid = require("lucid")
local H = require("helpers")

-- x[i][j][k] = 100 * i + 10 * j + k (1-based), float64
local function counting(d1, d2, d3)
  local data = {}
  for i = 1, d1 do
    data[i] = {}
    for j = 1, d2 do
      data[i][j] = {}
      for k = 1, d3 do data[i][j][k] = 100 * i + 10 * j + k end
    end
  end
  return lucid.tensor(data, { dtype = lucid.float64 })
end

describe("indexing x[t]", function()
  it("x[t] on a (5, 3, 8) tensor is a (3, 8) view that writes through", function()
    local x = counting(5, 3, 8)
    local v = x[2]
    assert.are.same({ 3, 8 }, H.shape_of(v))
    assert.is_true(v:is_same_storage(x))
    assert.are.equal(213, v[1][3]:item())
    assert.are.equal(238, v[3][8]:item())
    v[1][3] = -1
    assert.are.equal(-1, x[2][1][3]:item())
    v:fill_(7)
    for j = 1, 3 do
      for k = 1, 8 do assert.are.equal(7, x[2][j][k]:item()) end
    end
    assert.are.equal(111, x[1][1][1]:item())
    assert.are.equal(311, x[3][1][1]:item())
  end)

  it("negative t counts from the end", function()
    local x = counting(5, 3, 8)
    assert.are.equal(511, x[-1][1][1]:item())
    assert.are.equal(411, x[-2][1][1]:item())
    assert.are.equal(111, x[-5][1][1]:item())
    assert.are.equal(538, x[-1][-1][-1]:item())
  end)

  it("x[t] = number fills, x[t] = tensor copies with broadcasting", function()
    local x = lucid.zeros(3, 4, { dtype = lucid.float64 })
    x[2] = 5
    assert.are.same({ { 0, 0, 0, 0 }, { 5, 5, 5, 5 }, { 0, 0, 0, 0 } }, x:tolist())
    x[-1] = lucid.tensor({ 1, 2, 3, 4 })
    assert.are.same({ 1, 2, 3, 4 }, x[3]:tolist())
    x[1] = lucid.tensor({ 9 })
    assert.are.same({ 9, 9, 9, 9 }, x[1]:tolist())
    local y = lucid.zeros(4)
    y[2] = 3.5
    assert.are.same({ 0, 3.5, 0, 0 }, y:tolist())
  end)

  it("index 0, out of range and wrong shapes are errors", function()
    local x = lucid.zeros(5, 3)
    assert.matches("index: index 0 out of range", H.err_of(function() return x[0] end))
    assert.matches("index: index 6 out of range for dim 1 of size 5", H.err_of(function() return x[6] end))
    assert.matches("index: index %-6 out of range", H.err_of(function() return x[-6] end))
    assert.matches("index: index 0 out of range", H.err_of(function() x[0] = 1 end))
    assert.matches("index: index 9 out of range", H.err_of(function() x[9] = 1 end))
    assert.matches("shapes %(3%) and %(4%) cannot be broadcast", H.err_of(function() x[1] = lucid.zeros(4) end))
    assert.matches("index: can only assign a number, a boolean or a tensor", H.err_of(function() x[1] = "a" end))
    assert.matches("index: cannot index a 0%-dim tensor", H.err_of(function() return lucid.tensor(1)[1] end))
  end)
end)

describe("views", function()
  it("view shares storage and accepts one -1", function()
    local x = lucid.arange(12):double()
    local v = x:view(3, 4)
    assert.are.same({ 3, 4 }, H.shape_of(v))
    assert.is_true(v:is_same_storage(x))
    assert.are.same({ 4, 5, 6, 7 }, v[2]:tolist())
    v[2][1] = 100
    assert.are.equal(100, x[5]:item())
    assert.are.same({ 2, 6 }, H.shape_of(x:view(2, -1)))
    assert.are.same({ 2, 6 }, H.shape_of(x:view({ -1, 6 })))
    assert.are.same({ 3, 4 }, H.shape_of(x:view(lucid.zeros(3, 4).shape)))
  end)

  it("view of a non-contiguous tensor that cannot be viewed is an error; reshape copies", function()
    local x = lucid.arange(6):double():view(2, 3):t() -- (3, 2), strides (1, 3)
    assert.is_false(x:is_contiguous())
    assert.matches("view:", H.err_of(x.view, x, 6))
    local r = x:reshape(6)
    assert.are.same({ 0, 3, 1, 4, 2, 5 }, r:tolist())
    assert.is_false(r:is_same_storage(x))
    r[1] = 50
    assert.are.equal(0, x[1][1]:item())
  end)

  it("reshape returns a view when possible (writes through)", function()
    local x = lucid.arange(6):double()
    local r = x:reshape(2, 3)
    assert.is_true(r:is_same_storage(x))
    r[2][3] = -9
    assert.are.equal(-9, x[6]:item())
    local r2 = x:reshape({ 3, -1 })
    assert.are.same({ 3, 2 }, H.shape_of(r2))
  end)

  it("transpose, t and permute reorder dims as views", function()
    local x = counting(2, 3, 4)
    local tr = x:transpose(1, 3)
    assert.are.same({ 4, 3, 2 }, H.shape_of(tr))
    assert.is_true(tr:is_same_storage(x))
    assert.are.equal(x[2][3][1]:item(), tr[1][3][2]:item())
    assert.are.same({ 4, 3, 2 }, H.shape_of(x:transpose(-1, 1)))
    local p = x:permute(3, 1, 2)
    assert.are.same({ 4, 2, 3 }, H.shape_of(p))
    for i = 1, 2 do
      for j = 1, 3 do
        for k = 1, 4 do assert.are.equal(100 * i + 10 * j + k, p[k][i][j]:item()) end
      end
    end
    assert.are.same({ 4, 2, 3 }, H.shape_of(x:permute({ 3, 1, 2 })))
    assert.are.same({ 4, 2, 3 }, H.shape_of(x:permute(-1, 1, -2)))
    local m = lucid.tensor({ { 1, 2, 3 }, { 4, 5, 6 } })
    assert.are.same({ { 1, 4 }, { 2, 5 }, { 3, 6 } }, m:t():tolist())
    m:t()[3][1] = 30
    assert.are.equal(30, m[1][3]:item())
    assert.are.same({ 1, 2 }, lucid.tensor({ 1, 2 }):t():tolist())
    assert.matches("t:", H.err_of(x.t, x))
    assert.matches("permute:", H.err_of(x.permute, x, 1, 1, 2))
    assert.matches("permute:", H.err_of(x.permute, x, 1, 2))
  end)

  it("narrow(dim, start, length) with a 1-based start, and select(dim, index)", function()
    local x = counting(2, 3, 4)
    local n = x:narrow(3, 2, 2)
    assert.are.same({ 2, 3, 2 }, H.shape_of(n))
    assert.are.same({ 112, 113 }, n[1][1]:tolist())
    assert.are.same({ 233, 234 }, x:narrow(-1, 3, 2)[2][3]:tolist())
    n[1][1][1] = 0
    assert.are.equal(0, x[1][1][2]:item())
    local s = x:select(2, 3)
    assert.are.same({ 2, 4 }, H.shape_of(s))
    assert.are.same({ 231, 232, 233, 234 }, s[2]:tolist())
    assert.are.same({ 114, 124, 134 }, x:select(-1, -1)[1]:tolist())
    s[1][1] = -5
    assert.are.equal(-5, x[1][3][1]:item())
    assert.matches("narrow:", H.err_of(x.narrow, x, 3, 4, 2))
    assert.matches("narrow:", H.err_of(x.narrow, x, 3, 0, 1))
    assert.matches("select: index 4 out of range", H.err_of(x.select, x, 2, 4))
    assert.matches("select: index 0 out of range", H.err_of(x.select, x, 2, 0))
  end)

  it("squeeze and unsqueeze", function()
    local x = lucid.zeros(1, 3, 1, 2)
    assert.are.same({ 3, 2 }, H.shape_of(x:squeeze()))
    assert.are.same({ 3, 1, 2 }, H.shape_of(x:squeeze(1)))
    assert.are.same({ 1, 3, 2 }, H.shape_of(x:squeeze(3)))
    assert.are.same({ 1, 3, 1, 2 }, H.shape_of(x:squeeze(2))) -- size 3: unchanged
    local y = lucid.tensor({ 1, 2, 3 })
    assert.are.same({ 1, 3 }, H.shape_of(y:unsqueeze(1)))
    assert.are.same({ 3, 1 }, H.shape_of(y:unsqueeze(2)))
    assert.are.same({ 3, 1 }, H.shape_of(y:unsqueeze(-1)))
    assert.are.same({ 1, 3 }, H.shape_of(y:unsqueeze(-2)))
    assert.are.same({ { 1 }, { 2 }, { 3 } }, y:unsqueeze(2):tolist())
    local u = y:unsqueeze(1)
    u[1][2] = 20
    assert.are.equal(20, y[2]:item())
    assert.matches("unsqueeze: dim", H.err_of(y.unsqueeze, y, 3))
  end)

  it("expand gives stride 0 views; -1 keeps a size", function()
    local r = lucid.tensor({ 1, 2, 3 }, { dtype = lucid.float64 })
    local e = r:expand(4, 3)
    assert.are.same({ 4, 3 }, H.shape_of(e))
    assert.are.equal(0, e:stride(1))
    assert.are.equal(1, e:stride(2))
    assert.is_true(e:is_same_storage(r))
    for i = 1, 4 do assert.are.same({ 1, 2, 3 }, e[i]:tolist()) end
    local c = lucid.tensor({ { 1 }, { 2 } }):expand(-1, 3)
    assert.are.same({ { 1, 1, 1 }, { 2, 2, 2 } }, c:tolist())
    assert.are.same({ 2, 2, 3 }, H.shape_of(r:expand(2, 2, 3)))
    r[2] = 9
    assert.are.equal(9, e[4][2]:item())
    assert.matches("expand:", H.err_of(r.expand, r, 4, 2))
  end)

  it("contiguous returns the same tensor when contiguous and a packed copy otherwise", function()
    local x = lucid.arange(6):view(2, 3)
    assert.is_true(x:contiguous():is_same_storage(x))
    local t = x:t()
    local c = t:contiguous()
    assert.is_true(c:is_contiguous())
    assert.are.same({ 2, 1 }, c:stride())
    assert.are.same({ { 0, 3 }, { 1, 4 }, { 2, 5 } }, c:tolist())
    assert.is_false(c:is_same_storage(x))
  end)

  it("clone copies values into new memory", function()
    local x = lucid.tensor({ { 1, 2 }, { 3, 4 } })
    local c = x:clone()
    assert.is_false(c:is_same_storage(x))
    assert.are.same(x:tolist(), c:tolist())
    c[1][1] = 10
    assert.are.equal(1, x[1][1]:item())
    local ct = x:t():clone()
    assert.are.same({ { 1, 3 }, { 2, 4 } }, ct:tolist())
  end)
end)

describe("cat, stack, split, chunk", function()
  it("cat along dims 1, 2 and -1", function()
    local a = lucid.tensor({ { 1, 2 }, { 3, 4 } })
    local b = lucid.tensor({ { 5, 6 } })
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, lucid.cat({ a, b }, 1):tolist())
    assert.are.same({ { 1, 2 }, { 3, 4 }, { 5, 6 } }, lucid.cat({ a, b }):tolist())
    local c = lucid.tensor({ { 7 }, { 8 } })
    assert.are.same({ { 1, 2, 7 }, { 3, 4, 8 } }, lucid.cat({ a, c }, 2):tolist())
    assert.are.same({ { 7, 1, 2 }, { 8, 3, 4 } }, lucid.cat({ c, a }, -1):tolist())
    assert.matches("cat:", H.err_of(lucid.cat, { a, c }, 1))
    assert.matches("cat:", H.err_of(lucid.cat, {}, 1))
    assert.matches("cat: element 2 of the list must be a tensor", H.err_of(lucid.cat, { a, 3 }, 1))
  end)

  it("stack adds a dim (1 to ndim + 1)", function()
    local a, b = lucid.tensor({ 1, 2 }), lucid.tensor({ 3, 4 })
    assert.are.same({ { 1, 2 }, { 3, 4 } }, lucid.stack({ a, b }, 1):tolist())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, lucid.stack({ a, b }, 2):tolist())
    assert.are.same({ { 1, 3 }, { 2, 4 } }, lucid.stack({ a, b }, -1):tolist())
    assert.are.same({ { 1, 2 }, { 3, 4 } }, lucid.stack({ a, b }):tolist())
    assert.matches("stack:", H.err_of(lucid.stack, { a, lucid.tensor({ 1, 2, 3 }) }))
  end)

  it("split into pieces of a size (last smaller) and chunk into a count; both are views", function()
    local x = lucid.arange(10):double()
    local parts = x:split(4)
    assert.are.equal(3, #parts)
    assert.are.same({ 0, 1, 2, 3 }, parts[1]:tolist())
    assert.are.same({ 4, 5, 6, 7 }, parts[2]:tolist())
    assert.are.same({ 8, 9 }, parts[3]:tolist())
    parts[2][1] = 40
    assert.are.equal(40, x[5]:item())
    local ch = x:chunk(3)
    assert.are.equal(3, #ch)
    assert.are.same({ 4, 4, 2 }, { ch[1]:numel(), ch[2]:numel(), ch[3]:numel() })
    local m = lucid.arange(6):view(2, 3)
    local cols = m:split(1, 2)
    assert.are.equal(3, #cols)
    assert.are.same({ { 1 }, { 4 } }, cols[2]:tolist())
    local halves = lucid.chunk(m, 2, 1)
    assert.are.same({ { 3, 4, 5 } }, halves[2]:tolist())
    local sp = lucid.split(m, 2, -1)
    assert.are.same({ 2, 1 }, H.shape_of(sp[2]))
  end)
end)

describe("ops on non-contiguous inputs equal the same ops on a contiguous copy", function()
  local function noncontig_cases()
    lucid.manual_seed(11)
    local base = lucid.randn(4, 6, { dtype = lucid.float64 })
    return {
      transposed = base:t(),                                       -- (6, 4)
      narrowed = lucid.randn(6, 9, { dtype = lucid.float64 }):narrow(2, 3, 4), -- (6, 4)
      expanded = lucid.randn(1, 4, { dtype = lucid.float64 }):expand(6, 4),   -- (6, 4)
      selected = lucid.randn(6, 3, 4, { dtype = lucid.float64 }):select(2, 2), -- (6, 4)
      permuted = lucid.randn(4, 2, 3, { dtype = lucid.float64 }):permute(2, 3, 1):reshape(6, 4),
    }
  end

  local ops = {
    neg = function(x) return -x end,
    exp = function(x) return x:exp() end,
    log = function(x) return (x:abs() + 0.5):log() end,
    tanh = function(x) return x:tanh() end,
    sigmoid = function(x) return x:sigmoid() end,
    relu = function(x) return x:relu() end,
    sqrt = function(x) return x:abs():sqrt() end,
    abs = function(x) return x:abs() end,
    sin = function(x) return x:sin() end,
    cos = function(x) return x:cos() end,
    pow = function(x) return x:pow(3) end,
    clamp = function(x) return x:clamp(-0.5, 0.5) end,
    add = function(x) return x + x * 2 end,
    sub = function(x) return 1 - x end,
    div = function(x) return x / (x:abs() + 1) end,
    compare = function(x) return x:gt(0):long() + x:le(0.3) end,
    sum_all = function(x) return x:sum() end,
    sum_dim = function(x) return x:sum(1) end,
    mean_dim = function(x) return x:mean(2, true) end,
    max_dim = function(x) local v, i = x:max(2); return v + i:double() end,
    min_dim = function(x) local v, i = x:min(1); return v + i:double() end,
    argmax = function(x) return x:argmax(2):double() end,
    softmax = function(x) return x:softmax(2) end,
    log_softmax = function(x) return x:log_softmax(1) end,
    matmul_left = function(x) return x:matmul(lucid.eye(4, { dtype = lucid.float64 }) * 2 + 1) end,
    matmul_right = function(x) return lucid.ones(3, 6, { dtype = lucid.float64 }):matmul(x) end,
    matmul_vec = function(x) return x:matmul(lucid.tensor({ 1, -2, 3, 0.5 }, { dtype = lucid.float64 })) end,
    view_after_contig = function(x) return x:reshape(24) end,
    transpose = function(x) return x:t():contiguous() end,
    cat = function(x) return lucid.cat({ x, x }, 2) end,
    stack = function(x) return lucid.stack({ x, x }, 1) end,
    clone = function(x) return x:clone() end,
    tolist = function(x) return lucid.tensor(x:tolist(), { dtype = lucid.float64 }) end,
  }

  local function sorted_keys(t)
    local k = {}
    for name in pairs(t) do k[#k + 1] = name end
    table.sort(k)
    return k
  end
  for _, case in ipairs(sorted_keys(noncontig_cases())) do
    for _, name in ipairs(sorted_keys(ops)) do
      local f = ops[name]
      it(name .. " on a " .. case .. " input", function()
        local x = noncontig_cases()[case]
        local got = f(x)
        local want = f(x:contiguous())
        local a, b = H.flat(got), H.flat(want)
        assert.are.same(H.shape_of(want), H.shape_of(got))
        for i = 1, #b do
          assert.is_true(math.abs(a[i] - b[i]) <= 1e-12 * (1 + math.abs(b[i])),
            string.format("element %d: %.17g vs %.17g", i, a[i], b[i]))
        end
      end)
    end
  end

  it("in-place ops on a transposed view write the right elements", function()
    local x = lucid.arange(6):double():view(2, 3)
    local t = x:t()
    t:add_(lucid.tensor({ 10, 20 }, { dtype = lucid.float64 }))
    assert.are.same({ { 10, 11, 12 }, { 23, 24, 25 } }, x:tolist())
    t:mul_(2)
    assert.are.same({ { 20, 22, 24 }, { 46, 48, 50 } }, x:tolist())
    x:narrow(2, 2, 1):fill_(0)
    assert.are.same({ { 20, 0, 24 }, { 46, 0, 50 } }, x:tolist())
    x:select(1, 2):copy_(lucid.tensor({ 1, 2, 3 }))
    assert.are.same({ { 20, 0, 24 }, { 1, 2, 3 } }, x:tolist())
    x:t():zero_()
    assert.are.same({ { 0, 0, 0 }, { 0, 0, 0 } }, x:tolist())
  end)
end)

describe("writing into an expanded view", function()
  -- Several elements share one memory location, so the write would apply
  -- once per alias; as PyTorch, it is an error naming the op.
  it("is an error for every in-place op, and leaves the memory as it was", function()
    local base = lucid.zeros(3)
    for _, write in ipairs({
      function(e) e:add_(1) end, function(e) e:mul_(2) end, function(e) e:fill_(1) end,
      function(e) e:copy_(lucid.ones(2, 3)) end, function(e) e:uniform_() end,
    }) do
      local ok, err = pcall(write, base:expand(2, 3))
      assert.is_false(ok)
      assert.truthy(err:find("cannot write into an expanded tensor", 1, true), err)
    end
    assert.are.same({ 0, 0, 0 }, base:tolist())
  end)
end)

describe("lucid._C.set_data", function()
  it("makes the tensor a view of its new memory, and drops a gradient that no longer fits", function()
    local x = lucid.randn(2, 3)
    local v = x:narrow(1, 1, 1)
    local big = lucid.randn(10, 3)
    lucid._C.set_data(v, big:narrow(1, 9, 1))
    local y = lucid.randn(1, 3, { requires_grad = true })
    v:copy_(y)                   -- writes into big, and big's history says so
    assert.is_nil(x.grad_fn)
    assert.are.equal("CopySlices", tostring(big.grad_fn))
    big:sum():backward()
    assert.are.same({ { 1, 1, 1 } }, y.grad:tolist())
    local p = lucid.zeros(3, { requires_grad = true })
    p.grad = lucid.ones(3)
    lucid._C.set_data(p, lucid.zeros(3):double())
    assert.is_nil(p.grad)         -- dtype changed
    p.grad = lucid.ones(3):double()
    lucid._C.set_data(p, lucid.zeros(3):double())
    assert.is_not_nil(p.grad)     -- still fits
  end)
end)
