-- Backward hooks: what data-parallel training builds on. A pass tells its
-- start (with the leaves it reaches), each leaf's final gradient once, and
-- its end; autograd.grad tells nothing.
local lucid = require("lucid")
local nn = require("nn")

describe("backward hooks", function()
  local removers
  before_each(function() removers = {} end)
  after_each(function()
    for _, h in ipairs(removers) do h.remove() end
  end)
  local function keep(h) removers[#removers + 1] = h; return h end

  local function unrolled_cell()
    lucid.manual_seed(3)
    local cell = nn.RNNCell(3, 4, { dtype = lucid.float64 })
    local x = lucid.randn(5, 2, 3, { dtype = lucid.float64 })
    local function run()
      local h
      for t = 1, 5 do h = cell(x[t], h) end
      return h:pow(2):sum()
    end
    return cell, run
  end

  it("fires once per leaf, with the final gradient, in an unrolled RNNCell loop", function()
    local cell, run = unrolled_cell()
    local seen, grads = {}, {}
    for i, p in ipairs(cell:parameters()) do
      keep(p:register_post_accumulate_grad_hook(function(t)
        assert.is_true(rawequal(t, p))
        seen[i] = (seen[i] or 0) + 1
        grads[i] = t.grad:clone()
      end))
    end
    run():backward()
    for i, p in ipairs(cell:parameters()) do
      assert.are.equal(1, seen[i])
      assert.are.equal(0, grads[i]:sub(p.grad):abs():max():item())
    end
  end)

  it("tells the start with the leaves reached, and the end", function()
    local cell, run = unrolled_cell()
    local events = {}
    keep(lucid.autograd.register_backward_hooks{
      on_start = function(leaves) events[#events + 1] = "start " .. #leaves end,
      on_leaf = function(leaf) events[#events + 1] = "leaf" end,
      on_finish = function(ok) events[#events + 1] = "finish " .. tostring(ok) end,
    })
    run():backward()
    assert.are.same({ "start 4", "leaf", "leaf", "leaf", "leaf", "finish true" }, events)
  end)

  it("fires nothing for autograd.grad", function()
    local cell, run = unrolled_cell()
    local fired = 0
    keep(lucid.autograd.register_backward_hooks{ on_start = function() fired = fired + 1 end })
    keep(cell.weight_ih:register_post_accumulate_grad_hook(function() fired = fired + 1 end))
    lucid.autograd.grad(run(), cell:parameters())
    assert.are.equal(0, fired)
  end)

  it("turns a hook's error into the backward's, and the next backward works", function()
    local cell, run = unrolled_cell()
    local h = lucid.autograd.register_backward_hooks{ on_leaf = function() error("hook failed") end }
    local ok, err = pcall(function() run():backward() end)
    h.remove()
    assert.is_false(ok)
    assert.matches("hook failed", err)
    cell:zero_grad()
    run():backward()
    assert.is_not_nil(cell.weight_hh.grad)
  end)

  it("is removed by its handle", function()
    local x = lucid.ones(3, { requires_grad = true })
    local n = 0
    local h = x:register_post_accumulate_grad_hook(function() n = n + 1 end)
    x:sum():backward()
    h.remove()
    x:sum():backward()
    assert.are.equal(1, n)
  end)

  it("refuses a tensor that is not a leaf requiring grad", function()
    local x = lucid.ones(3, { requires_grad = true })
    assert.has_error(function() (x * 2):register_post_accumulate_grad_hook(print) end,
      "register_post_accumulate_grad_hook: only a leaf tensor that requires grad has an accumulated gradient")
    assert.has_error(function() lucid.autograd.register_backward_hooks{ on_begin = print } end)
  end)
end)

-- Tensor:register_hook, as PyTorch's: fn(grad) sees the gradient with respect
-- to the tensor and may return a replacement. The expected values below are
-- what PyTorch 1.13 prints for the same scripts.
describe("Tensor:register_hook", function()
  local f64 = { dtype = lucid.float64, requires_grad = true }
  local function values(t) return t:tolist() end
  -- x doubles its gradient, y = 3x adds 1 to its own
  local function hooked_pair()
    local x = lucid.tensor({ 1, 2 }, f64)
    x:register_hook(function(g) return g * 2 end)
    local y = x * 3
    y:register_hook(function(g) return g + 1 end)
    return x, y
  end

  it("doubles a leaf's gradient (the example of PyTorch's documentation)", function()
    local v = lucid.tensor({ 0, 0, 0 }, f64)
    local h = v:register_hook(function(g) return g * 2 end)
    v:backward(lucid.tensor({ 1, 2, 3 }, { dtype = lucid.float64 }))
    assert.are.same({ 2, 4, 6 }, values(v.grad))
    h:remove()
    v.grad = nil
    v:backward(lucid.tensor({ 1, 2, 3 }, { dtype = lucid.float64 }))
    assert.are.same({ 1, 2, 3 }, values(v.grad))
  end)

  it("replaces a non-leaf's gradient before it flows on to the inputs", function()
    local x, y = hooked_pair()
    -- dz/dy = 2y = (6, 12), +1 = (7, 13); dy/dx = 3 -> (21, 39); doubled at x
    ;(y * y):sum():backward()
    assert.are.same({ 42, 78 }, values(x.grad))
  end)

  it("runs several hooks in registration order, each on the previous result", function()
    local a = lucid.tensor({ 1, 2 }, f64)
    local first = a:register_hook(function(g) return g + 1 end)
    a:register_hook(function(g) return g * 3 end)
    ;(a * a):sum():backward()
    assert.are.same({ 9, 15 }, values(a.grad)) -- (2a + 1) * 3
    first:remove()
    a.grad = nil
    ;(a * a):sum():backward()
    assert.are.same({ 6, 12 }, values(a.grad))
  end)

  it("gives a leaf's hook the whole gradient of the pass, once; nil keeps it", function()
    local b = lucid.tensor({ 1 }, f64)
    local seen = {}
    b:register_hook(function(g) seen[#seen + 1] = g:item() end)
    ;(b * 2 + b * 3):sum():backward()
    assert.are.same({ 5 }, seen)
    assert.are.equal(5, b.grad:item())
  end)

  it("fires on a non-leaf whose value was dropped while its graph lives", function()
    local e = lucid.tensor({ 1 }, f64)
    local f = e * 2
    local seen
    f:register_hook(function(g) seen = g:item(); return g * 10 end)
    local z = f * 3
    f = nil
    collectgarbage(); collectgarbage()
    z:sum():backward()
    assert.are.equal(3, seen)
    assert.are.equal(60, e.grad:item())
  end)

  it("fires at each backward through a retained graph", function()
    local w = lucid.tensor({ 1, 2 }, f64)
    local u = w * 2
    u:register_hook(function(g) return g * 10 end)
    local v = (u * u):sum()
    v:backward(nil, { retain_graph = true })
    assert.are.same({ 80, 160 }, values(w.grad))
    v:backward()
    assert.are.same({ 160, 320 }, values(w.grad))
  end)

  it("leaves an input's own hooks out of what autograd.grad returns for it (PyTorch 1.13)", function()
    local x, y = hooked_pair()
    assert.are.same({ 21, 39 }, values(lucid.autograd.grad((y * y):sum(), x)))
    local y2 = x * 3
    y2:register_hook(function(g) return g * 10 end)
    assert.are.same({ 1, 1 }, values(lucid.autograd.grad(y2:sum(), y2)))
    assert.is_nil(x.grad)
  end)

  it("turns an error in a hook into the backward's, leaving the graph usable", function()
    local x = lucid.tensor({ 1, 2 }, f64)
    local h = x:register_hook(function() error("hook failed") end)
    local y = (x * x):sum()
    local ok, err = pcall(function() y:backward(nil, { retain_graph = true }) end)
    assert.is_false(ok)
    assert.matches("hook failed", err)
    assert.is_nil(x.grad)
    h:remove()
    y:backward()
    assert.are.same({ 2, 4 }, values(x.grad))
  end)

  it("retain_grad keeps a non-leaf's gradient, accumulating, in registration order among hooks", function()
    local x = lucid.tensor({ 1, 2 }, f64)
    local y = x * 3
    y:retain_grad()
    y:retain_grad() -- a second call changes nothing
    y:register_hook(function(g) return g * 5 end) -- after retain_grad: not in y.grad (PyTorch 1.13)
    local z = (y * y):sum()
    z:backward(nil, { retain_graph = true })
    assert.are.same({ 6, 12 }, values(y.grad))
    assert.are.same({ 90, 180 }, values(x.grad))
    z:backward()
    assert.are.same({ 12, 24 }, values(y.grad))
    assert.are.same({ 180, 360 }, values(x.grad))
    local leaf = lucid.tensor({ 1 }, f64)
    leaf:retain_grad() -- a leaf keeps its .grad anyway
    ;(leaf * 2):sum():backward()
    assert.are.equal(2, leaf.grad:item())
    assert.has_error(function() lucid.ones(2):retain_grad() end,
      "retain_grad: cannot retain the gradient of a tensor that does not require grad")
  end)

  it("checks what a hook returns", function()
    local x = lucid.tensor({ 1 }, f64)
    local h = x:register_hook(function() return lucid.ones(2, { dtype = lucid.float64 }) end)
    assert.has_error(function() (x * 2):sum():backward() end,
      "register_hook: a hook returned a gradient of shape (2) and dtype float64, expected shape (1) and dtype float64 like the gradient it was given")
    h:remove()
    x:register_hook(function() return 5 end)
    assert.has_error(function() (x * 2):sum():backward() end,
      "register_hook: a hook must return a tensor or nil, got number")
  end)

  it("checks its arguments", function()
    assert.has_error(function() lucid.ones(2):register_hook(print) end,
      "register_hook: cannot register a hook on a tensor that does not require grad")
    assert.has_error(function() lucid.ones(2, { requires_grad = true }):register_hook(5) end,
      "register_hook: argument 2 (hook) must be a function, got number")
    assert.has_error(function() lucid.Tensor.register_hook(5, print) end,
      "register_hook: argument 1 must be a tensor, got number")
  end)

  it("does not leak a hook that refers to its own tensor", function()
    local function step()
      local x = lucid.randn(1000, { requires_grad = true })
      x:register_hook(function(g) return g + x:detach() end)
      local y = x * 2
      y:register_hook(function(g) local _ = y; return g * 2 end)
      y:retain_grad()
      ;(y * y):sum():backward()
      local w = lucid.randn(100, { requires_grad = true })
      local v = w * 3
      v:register_hook(function(g) return g + v:detach() end) -- never reached
    end
    for _ = 1, 10 do step() end
    collectgarbage(); collectgarbage()
    local bytes, lua_kb = lucid.live_bytes(), collectgarbage("count")
    for _ = 1, 500 do step() end
    collectgarbage(); collectgarbage()
    lucid.randn(1) -- lets the bindings forget hooks of freed tensors
    collectgarbage(); collectgarbage()
    assert.are.equal(bytes, lucid.live_bytes())
    assert.is_true(collectgarbage("count") < lua_kb + 64)
  end)
end)
