-- The layers and losses of tests/fixtures/layers.lua (made by
-- tests/fixtures/gen/gen_layers.py) against PyTorch, float64 and float32:
-- outputs, gradients of inputs and parameters, buffers after the forward,
-- state_dict round trips and printing. The fixture spells every argument
-- as lucid does (1-based dims and classes), so one loop runs them all.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")
local F = nn.functional

local cases = H.load_fixture("layers")

local function leaves(c)
  local xs = {}
  for i, spec in ipairs(c.inputs) do xs[i] = H.tensor_from_fixture(spec, { requires_grad = c.grad[i] }) end
  return xs
end

local function copy(t)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  return o
end

local function check_grads(c, xs)
  local k = 0
  for i, x in ipairs(xs) do
    if c.grad[i] then
      k = k + 1
      H.assert_close(x.grad, c.grads[k], nil, nil, string.format("%s: grad of input %d", c.label, i))
    end
  end
end

-- The module of a case, holding PyTorch's parameters and buffers.
local function build(c)
  local args = copy(c.args)
  for i, v in ipairs(args) do
    if H.is_fixture(v) then args[i] = H.tensor_from_fixture(v) end -- a weight given to the constructor
  end
  local opts = copy(c.opts)
  local cls = nn[c.name]
  for _, spec in ipairs(cls.__args) do -- modules with parameters take the dtype
    if spec[1] == "dtype" then opts.dtype = lucid[c.dtype] end
  end
  args[#args + 1] = opts
  local m = cls(table.unpack(args))
  local sd = {}
  for _, p in ipairs(c.params) do sd[p.name] = H.tensor_from_fixture(p.value) end
  m:load_state_dict(sd)
  m:train(c.train)
  return m
end

local function check_named(list, got, what, label)
  for _, p in ipairs(list) do
    H.assert_close(got[p.name], p.value, nil, nil, string.format("%s: %s %s", label, what, p.name))
  end
end

describe("layers and losses match PyTorch (tests/fixtures/layers.lua)", function()
  for _, c in ipairs(cases) do
    if c.kind == "functional" then
      it(string.format("F.%s: %s (%s)", c.name, c.label, c.dtype), function()
        local xs = leaves(c)
        local a = copy(c.opts)
        for i, name in ipairs(c.names) do a[name] = xs[i] end
        -- the first input holds logits: the loss gets their log_softmax along that dim
        if a.log_softmax then a[c.names[1]], a.log_softmax = xs[1]:log_softmax(a.log_softmax), nil end
        local y = F[c.name](a)
        H.assert_close(y, c.out, nil, nil, c.label .. ": output")
        y:backward(H.tensor_from_fixture(c.gout))
        check_grads(c, xs)
      end)
    else
      it(string.format("nn.%s: %s (%s)", c.name, c.label, c.dtype), function()
        local m = build(c)
        assert.are.equal(c["repr"], tostring(m))
        local xs = leaves(c)
        -- the first npos inputs by position, the rest by name with call_opts
        local call = {}
        for i = 1, c.npos or #xs do call[i] = xs[i] end
        if c.npos then
          local o = copy(c.call_opts or {})
          for i, name in ipairs(c.names or {}) do o[name] = xs[c.npos + i] end
          call[#call + 1] = o
        end
        local y, y2 = m(table.unpack(call))
        H.assert_close(y, c.out, nil, nil, c.label .. ": output")
        if c.out2 then H.assert_close(y2, c.out2, nil, nil, c.label .. ": second output") end
        if c.call_opts and c.call_opts.need_weights == false then assert.is_nil(y2) end
        y:backward(H.tensor_from_fixture(c.gout))
        check_grads(c, xs)
        local params = {}
        for name, p in m:named_parameters() do params[name] = p.grad end
        check_named(c.param_grads, params, "gradient of", c.label)
        check_named(c.buffers, m:state_dict(), "buffer", c.label)
        if c.buffers2 then
          y = m(xs[1])
          check_named(c.buffers2, m:state_dict(), "buffer after a second step", c.label)
          m:eval()
          H.assert_close(m(xs[1]), c.eval_out, nil, nil, c.label .. ": eval output")
        end
        -- a state_dict round trip gives a module computing the same
        local twin = build(c)
        twin:load_state_dict(m:state_dict())
        twin:train(m.training)
        for name, t in pairs(m:state_dict()) do H.assert_close(twin:state_dict()[name], t) end
      end)
    end
  end
end)
