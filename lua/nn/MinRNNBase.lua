-- nn.MinRNNBase: what nn.MinGRU and nn.MinLSTM share (Feng et al. 2024, "Were
-- RNNs All We Needed?"). Each layer and direction is one call of the kernel
-- lucid._C.minrnn_layer (core/minrnn.c), one autograd node: the input
-- projection of the whole sequence as one GEMM, then the linear recurrence
-- h_t = a_t h_{t-1} + b_t as a scan over time (the kernel itself runs it
-- parallel over time when few sequences leave threads idle). A one-step
-- input (streaming inference) takes the kernel's step-by-step path instead.
--
-- Shapes follow nn.GRU: input (L, N, I), (N, L, I) with batch_first,
-- unbatched (L, I), or a PackedSequence; h0 (num_layers * D, N, H), D = 2
-- when bidirectional, or (num_layers * D, H) unbatched, and positive (the
-- paper's log-space form takes its log); without it every layer starts from the
-- zero state. Returns output (L, N, D * H), h_n. The reverse direction runs
-- the same forward kernel on its input's rows reversed in time (each packed
-- sequence within its own length) and reverses its output back: no kernel of
-- its own.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise
local rnn_utils = require("nn.utils.rnn")
local options = require("nn.rnn_options")

local MinRNNBase = Module:extend("MinRNNBase", {})

local fmt = string.format

MinRNNBase.arguments = Module.with_dtype({
  { "input_size", "integer", min = 1 },
  { "hidden_size", "integer", min = 1 },
  { "num_layers", "integer", default = 1, min = 1, max = 1024 }, -- as RNNBase
  { "bias", "boolean", default = true },
  { "batch_first", "boolean", default = false },
  { "dropout", "number", default = 0, min = 0, max = 1 },
  { "bidirectional", "boolean", default = false },
  { "variational", "boolean", default = false },
})

function MinRNNBase:init()
  raise("MinRNNBase: construct nn.MinGRU or nn.MinLSTM instead")
end

-- kernel: "mingru" or "minlstm"; gates: the stacked projections (2 or 3).
-- Parameters as nn.GRU's, U(-1/sqrt(H), 1/sqrt(H)): weight_ih_l{k} and
-- bias_ih_l{k}, with _reverse for the reverse direction; layers above the
-- first read both directions' D * H features.
function MinRNNBase:setup(kernel, gates, a)
  self._kernel = kernel
  self.input_size, self.hidden_size, self.num_layers = a.input_size, a.hidden_size, a.num_layers
  self.bias, self.batch_first, self.bidirectional = a.bias, a.batch_first, a.bidirectional
  self.dropout, self.variational = a.dropout, a.variational
  self._bound = 1 / math.sqrt(a.hidden_size)
  local D = a.bidirectional and 2 or 1
  local G = gates * a.hidden_size
  for l = 0, a.num_layers - 1 do
    local nin = l == 0 and a.input_size or D * a.hidden_size
    for d = 1, D do
      local sfx = l .. (d == 2 and "_reverse" or "")
      self:register_parameter("weight_ih_l" .. sfx, Module.uniform_parameter({ G, nin }, self._bound, a.dtype))
      if a.bias then
        self:register_parameter("bias_ih_l" .. sfx, Module.uniform_parameter({ G }, self._bound, a.dtype))
      end
    end
  end
end

-- Draws every parameter again from U(-1/sqrt(H), 1/sqrt(H)), as at
-- construction (the cells share it).
function MinRNNBase:reset_parameters()
  options.redraw(self)
end

-- The Lua-level checks of a call (what the arguments are), then the core's
-- of the whole call (lucid._C.rnn_check: shapes and dtypes, in the module's
-- words); returns the input as kernel rows: x2 (T, I), steps (L, or a packed
-- input's batch_sizes tensor, handed to the kernel as it is), N, whether
-- batched, and the packed input (or nil).
function MinRNNBase:_rows(input, hx)
  local name = self.__name
  local packed = rnn_utils.is_packed(input)
  local data = packed and input.data or input
  if packed and not lucid.is_tensor(data) then
    raise(fmt("%s: a packed input's data must be a 2D tensor (T, %d), got %s", name, self.input_size, type(data)))
  elseif not lucid.is_tensor(data) then
    raise(fmt("%s: input must be a tensor or a PackedSequence, got %s", name, type(input)))
  end
  if hx ~= nil and not lucid.is_tensor(hx) then raise(fmt("%s: h0 must be a tensor, got %s", name, type(hx))) end
  lucid._C.rnn_check{ op = name, form = "minimal", input = data,
    batch_sizes = packed and input.batch_sizes or nil, sorted_indices = packed and input.sorted_indices or nil,
    input_size = self.input_size, weight = self.weight_ih_l0,
    layers = self.num_layers * (self.bidirectional and 2 or 1), -- h0 holds every direction's
    batch_first = self.batch_first, h = hx, h_name = "h0", h_width = self.hidden_size }
  if packed then
    local steps = input.batch_sizes
    return data, steps, steps[1]:item(), true, input
  end
  local x, nd = input, input:dim()
  if nd == 2 then x = x:unsqueeze(2) elseif self.batch_first then x = x:transpose(1, 2) end
  local L, N = x:size(1), x:size(2)
  return x:reshape(L * N, self.input_size), L, N, nd == 3, nil
end

-- The initial state of each layer and direction (layer-major), (N, H) in the
-- kernel's batch order, or nil (the zero state) for all of them; hx as
-- _rows accepted it.
function MinRNNBase:_states(hx, batched, sorted)
  if hx == nil then return {} end
  if not batched then hx = hx:unsqueeze(2) end
  if sorted then hx = hx:index_select(2, sorted) end
  local list = {}
  for i = 1, hx:size(1) do list[i] = hx:select(1, i) end
  return list
end

-- The function that reverses a layer's rows (T, F) in time, each sequence
-- within its own length; applied twice it is the identity. Padded: L blocks
-- of N rows flipped; packed: one index_select with lc_packed_reverse_index's
-- permutation, computed once per forward for every layer.
local function reverser(steps, N)
  if lucid.is_tensor(steps) then
    local perm = lucid._C.packed_reverse_index(steps)
    return function(rows) return rows:index_select(1, perm) end
  end
  return function(rows)
    local F_ = rows:size(2)
    return rows:reshape(steps, N, F_):flip(1):reshape(steps * N, F_)
  end
end

-- output, h_n = m(input [, h0])
function MinRNNBase:forward(input, hx)
  local x2, steps, N, batched, packed = self:_rows(input, hx)
  local h0s = self:_states(hx, batched, packed and packed.sorted_indices)
  local L = lucid.is_tensor(steps) and steps:numel() or steps
  local D = self.bidirectional and 2 or 1
  local flip = D == 2 and reverser(steps, N) or nil
  local path = L == 1 and "sequential" or "scan"
  local hn, y = {}, x2
  for l = 0, self.num_layers - 1 do
    local outs = {}
    for d = 1, D do
      local sfx, i = l .. (d == 2 and "_reverse" or ""), l * D + d
      local out
      out, hn[i] = lucid._C.minrnn_layer({ mode = self._kernel, input = d == 2 and flip(y) or y,
        batch_sizes = steps, h0 = h0s[i], weight = self["weight_ih_l" .. sfx], bias = self["bias_ih_l" .. sfx],
        path = path })
      outs[d] = d == 2 and flip(out) or out
    end
    y = options.layer_dropout(self, D == 2 and lucid.cat(outs, 2) or outs[1], l, N, steps)
  end
  local h_n = lucid.stack(hn, 1)
  if packed then
    if packed.unsorted_indices then h_n = h_n:index_select(2, packed.unsorted_indices) end
    return rnn_utils._with_data(packed, y), h_n
  end
  local output = y:view(L, N, D * self.hidden_size)
  if not batched then return output:squeeze(2), h_n:squeeze(2) end
  if self.batch_first then output = output:transpose(1, 2) end
  return output, h_n
end

-- As nn.GRU's: MinGRU(10, 20, num_layers=2, batch_first=True).
function MinRNNBase:extra_repr()
  local s = fmt("%d, %d", self.input_size, self.hidden_size)
  if self.num_layers ~= 1 then s = s .. ", num_layers=" .. self.num_layers end
  if self.bias ~= true then s = s .. ", bias=False" end
  if self.batch_first ~= false then s = s .. ", batch_first=True" end
  if self.dropout ~= 0 then s = s .. ", dropout=" .. options.py(self.dropout) end
  if self.bidirectional then s = s .. ", bidirectional=True" end
  return s .. options.repr(self)
end

return MinRNNBase
