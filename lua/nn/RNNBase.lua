-- nn.RNNBase: what nn.RNN, nn.GRU and nn.LSTM share - the per-layer
-- parameters, the Lua-level argument checks (the core checks shapes and
-- dtypes: lucid._C.rnn_check), and the forward over layers and
-- directions. Each layer is one call of the fused kernel (core/rnn.c), one
-- autograd node: lucid._C.rnn_layer, or lucid._C.rnn_bilayer for both directions
-- of a bidirectional layer at once; no Lua runs per time step.
--
-- Shapes follow PyTorch: input (L, N, I), or (N, L, I) with batch_first, or
-- unbatched (L, I), or a PackedSequence; hx (num_layers * D, N, Hout), D = 2
-- when bidirectional, Hout = proj_size or hidden_size. lucid's rule: with
-- batched input a 2D hx (N, Hout) is the initial state of the first layer (of
-- both its directions when bidirectional); the other layers start from zeros.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise
local rnn_utils = require("nn.utils.rnn")
local options = require("nn.rnn_options")

local RNNBase = Module:extend("RNNBase", {})

local fmt = string.format



-- ---- construction ---------------------------------------------------------

-- The argument list of a subclass: PyTorch's positional order, with
-- nonlinearity after num_layers for RNN and proj_size for LSTM (RNN and GRU
-- take proj_size only to reject it as PyTorch does), then lucid's options
-- (docs/recurrent.md): `extra` adds them per module.
function RNNBase.arguments(with_nonlinearity, extra)
  local args = {
    { "input_size", "integer", min = 1 },
    { "hidden_size", "integer", min = 1 },
    { "num_layers", "integer", default = 1, min = 1, max = 1024 }, -- bounded: a layer is Lua work
  }
  if with_nonlinearity then
    args[#args + 1] = { "nonlinearity", "string", default = "tanh", choices = { "tanh", "relu" } }
  end
  local rest = {
    { "bias", "boolean", default = true },
    { "batch_first", "boolean", default = false },
    { "dropout", "number", default = 0, min = 0, max = 1 },
    { "bidirectional", "boolean", default = false },
    { "proj_size", "integer", optional = true },
  }
  for _, a in ipairs(rest) do args[#args + 1] = a end
  for _, a in ipairs(Module.arg_specs("RNNBase.arguments", extra)) do args[#args + 1] = a end
  return Module.with_dtype(args)
end

-- Only the subclasses are constructed.
function RNNBase:init()
  raise("RNNBase: construct nn.RNN, nn.GRU or nn.LSTM instead")
end

-- mode: PyTorch's ("RNN_TANH", "RNN_RELU", "GRU", "LSTM"); lowered, it
-- names the kernel's cell kind, whose facts (gate count, cell state) the core
-- gives.
function RNNBase:setup(mode, a)
  local name = self.__name
  if type(mode) ~= "string" or type(a) ~= "table" then
    raise(fmt("%s: setup(mode, args) takes a mode name and the parsed arguments, got %s and %s", name,
      type(mode), type(a)))
  end
  local cell = lucid._C.rnn_cell(options.cell_kind(mode:lower(), a))
  if not cell.projectable and a.proj_size ~= nil then
    raise(fmt("%s: proj_size is only supported by LSTM, not RNN or GRU", name))
  end
  local proj = a.proj_size or 0
  if proj < 0 then
    raise(fmt("%s: proj_size must be zero (no projection) or positive, got %d", name, proj))
  end
  if proj >= a.hidden_size then
    raise(fmt("%s: proj_size must be smaller than hidden_size (%d), got %d", name, a.hidden_size, proj))
  end
  self.mode = mode
  self._cell = options.cell_kind(mode:lower(), a)
  self._extra = options.extra_params(a, cell.gates)
  self.input_size, self.hidden_size, self.num_layers = a.input_size, a.hidden_size, a.num_layers
  self.bias, self.batch_first, self.bidirectional = a.bias, a.batch_first, a.bidirectional
  self.dropout, self.proj_size = a.dropout, proj
  local D = a.bidirectional and 2 or 1
  local hout = proj > 0 and proj or a.hidden_size
  local bound = 1 / math.sqrt(a.hidden_size)
  local G = cell.gates * a.hidden_size
  self._all_weights = {}
  for l = 0, a.num_layers - 1 do
    for d = 0, D - 1 do
      local sfx = d == 1 and "_reverse" or ""
      local nin = l == 0 and a.input_size or hout * D
      local names = {}
      local function add(pname, sizes)
        pname = fmt(pname, l, sfx)
        self:register_parameter(pname, Module.uniform_parameter(sizes, bound, a.dtype))
        names[#names + 1] = pname
      end
      add("weight_ih_l%d%s", { G, nin })
      add("weight_hh_l%d%s", { G, hout })
      if a.bias and not a.layer_norm then -- layer norms bring their own biases
        add("bias_ih_l%d%s", { G })
        add("bias_hh_l%d%s", { G })
      end
      if proj > 0 then add("weight_hr_l%d%s", { proj, a.hidden_size }) end
      for _, e in ipairs(self._extra) do add(e[1] .. "_l%d%s", { e[2] * a.hidden_size }) end
      self._all_weights[#self._all_weights + 1] = names
    end
  end
  self._bound = bound
  options.check(name, a)
  self.forget_bias, self.weight_dropout = a.forget_bias, a.weight_dropout or 0
  self.variational, self.recurrent_dropout = a.variational or false, a.recurrent_dropout or 0
  self.zoneout, self.peephole, self.layer_norm = a.zoneout or 0, a.peephole or false, a.layer_norm or false
  self:_apply_forget_bias()
end

-- The forget-gate slice of every bias_ih starts at forget_bias, of bias_hh
-- at 0; layer norms start at weight 1, bias 0.
function RNNBase:_apply_forget_bias()
  local sfx = self.bidirectional and { "", "_reverse" } or { "" }
  for l = 0, self.num_layers - 1 do
    for _, s in ipairs(sfx) do
      options.fill_extra(self._extra, function(e) return self[e .. "_l" .. l .. s] end)
    end
  end
  if self.forget_bias == nil then return end
  for l = 0, self.num_layers - 1 do
    for _, s in ipairs(sfx) do
      options.set_forget_bias(self["bias_ih_l" .. l .. s], self["bias_hh_l" .. l .. s], self.hidden_size,
        self.forget_bias)
    end
  end
end

-- Draws every parameter again from U(-1/sqrt(H), 1/sqrt(H)), then applies
-- forget_bias, as at construction.
function RNNBase:reset_parameters()
  options.redraw(self)
  self:_apply_forget_bias()
end

-- PyTorch's all_weights: one list of parameters per layer and direction.
function RNNBase:all_weights()
  local out = {}
  for i, names in ipairs(self._all_weights) do
    out[i] = {}
    for j, n in ipairs(names) do out[i][j] = self[n] end
  end
  return out
end

-- ---- helpers for forward --------------------------------------------------


local is_packed = rnn_utils.is_packed

-- Rows of t along dim reordered by a 1-based int64 index tensor (nil: as is).
local function permute(t, dim, idx)
  if idx == nil then return t end
  return t:index_select(dim, idx)
end

-- The initial states of one kind (hidden or cell) as a list of (N, width)
-- tensors, one per layer and direction, in the kernel's (sorted) batch order;
-- hx as lucid._C.rnn_check accepted it.
function RNNBase:_states(hx, width, batched, N, dtype, sorted)
  local S = self.num_layers * (self.bidirectional and 2 or 1)
  local list = {}
  if hx == nil then
    local z = lucid.zeros({ N, width }, { dtype = dtype })
    for i = 1, S do list[i] = z end
    return list
  end
  if not batched then
    for i = 1, S do list[i] = hx:select(1, i):unsqueeze(1) end
    return list
  end
  if hx:dim() == 2 then -- the first layer's (both its directions'), zeros after
    hx = permute(hx, 1, sorted)
    local D = self.bidirectional and 2 or 1
    local z = lucid.zeros({ N, width }, { dtype = dtype })
    for i = 1, S do list[i] = i <= D and hx or z end
    return list
  end
  hx = permute(hx, 2, sorted)
  for i = 1, S do list[i] = hx:select(1, i) end
  return list
end

-- The Lua-level checks of a call (what the arguments are, before any
-- tensor is read), then the core's of the whole call (lc_rnn_check: shapes
-- and dtypes of the input and states, in the module's words). Returns h0
-- and c0 as given.
function RNNBase:_check(input, hx, packed)
  local name = self.__name
  local is_lstm = self.mode == "LSTM"
  local data = packed and input.data or input
  if packed and not lucid.is_tensor(data) then
    raise(fmt("%s: a packed input's data must be a 2D tensor (T, input_size), got %s", name, type(data)))
  elseif not lucid.is_tensor(data) then
    raise(fmt("%s: input must be a tensor or a PackedSequence, got %s", name, type(input)))
  end
  local h0, c0 = hx, nil
  if is_lstm then
    if hx ~= nil and (type(hx) ~= "table" or lucid.is_tensor(hx) or is_packed(hx)) then
      raise(fmt("%s: hx must be a table {h0, c0}, got %s", name, lucid.is_tensor(hx) and "a tensor" or type(hx)))
    end
    if hx ~= nil and (hx[1] == nil or hx[2] == nil) then
      raise(fmt("%s: hx must be a table {h0, c0} of two tensors, got %s and %s", name, type(hx[1]), type(hx[2])))
    end
    h0, c0 = hx and hx[1], hx and hx[2]
  end
  local hname = is_lstm and "h0" or "hx"
  for _, s in ipairs({ { hname, h0 }, { "c0", c0 } }) do
    if s[2] ~= nil and not lucid.is_tensor(s[2]) then
      raise(fmt("%s: %s must be a tensor, got %s", name, s[1], type(s[2])))
    end
  end
  local D = self.bidirectional and 2 or 1
  lucid._C.rnn_check{ op = name, form = "sequence", input = data,
    batch_sizes = packed and input.batch_sizes or nil, sorted_indices = packed and input.sorted_indices or nil,
    input_size = self.input_size, weight = self.weight_ih_l0, layers = self.num_layers * D,
    batch_first = self.batch_first, h = h0, h_name = hname, h_size_name = is_lstm and "h0" or "hidden",
    h_width = self.proj_size > 0 and self.proj_size or self.hidden_size,
    c = c0, c_name = is_lstm and "c0" or nil, c_width = self.hidden_size }
  return h0, c0
end

-- ---- forward ----------------------------------------------------------------

-- rnn(x [, hx]) -> output, h_n; lstm(x [, {h0, c0}]) -> output, {h_n, c_n}.
function RNNBase:forward(input, hx)
  local is_lstm = self.mode == "LSTM"
  local D = self.bidirectional and 2 or 1
  local H = self.hidden_size
  local hout = self.proj_size > 0 and self.proj_size or H
  local packed = is_packed(input)
  local h0, c0 = self:_check(input, hx, packed)
  local x2, steps, L, N, batched, sorted, unsorted
  if packed then
    steps = input.batch_sizes -- the kernel reads the tensor as it is
    L, N, batched = steps:numel(), steps[1]:item(), true
    sorted, unsorted = input.sorted_indices, input.unsorted_indices
    x2 = input.data
  else
    batched = input:dim() == 3
    local x = input
    if not batched then
      x = x:unsqueeze(2)
    elseif self.batch_first then
      x = x:transpose(1, 2)
    end
    L, N = x:size(1), x:size(2)
    x2 = x:reshape(L * N, self.input_size)
    steps = L
  end
  local dtype = x2.dtype
  local h0s = self:_states(h0, hout, batched, N, dtype, sorted)
  local c0s = is_lstm and self:_states(c0, H, batched, N, dtype, sorted) or nil

  local hn, cn = {}, {}
  local layer_in = x2
  for l = 0, self.num_layers - 1 do
    local outs, dirs = {}, {} -- dirs: each direction's arguments of the kernel
    for d = 0, D - 1 do
      local sfx = d == 1 and "_reverse" or ""
      local i = l * D + d + 1
      local w_hh = self["weight_hh_l" .. l .. sfx]
      local w_noise -- DropConnect: a new mask per forward, drawn here, applied by the kernel
      if self.training and self.weight_dropout > 0 then w_noise = lucid.rand(w_hh.shape, { dtype = dtype }) end
      local h_mask -- recurrent dropout: one mask per sequence on the state fed to W_hh
      if self.training and self.recurrent_dropout > 0 then
        h_mask = options.sequence_mask(self.recurrent_dropout, N, hout, dtype)
      end
      local zh, zc -- zoneout: per row and unit, the weight of the old state
      if self.zoneout > 0 then
        local T = layer_in:size(1)
        zh = options.zoneout_weights(self.zoneout, self.training, T, hout, dtype)
        if is_lstm then zc = options.zoneout_weights(self.zoneout, self.training, T, H, dtype) end
      end
      local extra = options.extra_vector(self._extra, function(e) return self[e .. "_l" .. l .. sfx] end)
      dirs[d + 1] = { h0 = h0s[i], c0 = c0s and c0s[i], w_ih = self["weight_ih_l" .. l .. sfx], w_hh = w_hh,
        b_ih = self["bias_ih_l" .. l .. sfx], b_hh = self["bias_hh_l" .. l .. sfx],
        w_hr = self["weight_hr_l" .. l .. sfx], h_mask = h_mask, zoneout_h = zh, zoneout_c = zc, extra = extra,
        w_hh_noise = w_noise, w_hh_dropout = self.weight_dropout }
    end
    local i = l * D + 1
    if D == 1 then
      local a = dirs[1]
      a.cell, a.input, a.batch_sizes, a.reverse = self._cell, layer_in, steps, false
      outs[1], hn[i], cn[i] = lucid._C.rnn_layer(a)
    else -- both directions as one kernel call: one input projection, the time loops side by side
      outs[1], hn[i], cn[i], outs[2], hn[i + 1], cn[i + 1] = lucid._C.rnn_bilayer({ cell = self._cell,
        input = layer_in, batch_sizes = steps, forward = dirs[1], backward = dirs[2] })
    end
    layer_in = options.layer_dropout(self, D == 2 and lucid.cat(outs, 2) or outs[1], l, N, steps)
  end

  local h_n = permute(lucid.stack(hn, 1), 2, unsorted)
  local c_n = is_lstm and permute(lucid.stack(cn, 1), 2, unsorted) or nil
  local output
  if packed then
    output = rnn_utils._with_data(input, layer_in)
  else
    output = layer_in:view(L, N, D * hout)
    if not batched then
      output, h_n = output:squeeze(2), h_n:squeeze(2)
      if c_n then c_n = c_n:squeeze(2) end
    elseif self.batch_first then
      output = output:transpose(1, 2)
    end
  end
  if is_lstm then return output, { h_n, c_n } end
  return output, h_n
end

-- ---- printing ---------------------------------------------------------------

local py = options.py

-- PyTorch's: RNN(10, 12, num_layers=2, batch_first=True).
function RNNBase:extra_repr()
  local s = fmt("%d, %d", self.input_size, self.hidden_size)
  if self.proj_size ~= 0 then s = s .. ", proj_size=" .. self.proj_size end
  if self.num_layers ~= 1 then s = s .. ", num_layers=" .. self.num_layers end
  if self.bias ~= true then s = s .. ", bias=" .. py(self.bias) end
  if self.batch_first ~= false then s = s .. ", batch_first=" .. py(self.batch_first) end
  if self.dropout ~= 0 then s = s .. ", dropout=" .. py(self.dropout) end
  if self.bidirectional ~= false then s = s .. ", bidirectional=" .. py(self.bidirectional) end
  return s .. options.repr(self)
end

return RNNBase
