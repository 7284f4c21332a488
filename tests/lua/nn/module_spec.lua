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
