-- nn.rnn_options: lucid's recurrent options beyond PyTorch (docs/recurrent.md,
-- "Recurrent options"), shared by nn.LSTM, nn.GRU and their cells: the
-- argument specs, the one check of which combinations make sense, and the
-- forget-gate bias initialisation; and the dropout between layers (plain or
-- variational) that nn.MinGRU and nn.MinLSTM share with them.
local raise = require("lucid.args").raise

local M = {}

local fmt = string.format

-- The option specs of a module; lstm adds the options only an LSTM has,
-- sequence those only a sequence module has (masks per sequence).
function M.specs(lstm, sequence)
  local specs = {
    -- below 1: p = 1 drops everything (and scales by 1/0)
    { "weight_dropout", "number", default = 0, min = 0, below = 1 },
    { "zoneout", "number", default = 0, min = 0, below = 1 },
    { "layer_norm", "boolean", default = false },
  }
  if lstm then
    specs[#specs + 1] = { "forget_bias", "number", optional = true, finite = true }
    specs[#specs + 1] = { "peephole", "boolean", default = false }
  end
  if sequence then
    specs[#specs + 1] = { "variational", "boolean", default = false }
    specs[#specs + 1] = { "recurrent_dropout", "number", default = 0, min = 0, below = 1 }
  end
  return specs
end

-- Checks the combinations of the parsed arguments a (one owner for every
-- module); name is the module's name in messages.
function M.check(name, a)
  if a.layer_norm and a.peephole then
    raise(fmt("%s: peephole and layer_norm cannot be combined (no fused cell has both)", name))
  end
  if a.layer_norm and a.forget_bias ~= nil then
    raise(fmt("%s: forget_bias and layer_norm cannot be combined (layer_norm has no bias_ih; "
      .. "its ln_ih_bias is shared by all gates' normalisation)", name))
  end
  if a.layer_norm and not a.bias then
    raise(fmt("%s: layer_norm and bias = false cannot be combined (the layer norms' ln_*_bias "
      .. "take the place of bias_ih and bias_hh)", name))
  end
  if a.forget_bias ~= nil and not a.bias then
    raise(fmt("%s: forget_bias needs bias = true (the forget gate's bias is where it goes), got bias = false",
      name))
  end
  if (a.recurrent_dropout or 0) > 0 and not a.variational then
    raise(fmt("%s: recurrent_dropout needs variational = true (one mask per sequence), got variational = false",
      name))
  end
end

-- Draws every parameter of a recurrent module m again from U(-b, b),
-- b = m._bound = 1/sqrt(H), as at construction (the reset_parameters of
-- nn.RNN/GRU/LSTM, their cells and the minimal RNNs, before what each adds).
function M.redraw(m)
  local b = m._bound
  require("lucid").no_grad(function()
    for _, p in ipairs(m:parameters()) do p:uniform_(-b, b) end
  end)
end

-- The options that differ from their defaults, for a module's extra_repr:
-- ", forget_bias=1.0, weight_dropout=0.5".
-- A value as PyTorch prints it: an integer given for a float option as a
-- float (PyTorch stores float(dropout): 1.0), the rest as Module.repr_value.
function M.py(v)
  if math.type(v) == "integer" then return v .. ".0" end
  return require("nn.Module").repr_value(v)
end
local py = M.py

function M.repr(m)
  local s = ""
  if m.forget_bias ~= nil then s = s .. ", forget_bias=" .. py(m.forget_bias) end
  if (m.weight_dropout or 0) ~= 0 then s = s .. ", weight_dropout=" .. py(m.weight_dropout) end
  if m.variational then s = s .. ", variational=True" end
  if m.peephole then s = s .. ", peephole=True" end
  if m.layer_norm then s = s .. ", layer_norm=True" end
  if (m.zoneout or 0) ~= 0 then s = s .. ", zoneout=" .. py(m.zoneout) end
  if (m.recurrent_dropout or 0) ~= 0 then s = s .. ", recurrent_dropout=" .. py(m.recurrent_dropout) end
  return s
end

-- The kernel's cell kind for a module of plain kind `kind` ("lstm", ...)
-- with the parsed options a.
function M.cell_kind(kind, a)
  if a.peephole then return "lstm_peephole" end
  if a.layer_norm then return kind .. "_ln" end
  return kind
end

-- The cell's own parameters, concatenated into the kernel's `extra` vector
-- in this order: {name, width in units of H, fill (nil: drawn as the
-- weights are)}. gates is G.
function M.extra_params(a, gates)
  if a.peephole then return { { "weight_ci", 1 }, { "weight_cf", 1 }, { "weight_co", 1 } } end
  if not a.layer_norm then return {} end
  local list = {
    { "ln_ih_weight", gates, 1 }, { "ln_ih_bias", gates, 0 },
    { "ln_hh_weight", gates, 1 }, { "ln_hh_bias", gates, 0 },
  }
  if gates == 4 then
    list[5], list[6] = { "ln_c_weight", 1, 1 }, { "ln_c_bias", 1, 0 }
  end
  return list
end

-- Sets the parameters of extra_params that start from a constant (layer
-- norms: weight 1, bias 0); param(name) gives the tensor.
function M.fill_extra(list, param)
  local lucid = require("lucid")
  lucid.no_grad(function()
    for _, e in ipairs(list) do
      if e[3] then param(e[1]):fill_(e[3]) end
    end
  end)
end

-- The kernel's extra vector, or nil: param(name) gives each tensor.
function M.extra_vector(list, param)
  if #list == 0 then return nil end
  local parts = {}
  for j, e in ipairs(list) do parts[j] = param(e[1]) end
  return require("lucid").cat(parts, 1)
end

-- Zoneout's weights of the old state for `rows` rows of width F: in training
-- 1 with probability p (the unit keeps its value), else 0; in eval p itself.
function M.zoneout_weights(p, training, rows, F_, dtype)
  local lucid = require("lucid")
  if training then return lucid.rand(rows, F_, { dtype = dtype }):lt(p):to(dtype) end
  return lucid.full({ rows, F_ }, p, { dtype = dtype })
end

-- A variational dropout mask: one (N, F) draw, 0 or 1 / (1 - p), per sequence.
function M.sequence_mask(p, N, F_, dtype)
  local lucid = require("lucid")
  return require("nn.functional").dropout(lucid.ones(N, F_, { dtype = dtype }), p, true)
end

-- rows (T, F) of a layer's output times a per-sequence mask (N, F), the same
-- at every step: padded rows are L blocks of N, packed step t holds the
-- first steps[t] sequences, so row r is sequence r - (rows before its step).
local function mask_sequences(rows, mask, steps)
  if type(steps) == "number" then
    local N, F_ = mask:size(1), mask:size(2)
    return (rows:view(steps, N, F_) * mask):view(steps * N, F_)
  end
  local lucid = require("lucid")
  local before = (steps:cumsum(1) - steps):repeat_interleave(steps)
  local seq = lucid.arange(1, rows:size(1) + 1, { dtype = lucid.int64 }) - before
  return rows * mask:index_select(1, seq)
end

-- A sequence module's dropout between layers (PyTorch's `dropout`): y (T, F),
-- the rows of layer l's output (0-based) for N sequences of the kernel's
-- steps (L, or a packed input's batch_sizes). In training, below the last
-- layer, with m.dropout > 0: one mask per element, or with m.variational one
-- per sequence, the same at every step. Otherwise y as it is.
function M.layer_dropout(m, y, l, N, steps)
  if not m.training or m.dropout == 0 or l >= m.num_layers - 1 then return y end
  if m.variational then return mask_sequences(y, M.sequence_mask(m.dropout, N, y:size(2), y.dtype), steps) end
  return require("nn.functional").dropout(y, m.dropout, true)
end

-- The forget-gate slice (columns H+1..2H of an LSTM's [i; f; g; o]) of b_ih
-- set to v and of b_hh to 0, leaving the other gates' biases as they are.
function M.set_forget_bias(b_ih, b_hh, H, v)
  local lucid = require("lucid")
  lucid.no_grad(function()
    b_ih:narrow(1, H + 1, H):fill_(v)
    b_hh:narrow(1, H + 1, H):fill_(0)
  end)
end

return M
