-- nn.RNNCell, nn.GRUCell and nn.LSTMCell against PyTorch (tests/fixtures/cells.lua, made by
-- tests/fixtures/gen/gen_cells.py), float64 gradchecks, and the Module behaviour of cells.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("cells")
local PARAMS = { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }
local GATES = { RNNCell = 1, GRUCell = 3, LSTMCell = 4 }

local function make_cell(case)
  local opts = { bias = case.bias, dtype = lucid[case.dtype] }
  if case.nonlinearity then opts.nonlinearity = case.nonlinearity end
  local cell = nn[case.cell](case.input_size, case.hidden_size, opts)
  local sd = {}
  for name, spec in pairs(case.params) do sd[name] = H.tensor_from_fixture(spec) end
  cell:load_state_dict(sd)
  return cell
end

-- Runs the case's steps; returns the final h, c and the leaves x, hx, cx.
local function run(case, cell)
  local lstm = case.cell == "LSTMCell"
  local x = H.tensor_from_fixture(case.x, { requires_grad = true })
  local hx = case.hx and H.tensor_from_fixture(case.hx, { requires_grad = true })
  local cx = case.cx and H.tensor_from_fixture(case.cx, { requires_grad = true })
  local lw_h = H.tensor_from_fixture(case.loss_h)
  local lw_c = case.loss_c and H.tensor_from_fixture(case.loss_c)
  local h, c = hx, cx
  local loss
  for t = 1, case.steps do
    local xt = case.steps == 1 and x or x[t]
    local wh = case.steps == 1 and lw_h or lw_h[t]
    local term
    if lstm then
      h, c = cell(xt, h and { h, c } or nil)
      local wc = case.steps == 1 and lw_c or lw_c[t]
      term = (h * wh):sum() + (c * wc):sum()
    else
      h = cell(xt, h)
      term = (h * wh):sum()
    end
    loss = loss and loss + term or term
  end
  loss:backward()
  return h, c, x, hx, cx
end

describe("recurrent cells match PyTorch", function()
  for _, case in ipairs(cases) do
    it(case.name .. ": output and gradients", function()
      local cell = make_cell(case)
      local h, c, x, hx, cx = run(case, cell)
      H.assert_close(h, case.h, nil, nil, "h")
      if case.c then H.assert_close(c, case.c, nil, nil, "c") end
      for _, name in ipairs(PARAMS) do
        if case.grads[name] then
          H.assert_close(cell[name].grad, case.grads[name], nil, nil, "grad " .. name)
        else
          assert.is_nil(cell[name])
        end
      end
      H.assert_close(x.grad, case.grads.x, nil, nil, "grad x")
      if hx then H.assert_close(hx.grad, case.grads.hx, nil, nil, "grad hx") end
      if cx then H.assert_close(cx.grad, case.grads.cx, nil, nil, "grad cx") end
    end)
  end

  it("covers every cell, bias, batching, state and dtype combination", function()
    local seen = {}
    for _, c in ipairs(cases) do
      seen[table.concat({ c.cell, tostring(c.nonlinearity), tostring(c.bias), tostring(c.batched),
        tostring(c.with_hx), c.dtype }, "/")] = true
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.are.equal(4 * 2 * 2 * 2 * 2, n)
  end)
end)

-- ---- gradcheck ----------------------------------------------------------------------

local function gradcheck_cell(name, opts, batched, with_state)
  local cell = next(opts) and nn[name](3, 4, opts) or nn[name](3, 4)
  cell:double()
  local shape = batched and { 2, 3 } or { 3 }
  local sshape = batched and { 2, 4 } or { 4 }
  local x = lucid.randn(shape, { dtype = lucid.float64, requires_grad = true })
  local inputs = { x }
  local fn
  if name == "LSTMCell" then
    local h = lucid.randn(sshape, { dtype = lucid.float64, requires_grad = true })
    local c = lucid.randn(sshape, { dtype = lucid.float64, requires_grad = true })
    if with_state then
      inputs[2], inputs[3] = h, c
      fn = function(xx, hh, cc) return cell(xx, { hh, cc }) end
    else
      fn = function(xx) return cell(xx) end
    end
  else
    local h = lucid.randn(sshape, { dtype = lucid.float64, requires_grad = true })
    if with_state then
      inputs[2] = h
      fn = function(xx, hh) return cell(xx, hh) end
    else
      fn = function(xx) return cell(xx) end
    end
  end
  -- The parameters ride along as inputs: gradcheck perturbs them in place, and the
  -- cell reads them from its fields.
  for _, p in ipairs(cell:parameters()) do inputs[#inputs + 1] = p end
  return lucid.autograd.gradcheck(fn, inputs)
end

describe("recurrent cells pass gradcheck (float64)", function()
  local configs = {
    { "RNNCell", {} },
    { "RNNCell", { nonlinearity = "relu" } },
    { "RNNCell", { bias = false } },
    { "GRUCell", {} },
    { "GRUCell", { bias = false } },
    { "LSTMCell", {} },
    { "LSTMCell", { bias = false } },
  }
  for _, cfg in ipairs(configs) do
    for _, batched in ipairs({ true, false }) do
      for _, with_state in ipairs({ true, false }) do
        local label = string.format("%s%s %s, %s", cfg[1],
          cfg[2].nonlinearity and (" " .. cfg[2].nonlinearity) or (cfg[2].bias == false and " no bias" or ""),
          batched and "batched" or "unbatched", with_state and "with state" or "zero state")
        it(label .. ": w.r.t. input, state and all weights", function()
          lucid.manual_seed(1234)
          assert.is_true(gradcheck_cell(cfg[1], cfg[2], batched, with_state))
        end)
      end
    end
  end
end)

-- ---- module behaviour ---------------------------------------------------------------

describe("recurrent cells as modules", function()
  for name, G in pairs(GATES) do
    it(name .. " registers weight_ih, weight_hh, bias_ih, bias_hh in order with PyTorch's shapes", function()
      local cell = nn[name](8, 16)
      local names, shapes = {}, {}
      for n, p in cell:named_parameters() do
        names[#names + 1] = n
        shapes[#shapes + 1] = p.shape
        assert.is_true(p.requires_grad)
        assert.are.equal(lucid.float32, p.dtype)
      end
      assert.are.same(PARAMS, names)
      assert.is_true(shapes[1] == { G * 16, 8 })
      assert.is_true(shapes[2] == { G * 16, 16 })
      assert.is_true(shapes[3] == { G * 16 })
      assert.is_true(shapes[4] == { G * 16 })
      assert.are.equal(cell.weight_ih, cell:parameters()[1])
      assert.are.equal(8, cell.input_size)
      assert.are.equal(16, cell.hidden_size)
      assert.is_true(cell.bias)
    end)

    it(name .. " without bias has nil biases and two parameters", function()
      local cell = nn[name](8, 16, { bias = false })
      assert.is_nil(cell.bias_ih)
      assert.is_nil(cell.bias_hh)
      local names = {}
      for n in cell:named_parameters() do names[#names + 1] = n end
      assert.are.same({ "weight_ih", "weight_hh" }, names)
      local keys = {}
      for k in pairs(cell:state_dict()) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.are.same({ "weight_hh", "weight_ih" }, keys)
    end)

    it(name .. " initialises every parameter from U(-1/sqrt(H), 1/sqrt(H))", function()
      lucid.manual_seed(7)
      local Hs = 25
      local cell = nn[name](30, Hs)
      local bound = 1 / math.sqrt(Hs)
      for n, p in cell:named_parameters() do
        local lo, hi = p:min():item(), p:max():item()
        assert.is_true(lo >= -bound and hi <= bound, n .. " out of range")
        -- spread over the range, not a constant or a narrower law
        assert.is_true(lo < -0.8 * bound and hi > 0.8 * bound, n .. " does not fill the range")
        assert.is_true(math.abs(p:mean():item()) < 0.2 * bound, n .. " is not centred")
      end
    end)

    it(name .. " state_dict has the parameter names and shares memory", function()
      local cell = nn[name](5, 6)
      local sd = cell:state_dict()
      local keys = {}
      for k in pairs(sd) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.are.same({ "bias_hh", "bias_ih", "weight_hh", "weight_ih" }, keys)
      assert.is_true(sd.weight_hh.shape == { G * 6, 6 })
      local other = nn[name](5, 6)
      other:load_state_dict(sd)
      H.assert_close(other.weight_ih, cell.weight_ih, 0, 0)
      H.assert_close(other.bias_hh, cell.bias_hh, 0, 0)
    end)

    it(name .. " prints like PyTorch", function()
      assert.are.equal(name .. "(8, 16)", tostring(nn[name](8, 16)))
      assert.are.equal(name .. "(8, 16, bias=False)", tostring(nn[name](8, 16, { bias = false })))
      assert.are.equal("8, 16", nn[name](8, 16):extra_repr())
    end)

    it(name .. " accepts the three constructor forms", function()
      local a = nn[name](8, 16, false)
      local b = nn[name](8, 16, { bias = false })
      local c = nn[name]({ input_size = 8, hidden_size = 16, bias = false })
      for _, m in ipairs({ a, b, c }) do
        assert.are.equal(8, m.input_size)
        assert.are.equal(16, m.hidden_size)
        assert.is_false(m.bias)
        assert.is_nil(m.bias_ih)
        assert.are.equal(name .. "(8, 16, bias=False)", tostring(m))
      end
    end)

    it(name .. " takes dtype = lucid.float64 and device = 'cpu'", function()
      local cell = nn[name](3, 4, { dtype = lucid.float64, device = "cpu" })
      for _, p in ipairs(cell:parameters()) do assert.are.equal(lucid.float64, p.dtype) end
      local out = cell(lucid.randn(2, 3, H.F64))
      assert.are.equal(lucid.float64, out.dtype)
      assert.is_true(out.shape == { 2, 4 })
      local back = cell:float()
      assert.are.equal(lucid.float32, back.weight_hh.dtype)
      assert.are.equal(lucid.float32, cell(lucid.randn(3)).dtype)
    end)

    it(name .. " accumulates .grad across backward calls until zero_grad", function()
      local cell = nn[name](3, 4, H.F64)
      local x = lucid.randn(2, 3, H.F64)
      local function loss() return (cell(x) * 1.5):sum() end
      loss():backward()
      local first = {}
      for n, p in cell:named_parameters() do first[n] = p.grad:clone() end
      loss():backward()
      for n, p in cell:named_parameters() do H.assert_close(p.grad, first[n] * 2, nil, nil, n) end
      cell:zero_grad()
      for n, p in cell:named_parameters() do
        H.assert_close(p.grad, lucid.zeros(p.shape, H.F64), 0, 0, n)
      end
      loss():backward()
      for n, p in cell:named_parameters() do H.assert_close(p.grad, first[n], nil, nil, n) end
    end)

    local lstm = name == "LSTMCell"
    -- One step from state h (and c for an LSTMCell); without h, the call has no state.
    local function step(cell, x, h, c)
      if h == nil then return cell(x) end
      if lstm then return cell(x, { h, c }) end
      return cell(x, h)
    end

    it(name .. " without a state equals an explicit zero state", function()
      local cell = nn[name](3, 4, H.F64)
      local x = lucid.randn(5, 3, H.F64)
      local z = lucid.zeros(5, 4, H.F64)
      local h1, c1 = step(cell, x)
      local h2, c2 = step(cell, x, z, z)
      H.assert_close(h1, h2, 0, 0)
      if lstm then H.assert_close(c1, c2, 0, 0) end
    end)

    it(name .. " unbatched input gives the batched result's row", function()
      local cell = nn[name](3, 4, H.F64)
      local x = lucid.randn(2, 3, H.F64)
      local hx = lucid.randn(2, 4, H.F64)
      local cx = lstm and lucid.randn(2, 4, H.F64) or nil
      local hb, cb = step(cell, x, hx, cx)
      local hu, cu = step(cell, x[2], hx[2], cx and cx[2])
      assert.is_true(hu.shape == { 4 })
      H.assert_close(hu, hb[2], 1e-14, 1e-15)
      if lstm then H.assert_close(cu, cb[2], 1e-14, 1e-15) end
    end)

    it(name .. " records nothing under no_grad", function()
      local cell = nn[name](3, 4)
      local h = lucid.no_grad(function() return (cell(lucid.randn(2, 3))) end)
      assert.is_false(h.requires_grad)
      assert.is_nil(h.grad_fn)
    end)
  end

  it("RNNCell stores its nonlinearity and prints it when not tanh", function()
    local relu = nn.RNNCell(8, 16, { nonlinearity = "relu" })
    assert.are.equal("relu", relu.nonlinearity)
    assert.are.equal("RNNCell(8, 16, nonlinearity=relu)", tostring(relu))
    assert.are.equal("tanh", nn.RNNCell(8, 16).nonlinearity)
    assert.are.equal("RNNCell(8, 16, bias=False, nonlinearity=relu)",
      tostring(nn.RNNCell{ input_size = 8, hidden_size = 16, bias = false, nonlinearity = "relu" }))
    assert.are.equal("RNNCell(8, 16, nonlinearity=relu)", tostring(nn.RNNCell(8, 16, true, "relu")))
  end)

  it("RNNCell relu output is never negative and tanh output is in (-1, 1)", function()
    local x = lucid.randn(6, 8) * 3
    local h = nn.RNNCell(8, 16, { nonlinearity = "relu" })(x)
    assert.is_true(h:min():item() >= 0)
    local t = nn.RNNCell(8, 16)(x)
    assert.is_true(t:abs():max():item() < 1)
  end)

  it("a batched cell step is one fused node of the autograd graph", function()
    local kinds = { RNNCell = "RNNBackward", GRUCell = "GRUBackward", LSTMCell = "LSTMBackward" }
    for name, node in pairs(kinds) do
      local h, c = nn[name](3, 4)(lucid.randn(2, 3))
      assert.are.equal(node, h.grad_fn.name)
      assert.is_true(h.requires_grad)
      if c then assert.are.equal(node, c.grad_fn.name) end
    end
  end)
end)

describe("cells on an empty batch", function()
  it("return an empty state, as PyTorch", function()
    assert.are.same({ 0, 16 }, H.shape_of(nn.RNNCell(8, 16)(lucid.zeros(0, 8))))
    assert.are.same({ 0, 16 }, H.shape_of(nn.GRUCell(8, 16)(lucid.zeros(0, 8), lucid.zeros(0, 16))))
    local h, c = nn.LSTMCell(8, 16)(lucid.zeros(0, 8))
    assert.are.same({ 0, 16 }, H.shape_of(h))
    assert.are.same({ 0, 16 }, H.shape_of(c))
  end)
end)
