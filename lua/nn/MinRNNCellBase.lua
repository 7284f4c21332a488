-- nn.MinRNNCellBase: what nn.MinGRUCell and nn.MinLSTMCell share - one step
-- of nn.MinGRU / nn.MinLSTM's recurrence (docs/recurrent.md): the parameters
-- weight_ih (G*H, I) and bias_ih (G*H), stacked as the sequence modules'
-- (no weight_hh: the gates see the input only), nn.GRU's initialisation
-- U(-1/sqrt(H), 1/sqrt(H)), the checks of input and state (the core's:
-- lucid._C.rnn_check), and the step: one call of the sequence kernel
-- lucid._C.minrnn_layer over a single time step on its step-by-step path
-- (linear space), one autograd node.
--
--   h = cell(x [, hx])   -- x (N, I) or (I); hx (N, H) or (H), positive,
--                        -- optional: the zero state; h has hx's batchedness
local lucid = require("lucid")
local Module = require("nn.Module")
local MinRNNBase = require("nn.MinRNNBase")
local raise = require("lucid.args").raise

local is_tensor = lucid.is_tensor
local minrnn_layer, rnn_check = lucid._C.minrnn_layer, lucid._C.rnn_check
local fmt = string.format

local MinRNNCellBase = Module:extend("MinRNNCellBase", {})

MinRNNCellBase.arguments = Module.with_dtype({
  { "input_size", "integer", min = 1 },
  { "hidden_size", "integer", min = 1 },
  { "bias", "boolean", default = true },
})

function MinRNNCellBase:init()
  raise("MinRNNCellBase: construct nn.MinGRUCell or nn.MinLSTMCell instead")
end

-- kernel: "mingru" or "minlstm"; gates: the stacked projections (2 or 3).
function MinRNNCellBase:setup(kernel, gates, a)
  self._kernel = kernel
  self.input_size, self.hidden_size, self.bias = a.input_size, a.hidden_size, a.bias
  self._bound = 1 / math.sqrt(a.hidden_size)
  local G = gates * a.hidden_size
  self:register_parameter("weight_ih", Module.uniform_parameter({ G, a.input_size }, self._bound, a.dtype))
  if a.bias then self:register_parameter("bias_ih", Module.uniform_parameter({ G }, self._bound, a.dtype)) end
end

-- Draws every parameter again, as at construction.
MinRNNCellBase.reset_parameters = MinRNNBase.reset_parameters

-- h' = cell(x [, hx]). Cells run in tight Lua loops: the checks are the
-- core's one call, and the step allocates nothing beyond the kernel's
-- outputs.
function MinRNNCellBase:forward(x, hx)
  local name, I, H = self.__name, self.input_size, self.hidden_size
  if not is_tensor(x) then raise(fmt("%s: input must be a tensor, got %s", name, type(x))) end
  if hx ~= nil and not is_tensor(hx) then raise(fmt("%s: hx must be a tensor, got %s", name, type(hx))) end
  rnn_check(name, "step", x, nil, nil, I, self.weight_ih, 1, false, hx, "hx", nil, H) -- raises at the user's line
  local batched = x:dim() == 2
  if batched and x:size(1) == 0 then return hx and hx:clone() or lucid.zeros({ 0, H }, { dtype = x.dtype }) end
  local h0 = hx ~= nil and not batched and hx:view(1, H) or hx
  local y = minrnn_layer(self._kernel, batched and x or x:view(1, I), 1, h0, self.weight_ih, self.bias_ih,
    "sequential", nil, name, "hx") -- raises at the user's line
  return batched and y or y:view(H)
end

-- PyTorch's form: MinGRUCell(10, 20, bias=False).
function MinRNNCellBase:extra_repr()
  local s = fmt("%d, %d", self.input_size, self.hidden_size)
  if self.bias ~= true then s = s .. ", bias=False" end
  return s
end

return MinRNNCellBase
