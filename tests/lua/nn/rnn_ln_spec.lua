-- layer_norm = true on nn.LSTM and nn.GRU against PyTorch running the
-- LayerNormLSTMCell of its benchmarks (custom_lstms.py) in a Python loop
-- (tests/fixtures/rnn_ln.lua, made by tests/fixtures/gen/gen_rnn_ln.py):
-- outputs, h_n, c_n and the gradients of the input, the states and every
-- parameter, float32 and float64. The equations with primitive lucid ops
-- are compared in rnn_options_spec.lua.
local lucid = require("lucid")
local nn = require("nn")
local H = require("helpers")

local cases = H.load_fixture("rnn_ln")

-- float32 gradients through two layers of layer norms: the LN backward
-- subtracts nearly equal terms scaled by 1/std, so float32 rounding shows;
-- one element of the 2-layer LSTM's grad of x is 2e-5 relative away from
-- PyTorch's (both float32: lucid's is 3e-6 from the float64 value, PyTorch's
-- 5e-7). float32 gradients are held to 3e-5 here, everything else to the
-- usual tolerances (float64 to 1e-10).
local function grad_tol(dtype)
  if dtype == "float32" then return 3e-5, 1e-6 end
  return nil, nil
end

describe("layer_norm against PyTorch's custom_lstms.py cell", function()
  for _, case in ipairs(cases) do
    it(case.name .. ": output, states and every gradient", function()
      local m = nn[case.module](case.input_size, case.hidden_size, case.num_layers,
        { layer_norm = true, dtype = lucid[case.dtype] })
      local sd = {}
      for name, v in pairs(case.params) do sd[name] = H.tensor_from_fixture(v) end
      m:load_state_dict(sd)
      local x = H.tensor_from_fixture(case.x, { requires_grad = true })
      local h0 = H.tensor_from_fixture(case.h0, { requires_grad = true })
      local c0 = case.c0 and H.tensor_from_fixture(case.c0, { requires_grad = true })
      local out, h_n, c_n
      if c0 then
        local st
        out, st = m(x, { h0, c0 })
        h_n, c_n = st[1], st[2]
      else
        out, h_n = m(x, h0)
      end
      H.assert_close(out, case.out, nil, nil, "output")
      H.assert_close(h_n, case.h_n, nil, nil, "h_n")
      if c0 then H.assert_close(c_n, case.c_n, nil, nil, "c_n") end
      local loss = (out * H.tensor_from_fixture(case.w_out)):sum() + (h_n * H.tensor_from_fixture(case.w_h)):sum()
      if c0 then loss = loss + (c_n * H.tensor_from_fixture(case.w_c)):sum() end
      loss:backward()
      for name, g in pairs(case.grads) do
        local t = name == "x" and x or name == "h0" and h0 or name == "c0" and c0 or m[name]
        local rtol, atol = grad_tol(case.dtype)
        H.assert_close(t.grad, g, rtol, atol, "grad of " .. name)
      end
    end)
  end
end)
