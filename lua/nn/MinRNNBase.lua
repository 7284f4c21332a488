-- nn.MinRNNBase: what nn.MinGRU and nn.MinLSTM share (Feng et al. 2024, "Were
-- RNNs All We Needed?"). Each layer is one call of the kernel
-- lucid._C.minrnn_layer (core/minrnn.c), one autograd node: the input
-- projection of the whole sequence as one GEMM, then the linear recurrence
-- h_t = a_t h_{t-1} + b_t as a log-space scan over time. A one-step input
-- (streaming inference) takes the kernel's step-by-step path instead.
--
-- Shapes follow nn.GRU: input (L, N, I), (N, L, I) with batch_first,
-- unbatched (L, I), or a PackedSequence; h0 (num_layers, N, H), or
-- (num_layers, H) unbatched, and positive (the scan works on log h); without
-- it every layer starts from the zero state. Returns output, h_n.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise
local rnn_utils = require("nn.utils.rnn")

local MinRNNBase = Module:extend("MinRNNBase", {})

local fmt = string.format

MinRNNBase.arguments = Module.with_dtype({
  { "input_size", "integer", min = 1 },
  { "hidden_size", "integer", min = 1 },
  { "num_layers", "integer", default = 1, min = 1, max = 1024 }, -- as RNNBase
  { "bias", "boolean", default = true },
  { "batch_first", "boolean", default = false },
})

function MinRNNBase:init()
  raise("MinRNNBase: construct nn.MinGRU or nn.MinLSTM instead")
end

-- kernel: "mingru" or "minlstm"; gates: the stacked projections (2 or 3).
-- Parameters as nn.GRU's, U(-1/sqrt(H), 1/sqrt(H)).
function MinRNNBase:setup(kernel, gates, a)
  self._kernel = kernel
  self.input_size, self.hidden_size, self.num_layers = a.input_size, a.hidden_size, a.num_layers
  self.bias, self.batch_first = a.bias, a.batch_first
  local bound = 1 / math.sqrt(a.hidden_size)
  local G = gates * a.hidden_size
  for l = 0, a.num_layers - 1 do
    local nin = l == 0 and a.input_size or a.hidden_size
    self:register_parameter("weight_ih_l" .. l, Module.uniform_parameter({ G, nin }, bound, a.dtype))
    if a.bias then
      self:register_parameter("bias_ih_l" .. l, Module.uniform_parameter({ G }, bound, a.dtype))
    end
  end
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
    input_size = self.input_size, weight = self.weight_ih_l0, layers = self.num_layers,
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

-- The initial state of each layer, (N, H) in the kernel's batch order, or
-- nil (the zero state) for all of them; hx as _rows accepted it.
function MinRNNBase:_states(hx, batched, sorted)
  if hx == nil then return {} end
  if not batched then hx = hx:unsqueeze(2) end
  if sorted then hx = hx:index_select(2, sorted) end
  local list = {}
  for l = 1, self.num_layers do list[l] = hx:select(1, l) end
  return list
end

-- output, h_n = m(input [, h0])
function MinRNNBase:forward(input, hx)
  local x2, steps, N, batched, packed = self:_rows(input, hx)
  local h0s = self:_states(hx, batched, packed and packed.sorted_indices)
  local L = lucid.is_tensor(steps) and steps:numel() or steps
  local path = L == 1 and "sequential" or "scan"
  local hn, y = {}, x2
  for l = 0, self.num_layers - 1 do
    y, hn[l + 1] = lucid._C.minrnn_layer({ mode = self._kernel, input = y, batch_sizes = steps,
      h0 = h0s[l + 1], weight = self["weight_ih_l" .. l], bias = self["bias_ih_l" .. l], path = path })
  end
  local h_n = lucid.stack(hn, 1)
  if packed then
    if packed.unsorted_indices then h_n = h_n:index_select(2, packed.unsorted_indices) end
    return rnn_utils._with_data(packed, y), h_n
  end
  local output = y:view(L, N, self.hidden_size)
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
  return s
end

return MinRNNBase
