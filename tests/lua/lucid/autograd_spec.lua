-- Autograd against PyTorch reference gradients (tests/fixtures/autograd.lua, made by
-- tests/fixtures/gen/gen_tensor.py). The composite functions below mirror the ones in
-- the generator, with lucid's 1-based dims and narrow starts.
local lucid = require("lucid")
local H = require("helpers")

local cases = H.load_fixture("autograd")

-- name -> {args = ordered input names, grad = names that require grad, f = function(...)}
local composites = {
  -- sum(log_softmax(tanh(x @ W + b), dim=1) * t) + mean(sigmoid(x) ^ 2)
  composite1 = {
    args = { "x", "W", "b", "t" },
    grad = { "x", "W", "b" },
    f = function(x, W, b, t)
      return ((x:matmul(W) + b):tanh():log_softmax(2) * t):sum() + (x:sigmoid() ^ 2):mean()
    end,
  },
  -- exp / div / clamp / narrow / transpose / cat / max(dim) / stack / view / expand
  composite2 = {
    args = { "a", "c", "d" },
    grad = { "a", "c", "d" },
    f = function(a, c, d)
      local u = a:clamp(-1.0, 1.0):exp() / (1 + a * a) -- (3, 4)
      local v = u:narrow(2, 2, 2)                       -- (3, 2): columns 2..3
      local w = v:transpose(1, 2)                       -- (2, 3)
      local s = lucid.cat({ w, d }, 1)                  -- (4, 3)
      local m = s:max(2)                                -- (4,) values
      local st = lucid.stack({ m, c }, 1)               -- (2, 4)
      local e = c:view(1, 4):expand(3, 4)               -- (3, 4)
      return (st:sum(1) * c):sum() + (e * a):mean()
    end,
  },
  -- non-scalar output: relu(x @ W) + sum(sqrt(|x| + 1), 2, keepdim) - mean((x / 3)^3, 1)[1:1]
  composite3 = {
    args = { "x", "W" },
    grad = { "x", "W" },
    f = function(x, W)
      return (x:matmul(W)):relu() + (x:abs() + 1):sqrt():sum(2, true)
        - (x / 3):pow(3):mean(1):narrow(1, 1, 1)
    end,
  },
}

-- Builds the inputs of a case: leaves requiring grad for the differentiable ones.
local function build(case)
  local comp = composites[case.fn]
  local needs = {}
  for _, n in ipairs(comp.grad) do needs[n] = true end
  local byname, list = {}, {}
  for i, n in ipairs(comp.args) do
    local x = H.tensor_from_fixture(case.inputs[n], { requires_grad = needs[n] or false })
    byname[n], list[i] = x, x
  end
  return comp, byname, list
end

local function run_backward(case, y)
  if case.grad_output then y:backward(H.tensor_from_fixture(case.grad_output)) else y:backward() end
end

describe("autograd matches PyTorch gradients", function()
  it("the fixture file has cases for every composite function", function()
    assert.is_true(#cases > 0)
    for _, c in ipairs(cases) do assert.is_not_nil(composites[c.fn], c.name) end
  end)

  for _, case in ipairs(cases) do
    local dtype = case.output.dtype
    describe(case.name, function()
      it("computes the forward value PyTorch computes (" .. dtype .. ")", function()
        local comp, _, list = build(case)
        local y = comp.f(table.unpack(list))
        H.assert_close(y, case.output, nil, nil, "output")
        assert.is_true(y.requires_grad)
        assert.is_not_nil(y.grad_fn)
      end)

      it("leaves .grad nil until backward reaches an input", function()
        local comp, byname, list = build(case)
        for _, n in ipairs(comp.args) do assert.is_nil(byname[n].grad, n .. ".grad before backward") end
        comp.f(table.unpack(list))
        for _, n in ipairs(comp.args) do assert.is_nil(byname[n].grad, n .. ".grad after forward") end
      end)

      it("backward() gives every input PyTorch's gradient (" .. dtype .. ")", function()
        local comp, byname, list = build(case)
        local y = comp.f(table.unpack(list))
        run_backward(case, y)
        for _, n in ipairs(comp.grad) do
          H.assert_close(byname[n].grad, case.grads[n], nil, nil, "grad of " .. n)
        end
        for _, n in ipairs(comp.args) do
          if case.grads[n] == nil then
            assert.is_nil(byname[n].grad, n .. " does not require grad, so its .grad stays nil")
          end
        end
      end)

      it("accumulates gradients over two backward passes", function()
        local comp, byname, list = build(case)
        run_backward(case, comp.f(table.unpack(list)))
        run_backward(case, comp.f(table.unpack(list)))
        for _, n in ipairs(comp.grad) do
          local twice = H.shifted(case.grads[n], 0)
          for i, v in ipairs(twice.data) do twice.data[i] = 2 * v end
          H.assert_close(byname[n].grad, twice, nil, nil, "accumulated grad of " .. n)
        end
      end)

      it("lucid.autograd.grad returns the same gradients without touching .grad", function()
        local comp, byname, list = build(case)
        local y = comp.f(table.unpack(list))
        local wrt = {}
        for i, n in ipairs(comp.grad) do wrt[i] = byname[n] end
        local gout = case.grad_output and H.tensor_from_fixture(case.grad_output) or nil
        local grads = lucid.autograd.grad(y, wrt, gout)
        for i, n in ipairs(comp.grad) do
          H.assert_close(grads[i], case.grads[n], nil, nil, "autograd.grad of " .. n)
          assert.is_nil(byname[n].grad, n .. ".grad after autograd.grad")
        end
      end)

      if dtype == "float64" then
        it("passes lucid.autograd.gradcheck in float64", function()
          local comp, byname = build(case)
          local wrt, fixed = {}, {}
          local needs = {}
          for _, n in ipairs(comp.grad) do needs[n] = true end
          for _, n in ipairs(comp.args) do
            if needs[n] then wrt[#wrt + 1] = byname[n] else fixed[n] = byname[n] end
          end
          local function fn(...)
            local given, k, args = { ... }, 0, {}
            for i, n in ipairs(comp.args) do
              if needs[n] then
                k = k + 1
                args[i] = given[k]
              else
                args[i] = fixed[n]
              end
            end
            return comp.f(table.unpack(args, 1, #comp.args))
          end
          assert.is_true(lucid.autograd.gradcheck(fn, wrt))
        end)
      end
    end)
  end
end)
