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

-- The input as kernel rows: x2 (T, I), steps (L, or a packed input's
-- batch_sizes tensor, handed to the kernel as it is), N, whether batched,
-- and the packed input (or nil).
function MinRNNBase:_rows(input)
  local name = self.__name
  if rnn_utils.is_packed(input) then
    local data = input.data
    if not lucid.is_tensor(data) or data:dim() ~= 2 or data:size(2) ~= self.input_size then
      raise(fmt("%s: a packed input's data must be a 2D tensor (T, %d), got %s", name, self.input_size,
        lucid.is_tensor(data) and tostring(data.shape) or type(data)))
    end
    local steps = input.batch_sizes
    if steps:numel() == 0 then raise(fmt("%s: Expected a non-empty sequence, got a packed sequence of 0 steps", name)) end
    return data, steps, steps[1]:item(), true, input
  end
  if not lucid.is_tensor(input) then
    raise(fmt("%s: input must be a tensor or a PackedSequence, got %s", name, type(input)))
  end
  local nd = input:dim()
  if nd ~= 2 and nd ~= 3 then raise(fmt("%s: Expected input to be 2D or 3D, got %dD tensor", name, nd)) end
  if input:size(-1) ~= self.input_size then
    raise(fmt("%s: input has %d features, expected input_size %d", name, input:size(-1), self.input_size))
  end
  local x = input
  if nd == 2 then x = x:unsqueeze(2) elseif self.batch_first then x = x:transpose(1, 2) end
  local L, N = x:size(1), x:size(2)
  if L == 0 or N == 0 then
    raise(fmt("%s: Expected a non-empty sequence and batch, got input of shape %s", name, tostring(input.shape)))
  end
  return x:reshape(L * N, self.input_size), L, N, nd == 3, nil
end

-- The initial state of each layer, (N, H) in the kernel's batch order, or
-- nil (the zero state) for all of them.
function MinRNNBase:_states(hx, batched, N, dtype, sorted)
  if hx == nil then return {} end
  local name, S, H = self.__name, self.num_layers, self.hidden_size
  if not lucid.is_tensor(hx) then raise(fmt("%s: h0 must be a tensor, got %s", name, type(hx))) end
  if hx.dtype ~= dtype then
    raise(fmt("%s: h0 has dtype %s but the input has dtype %s", name, hx.dtype.name, dtype.name))
  end
  local want = batched and { S, N, H } or { S, H }
  local ok = hx:dim() == #want
  for i = 1, #want do ok = ok and hx:size(i) == want[i] end
  if not ok then
    raise(fmt("%s: Expected h0 of size (%s), got %s", name, table.concat(want, ", "), tostring(hx.shape)))
  end
  if not batched then hx = hx:unsqueeze(2) end
  if sorted then hx = hx:index_select(2, sorted) end
  local list = {}
  for l = 1, S do list[l] = hx:select(1, l) end
  return list
end

-- output, h_n = m(input [, h0])
function MinRNNBase:forward(input, hx)
  local x2, steps, N, batched, packed = self:_rows(input)
  local dtype, w0 = x2.dtype, self.weight_ih_l0
  if dtype ~= w0.dtype then
    raise(fmt("%s: input has dtype %s but the parameters have dtype %s", self.__name, dtype.name, w0.dtype.name))
  end
  local sorted = packed and packed.sorted_indices
  local h0s = self:_states(hx, batched, N, dtype, sorted)
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
