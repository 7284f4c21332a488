-- nn.Module's fields: registered parameters, buffers and children read as
-- fields, and assigning to a field registers or replaces them, as PyTorch's
-- __setattr__ does.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local Net = nn.Module:extend("Net")
function Net:init()
  self.fc = nn.Linear(2, 3)        -- a module assigned to a new field becomes a child
  self.head = nn.Linear(3, 1)
  self.scale = 2                   -- anything else is a plain field
end
function Net:forward(x) return self.head(self.fc(x):tanh()) * self.scale end

describe("nn.Module fields", function()
  it("register a module assigned to a new field as a child, in order", function()
    local m = Net()
    local names = {}
    for name in m:named_parameters() do names[#names + 1] = name end
    assert.are.same({ "fc.weight", "fc.bias", "head.weight", "head.bias" }, names)
    assert.are.equal(2, #m:children())
    assert.are.equal(2, m.scale)
    assert.truthy(tostring(m):find("(fc): Linear(in_features=2, out_features=3, bias=True)", 1, true))
    assert.are.same({ 4, 1 }, H.shape_of(m(lucid.randn(4, 2))))
  end)

  it("replace a parameter by assignment, seen by forward, parameters and state_dict", function()
    local cell = nn.RNNCell(2, 2)
    local w = lucid.zeros(2, 2)
    cell.weight_ih = w
    assert.are.equal(w, cell.weight_ih)
    assert.are.equal(w, cell:parameters()[1])
    assert.is_true(w.requires_grad)
    assert.are.same({ { 0, 0 }, { 0, 0 } }, cell:state_dict().weight_ih:tolist())
    cell.bias_ih = nil
    assert.are.equal(3, #cell:parameters())
    assert.is_nil(cell.bias_ih)
  end)

  it("replace a child module, and refuse values of the wrong kind", function()
    local m = Net()
    m.head = nn.Linear(3, 2)
    assert.are.same({ 4, 2 }, H.shape_of(m(lucid.randn(4, 2))))
    assert.matches("RNNCell: weight_ih must be a tensor or nil, got number",
      H.err_of(function() nn.RNNCell(2, 2).weight_ih = 5 end))
    assert.matches("Net: fc must be a module or nil, got string", H.err_of(function() m.fc = "x" end))
  end)
end)

describe("argument errors of the Lua side", function()
  -- lucid.args.raise reports each error at the user's line, however deep in
  -- the library the check ran (the calls below are not tail calls, whose
  -- frames Lua drops)
  it("point at the caller's line", function()
    local calls = {
      function() local r = nn.Embedding(3, 2, { _weight = lucid.zeros(2, 2) }); return r end,
      function() local r = nn.CrossEntropyLoss()(lucid.zeros(2, 3):long(), lucid.tensor({ 1, 2 })); return r end,
      function() local r = nn.utils.rnn.pack_padded_sequence(lucid.zeros(3, 2, 1), { 4, 1 }); return r end,
      function() local r = nn.init.kaiming_uniform_(lucid.zeros(3, 3), { mode = "x" }); return r end,
      function() local r = lucid.optim.SGD({}, 0.1); return r end,
      function() local r = nn.RNN(4, 2)(lucid.zeros(3, 2, 5)); return r end,
      function() local r = nn.functional.mse_loss(lucid.zeros(2), lucid.zeros(3)); return r end,
      function() local r = nn.Linear(2.5, 3); return r end,
    }
    for i, f in ipairs(calls) do
      local line = debug.getinfo(f, "S").linedefined
      local err = H.err_str(f)
      assert.truthy(err:find("module_spec.lua:" .. line .. ": ", 1, true), i .. ": " .. err)
    end
  end)
end)

describe("buffers and dtype names", function()
  it("a buffer must be a tensor, and to() takes dtype names", function()
    local m = nn.Linear(2, 2)
    assert.matches("Linear: buffer 'b' must be a tensor or nil, got number", H.err_of(function() m:register_buffer("b", 5) end))
    m:register_buffer("b", lucid.zeros(2))
    assert.are.equal(m, m:to("float64"))
    assert.are.equal(lucid.float64, m.weight.dtype)
    assert.are.equal(lucid.float64, m.b.dtype)
  end)
end)

describe("nn.Module classes without an argument list", function()
  it("pass the constructor's positional arguments to init, as in Python", function()
    local Scaled = nn.Module:extend("Scaled")
    function Scaled:init(n_in, n_out, factor)
      self.fc = nn.Linear(n_in, n_out)
      self.factor = factor or 1
    end
    function Scaled:forward(x) return self.fc(x) * self.factor end
    local m = Scaled(3, 4, 2)
    assert.are.equal(2, m.factor)
    assert.are.same({ 4, 3 }, H.shape_of(m.fc.weight))
    assert.are.same({ 5, 4 }, H.shape_of(m(lucid.randn(5, 3))))
    assert.are.equal(1, Scaled(1, 1).factor)
    -- a table argument is passed as it is (no options parsing)
    local Opts = nn.Module:extend("Opts")
    function Opts:init(t) self.t = t end
    assert.are.same({ hidden = 8 }, Opts({ hidden = 8 }).t)
  end)
end)

describe("nn.Module lookups", function()
  local function tree()
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Tanh(), nn.Linear(3, 1)))
  end

  it("get_submodule and get_parameter follow named_modules' dotted names", function()
    local m = tree()
    assert.are.equal(m, m:get_submodule(""))
    assert.are.equal(m[2][2], m:get_submodule("1.1"))
    assert.are.equal(m[2][2].bias, m:get_parameter("1.1.bias"))
    assert.are.equal(m[1].weight, m:get_parameter("0.weight"))
    local names = {}
    for name in m:named_modules() do names[#names + 1] = name end
    assert.are.same({ "", "0", "1", "1.0", "1.1" }, names)
    H.raises(function() m:get_submodule("1.5") end, "get_submodule: 1 has no submodule `5`")
    H.raises(function() m:get_parameter("0.gain") end, "get_parameter: 0 has no parameter `gain`")
    H.raises(function() m:get_submodule(3) end, "get_submodule: target must be a string, got number")
  end)

  it("named_buffers walks the tree with dotted names", function()
    local Counter = nn.Module:extend("Counter")
    function Counter:init() self:register_buffer("count", lucid.zeros(1)) end
    local m = nn.Sequential(nn.Linear(1, 1), Counter())
    local names = {}
    for name, b in m:named_buffers() do names[#names + 1] = name .. "=" .. string.format("%g", b:item()) end
    assert.are.same({ "1.count=0" }, names)
  end)

  it("requires_grad_ freezes and unfreezes every parameter", function()
    local m = tree()
    assert.are.equal(m, m:requires_grad_(false))
    for _, p in ipairs(m:parameters()) do assert.is_false(p.requires_grad) end
    m[2]:requires_grad_()
    assert.is_false(m[1].weight.requires_grad)
    assert.is_true(m[2][2].weight.requires_grad)
    H.raises(function() m:requires_grad_("yes") end, "requires_grad_: requires_grad must be a boolean")
  end)
end)

describe("nn.Module hooks", function()
  it("a forward pre-hook sees and may replace the input; a forward hook the output", function()
    local m = nn.Linear(2, 2)
    local calls = {}
    local pre = m:register_forward_pre_hook(function(mod, input)
      calls[#calls + 1] = "pre"
      assert.are.equal(m, mod)
      assert.are.equal(1, input.n)
      return input[1] * 0                        -- one value: the new single input
    end)
    local post = m:register_forward_hook(function(_, input, output)
      calls[#calls + 1] = "forward"
      assert.are.same({ 0, 0 }, input[1][1]:tolist())
      return output - m.bias                     -- so the result is exactly zero
    end)
    local y = m(lucid.ones(1, 2))
    assert.are.same({ "pre", "forward" }, calls)
    assert.are.same({ { 0, 0 } }, y:tolist())
    pre:remove()
    post.remove()
    local x = lucid.ones(1, 2)
    assert.are.same(m(x):tolist(), (x:matmul(m.weight:t()) + m.bias):tolist())
    assert.are.equal(2, #calls)
  end)

  it("a forward hook of a module with several results gets and returns them as an array", function()
    local gru = nn.GRU(2, 3)
    gru:register_forward_hook(function(_, _, output)
      assert.are.equal(2, output.n)
      return { output[1] * 0, output[2] }
    end)
    local out, h = gru(lucid.randn(4, 1, 2))
    assert.are.equal(0, out:abs():sum():item())
    assert.are.same({ 1, 1, 3 }, H.shape_of(h))
  end)

  it("a full backward hook gets grad_input and grad_output and may replace grad_input", function()
    local m = nn.Linear(3, 2, { dtype = lucid.float64 })
    local got
    m:register_full_backward_hook(function(_, grad_input, grad_output)
      got = { grad_input[1]:clone(), grad_output[1]:clone() }
      return { grad_input[1] * 10 }
    end)
    local x = lucid.randn(4, 3, { dtype = lucid.float64, requires_grad = true })
    local w = lucid.randn(4, 2, { dtype = lucid.float64 })
    local y = m(x)
    assert.are.equal("BackwardHookFunctionBackward", tostring(y.grad_fn):match("BackwardHookFunctionBackward"))
    ;(y * w):sum():backward()
    H.assert_close(got[2], w)                                  -- d(sum(y * w))/dy = w
    local expected = w:matmul(m.weight)                          -- dL/dx = w W
    H.assert_close(got[1], expected)
    H.assert_close(x.grad, expected * 10)                        -- the hook's replacement
    assert.are.same({ 2, 3 }, H.shape_of(m.weight.grad))         -- parameters still get theirs
  end)

  it("a full backward hook fires with grad_input nil when no input needs a gradient", function()
    local m = nn.Linear(3, 2)
    local fired = false
    m:register_full_backward_hook(function(_, grad_input, grad_output)
      fired = true
      assert.is_nil(grad_input[1])
      assert.are.same({ 5, 2 }, H.shape_of(grad_output[1]))
    end)
    m(lucid.randn(5, 3)):sum():backward()
    assert.is_true(fired)
  end)

  it("rejects hooks that are not functions", function()
    H.raises(function() nn.Linear(1, 1):register_forward_hook(5) end,
      "Linear: register_forward_hook: hook must be a function, got number")
  end)
end)

describe("lucid.save of a module", function()
  it("is an error that says to save model:state_dict()", function()
    H.raises(function() lucid.save(nn.Linear(2, 2), os.tmpname()) end,
      "lucid.save: value at obj is an nn.Module (Linear): save its model:state_dict() instead")
    H.raises(function() lucid.save({ net = nn.Sequential(nn.Tanh()) }, os.tmpname()) end,
      "value at obj.net is an nn.Module (Sequential)")
  end)
end)
