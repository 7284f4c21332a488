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
