-- The recurrent modules written again from the equations of docs/recurrent.md
-- with primitive lucid ops (matmul, sigmoid, tanh, narrow, ...) and a Lua
-- loop over time: the reference the option specs compare the fused kernel
-- with, outputs and every gradient. Random options draw their masks through
-- nn.functional in the order the modules do, so under the same
-- lucid.manual_seed both see the same masks.
local lucid = require("lucid")
local F = require("nn.functional")

local M = {}

local function gate(t, k, H) return t:narrow(2, (k - 1) * H + 1, H) end

local function lin(x, w, b)
  local y = x:matmul(w:t())
  if b then y = y + b end
  return y
end

-- One step of a cell kind ("lstm" or "gru") from its parameters p
-- (weight_ih, weight_hh, bias_ih, bias_hh; weight_ci, weight_cf, weight_co
-- with peepholes): h', c'. Optional: hmask the
-- recurrent dropout mask on the state fed to W_hh, zh and zc zoneout's
-- weights of the old h and c.
function M.step(kind, p, x, h, c, H, hmask, zh, zc)
  local h2, c2 = M.plain_step(kind, p, x, h, c, H, hmask)
  if zh then h2 = zh * h + (1 - zh) * h2 end
  if zc then c2 = zc * c + (1 - zc) * c2 end
  return h2, c2
end

-- nn.LayerNorm's over the last dim of a 2D x: eps 1e-5 inside the root, variance biased.
function M.layer_norm(x, w, b)
  local d = x - x:mean(2, true)
  return d / ((d * d):mean(2, true) + 1e-5):sqrt() * w + b
end

function M.plain_step(kind, p, x, h, c, H, hmask)
  local gi, gh = lin(x, p.weight_ih, p.bias_ih), lin(hmask and h * hmask or h, p.weight_hh, p.bias_hh)
  if p.ln_ih_weight then -- layer_norm: the projections normalised, no biases
    gi = M.layer_norm(gi, p.ln_ih_weight, p.ln_ih_bias)
    gh = M.layer_norm(gh, p.ln_hh_weight, p.ln_hh_bias)
  end
  if kind == "gru" then
    local r = (gate(gi, 1, H) + gate(gh, 1, H)):sigmoid()
    local z = (gate(gi, 2, H) + gate(gh, 2, H)):sigmoid()
    local n = (gate(gi, 3, H) + r * gate(gh, 3, H)):tanh()
    return (1 - z) * n + z * h
  end
  local a = gi + gh
  if p.weight_ci then -- peepholes: i, f see c, o sees c'
    local i = (gate(a, 1, H) + p.weight_ci * c):sigmoid()
    local f = (gate(a, 2, H) + p.weight_cf * c):sigmoid()
    local c2 = f * c + i * gate(a, 3, H):tanh()
    local o = (gate(a, 4, H) + p.weight_co * c2):sigmoid()
    return o * c2:tanh(), c2
  end
  local i, f = gate(a, 1, H):sigmoid(), gate(a, 2, H):sigmoid()
  local g, o = gate(a, 3, H):tanh(), gate(a, 4, H):sigmoid()
  local c2 = f * c + i * g
  if p.ln_c_weight then c2 = M.layer_norm(c2, p.ln_c_weight, p.ln_c_bias) end
  return o * c2:tanh(), c2
end

-- The parameters of layer l, direction suffix sfx, of a sequence module,
-- with W_hh dropped as the module drops it in training.
local function layer_params(m, l, sfx)
  local p = {}
  for _, k in ipairs({ "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ci", "weight_cf", "weight_co",
    "ln_ih_weight", "ln_ih_bias", "ln_hh_weight", "ln_hh_bias", "ln_c_weight", "ln_c_bias" }) do
    p[k] = m[k .. "_l" .. l .. sfx]
  end
  if m.training and m.weight_dropout > 0 then p.weight_hh = F.dropout(p.weight_hh, m.weight_dropout, true) end
  return p
end

-- A sequence module m (nn.LSTM or nn.GRU, padded (L, N, I) input, not
-- batch_first) over x from the states h0, c0 ((S, N, H) or nil for zeros):
-- output, h_n, c_n.
function M.run(m, x, h0, c0)
  local kind = m.mode == "LSTM" and "lstm" or "gru"
  local H, L, N = m.hidden_size, x:size(1), x:size(2)
  local D = m.bidirectional and 2 or 1
  local opts = { dtype = x.dtype }
  local hn, cn = {}, {}
  local input = x
  for l = 0, m.num_layers - 1 do
    local outs = {}
    for d = 0, D - 1 do
      local sfx = d == 1 and "_reverse" or ""
      local p = layer_params(m, l, sfx)
      local hmask
      if m.training and (m.recurrent_dropout or 0) > 0 then
        hmask = F.dropout(lucid.ones(N, H, opts), m.recurrent_dropout, true)
      end
      local zh, zc
      if (m.zoneout or 0) > 0 then
        local function weights()
          if m.training then return lucid.rand(L * N, H, opts):lt(m.zoneout):to(x.dtype):view(L, N, H) end
          return lucid.full({ L, N, H }, m.zoneout, opts)
        end
        zh = weights()
        if kind == "lstm" then zc = weights() end
      end
      local s = l * D + d + 1
      local h = h0 and h0[s] or lucid.zeros(N, H, opts)
      local c = kind == "lstm" and (c0 and c0[s] or lucid.zeros(N, H, opts)) or nil
      local ys = {}
      for k = 1, L do
        local t = d == 1 and L + 1 - k or k
        h, c = M.step(kind, p, input[t], h, c, H, hmask, zh and zh[t], zc and zc[t])
        ys[t] = h
      end
      outs[d + 1], hn[s], cn[s] = lucid.stack(ys, 1), h, c
    end
    local y = D == 2 and lucid.cat(outs, 3) or outs[1]
    if m.training and m.dropout > 0 and l < m.num_layers - 1 then
      if m.variational then -- one (N, F) mask for every step
        y = y * F.dropout(lucid.ones(N, y:size(3), opts), m.dropout, true)
      else
        y = F.dropout(y, m.dropout, true)
      end
    end
    input = y
  end
  return input, lucid.stack(hn, 1), kind == "lstm" and lucid.stack(cn, 1) or nil
end

return M
