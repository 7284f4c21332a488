-- nn.MinGRUCell and nn.MinLSTMCell: one step of nn.MinGRU / nn.MinLSTM. A
-- cell equals the sequence module at L = 1 with the same weights (values and
-- gradients), the equations written with primitive lucid ops, and a loop of
-- cell steps equals the sequence module's scan; unbatched input, the zero
-- state, gradcheck, parameters and the errors.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local F64 = { dtype = lucid.float64 }

-- g(v) = v + 0.5 for v >= 0, sigmoid(v) otherwise.
local function g(v) return lucid.where(v:ge(0), v + 0.5, v:sigmoid()) end

-- One step from the equations: x (N, I), h (N, H).
local function ref_step(kind, x, h, w, b)
  local Hs = w:size(1) // (kind == "MinGRUCell" and 2 or 3)
  local p = x:matmul(w:t())
  if b then p = p + b end
  local function part(k) return p:narrow(2, (k - 1) * Hs + 1, Hs) end
  if kind == "MinGRUCell" then
    local z = part(1):sigmoid()
    return (1 - z) * h + z * g(part(2))
  end
  local f, i = part(1):sigmoid(), part(2):sigmoid()
  return f / (f + i) * h + i / (f + i) * g(part(3))
end

-- The sequence module of one layer holding the cell's parameters (copies).
local function sequence_of(cell, kind)
  local seq = kind:gsub("Cell$", "")
  local m = nn[seq](cell.input_size, cell.hidden_size, { bias = cell.bias, dtype = cell.weight_ih.dtype })
  lucid.no_grad(function()
    m.weight_ih_l0:copy_(cell.weight_ih)
    if cell.bias then m.bias_ih_l0:copy_(cell.bias_ih) end
  end)
  return m
end

for _, kind in ipairs({ "MinGRUCell", "MinLSTMCell" }) do
  describe("nn." .. kind, function()
    it("equals the sequence module at L = 1 with the same weights, and the equations (values, gradients)",
      function()
      lucid.manual_seed(1)
      for _, bias in ipairs({ true, false }) do
        local cell = nn[kind](5, 4, { bias = bias, dtype = lucid.float64 })
        local m = sequence_of(cell, kind)
        local x = lucid.randn({ 3, 5 }, F64):requires_grad_()
        local hx = (lucid.rand({ 3, 4 }, F64) + 0.05):requires_grad_()
        local w = lucid.randn({ 3, 4 }, F64)
        local h = cell(x, hx)
        local loss = (h * w):sum()
        loss:backward()
        local got = { h:detach(), x.grad, hx.grad, cell.weight_ih.grad, cell.bias_ih and cell.bias_ih.grad }
        x.grad, hx.grad = nil, nil
        local y, hn = m(x:unsqueeze(1), hx:unsqueeze(1))
        H.assert_close(hn[1], y[1], 0, 0, "the sequence module's h_n is its output")
        local mloss = (y[1] * w):sum()
        mloss:backward()
        local want = { y[1]:detach(), x.grad, hx.grad, m.weight_ih_l0.grad, m.bias_ih_l0 and m.bias_ih_l0.grad }
        for k = 1, 5 do
          if want[k] then H.assert_close(got[k], want[k], 1e-12, 1e-14, "result " .. k) end
        end
        assert.are.equal(bias, want[5] ~= nil and got[5] ~= nil)
        H.assert_close(h, ref_step(kind, x, hx, cell.weight_ih, cell.bias_ih), 1e-12, 1e-14, "equations")
      end
    end)

    it("starts from the zero state without hx; unbatched input gives an unbatched state", function()
      lucid.manual_seed(2)
      local cell = nn[kind](3, 2, { dtype = lucid.float64 })
      local x = lucid.randn({ 4, 3 }, F64)
      H.assert_close(cell(x), ref_step(kind, x, lucid.zeros({ 4, 2 }, F64), cell.weight_ih, cell.bias_ih), 1e-12,
        1e-14, "zero state")
      local x1, h1 = lucid.randn({ 3 }, F64), lucid.rand({ 2 }, F64) + 0.1
      local h = cell(x1, h1)
      assert.are.same({ 2 }, H.shape_of(h))
      H.assert_close(h, cell(x1:view(1, 3), h1:view(1, 2)):view(2), 0, 0, "unbatched")
      assert.are.same({ 2 }, H.shape_of(cell(x1)))
    end)

    it("stepped in a loop equals the sequence module's scan over the whole sequence", function()
      lucid.manual_seed(3)
      local cell = nn[kind](4, 6, { dtype = lucid.float64 })
      local m = sequence_of(cell, kind)
      local x, h0 = lucid.randn({ 30, 2, 4 }, F64), lucid.rand({ 2, 6 }, F64) + 0.1
      local y = m(x, h0:unsqueeze(1))
      local h = h0
      for t = 1, 30 do
        h = cell(x[t], h)
        H.assert_close(h, y[t], 1e-10, 1e-12, "step " .. t)
      end
      cell:float()
      H.assert_close(cell(x[1]:float(), h0:float()), y[1]:float(), 1e-5, 1e-6, "float32")
    end)

    it("passes lucid.autograd.gradcheck", function()
      lucid.manual_seed(4)
      local cell = nn[kind](3, 2, { dtype = lucid.float64 })
      local x = lucid.randn({ 2, 3 }, F64):requires_grad_()
      local hx = (lucid.rand({ 2, 2 }, F64) + 0.1):requires_grad_()
      assert.is_true(lucid.autograd.gradcheck(function(xx, hh, w, b) return cell(xx, hh) end,
        { x, hx, cell.weight_ih, cell.bias_ih }))
    end)

    it("has weight_ih and bias_ih stacked as the sequence module's, nn.GRU's initialisation, "
      .. "reset_parameters and a repr", function()
      lucid.manual_seed(5)
      local G = kind == "MinGRUCell" and 2 or 3
      local cell = nn[kind](10, 16)
      assert.are.same({ G * 16, 10 }, H.shape_of(cell.weight_ih))
      assert.are.same({ G * 16 }, H.shape_of(cell.bias_ih))
      assert.is_nil(cell.weight_hh)
      assert.are.equal(2, #cell:parameters())
      assert.is_true(cell.weight_ih:abs():max():item() <= 0.25 and cell.weight_ih:abs():max():item() > 0.2)
      local before = cell.weight_ih:clone()
      cell:reset_parameters()
      assert.are.equal(0, cell.weight_ih:eq(before):sum():item())
      assert.is_true(cell.weight_ih:abs():max():item() <= 0.25 and cell.weight_ih.requires_grad)
      assert.are.equal(kind .. "(10, 16)", tostring(cell))
      local nb = nn[kind](3, 4, { bias = false })
      assert.are.equal(kind .. "(3, 4, bias=False)", tostring(nb))
      assert.is_nil(nb.bias_ih)
      assert.is_nil(nn[kind](3, 4, false).bias_ih) -- positional, as nn.GRUCell's
    end)

    it("returns the state (or an empty batch) for an empty batch", function()
      local cell = nn[kind](3, 2, { dtype = lucid.float64 })
      assert.are.same({ 0, 2 }, H.shape_of(cell(lucid.zeros({ 0, 3 }, F64))))
      assert.are.same({ 0, 2 }, H.shape_of(cell(lucid.zeros({ 0, 3 }, F64), lucid.ones({ 0, 2 }, F64))))
    end)

    it("names the cell, the argument, what was expected and what was got", function()
      local cell = nn[kind](4, 3, { dtype = lucid.float64 })
      local x = lucid.randn({ 2, 4 }, F64)
      H.raises(function() nn[kind](4, 0) end, kind, "hidden_size")
      H.raises(function() nn[kind](4, 3, { num_layers = 2 }) end, kind, "unknown option 'num_layers'")
      H.raises(function() cell("x") end, kind, "input must be a tensor", "string")
      H.raises(function() cell(x, 1) end, kind, "hx must be a tensor", "number")
      H.raises(function() cell(lucid.randn({ 2, 7 }, F64)) end, kind, "input has 7 features", "input_size 4")
      H.raises(function() cell(x:float()) end, kind, "float32", "float64")
      H.raises(function() cell(x, lucid.rand({ 3, 3 }, F64) + 0.1) end, kind, "hx", "batch size 3", "(2, 3)")
      H.raises(function() cell(x[1], lucid.rand({ 1, 3 }, F64) + 0.1) end, kind, "hx", "unbatched")
      H.raises(function() cell(x, (lucid.rand({ 2, 3 }, F64) + 0.1):float()) end, kind, "hx has dtype float32")
      local bad = lucid.rand({ 2, 3 }, F64) + 0.1
      bad[2][2] = -0.25
      H.raises(function() cell(x, bad) end, kind .. ": hx must be positive", "-0.25", "[2, 2]")
      H.raises(function() cell(x, lucid.zeros({ 2, 3 }, F64)) end, kind .. ": hx must be positive", "got 0")
    end)
  end)
end
