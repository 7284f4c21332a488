-- nn.RNNCellBase: what RNNCell, GRUCell and LSTMCell share - the parameters
-- weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H), PyTorch's
-- init U(-1/sqrt(H), 1/sqrt(H)), the checks of input and state (the core's:
-- lucid._C.rnn_check), and the printing. A step is one call of the fused step
-- kernel lucid._C.rnn_cell_step (two GEMMs, the cell's gate math, weight
-- dropout, one autograd node with a hand-written backward); with zoneout, of
-- the layer kernel lucid._C.rnn_layer over a single time step.
--
-- Cells are called in tight Lua loops, so forward does the few checks it
-- needs inline and allocates nothing beyond the kernel's outputs.
local lucid = require("lucid")
local Module = require("nn.Module")
local raise = require("lucid.args").raise
local options = require("nn.rnn_options")

local is_tensor = lucid.is_tensor
local zeros, rand = lucid.zeros, lucid.rand
local unpack = table.unpack
local rnn_layer, rnn_cell_step, rnn_check = lucid._C.rnn_layer, lucid._C.rnn_cell_step, lucid._C.rnn_check
local fmt = string.format

-- creation options of a zero state, per dtype, so a step allocates no table
local ZERO_OPTS = { [lucid.float32] = { dtype = lucid.float32 }, [lucid.float64] = { dtype = lucid.float64 } }

local RNNCellBase = Module:extend("RNNCellBase", {})

-- The RNNCellBase base of the argument lists: the subclasses add their own.
function RNNCellBase.cell_args(extra)
  local args = {
    { "input_size", "integer", min = 1 },
    { "hidden_size", "integer", min = 1 },
    { "bias", "boolean", default = true },
  }
  for _, spec in ipairs(Module.arg_specs("RNNCellBase.cell_args", extra)) do args[#args + 1] = spec end
  return Module.with_dtype(args)
end

-- Registers the four parameters (in PyTorch's order) for the kernel's cell
-- kind `cell` ("rnn_tanh", "rnn_relu", "gru", "lstm"), which a step runs.
function RNNCellBase:init_cell(a, cell)
  if type(a) ~= "table" or (cell ~= nil and type(cell) ~= "string")
      or math.type(a.input_size) ~= "integer" or math.type(a.hidden_size) ~= "integer" then
    raise(fmt("%s: init_cell(args, cell) takes the parsed arguments and a cell kind name, got %s and %s",
      self.__name, type(a), type(cell)))
  end
  local I, H = a.input_size, a.hidden_size
  cell = options.cell_kind(cell, a)
  local gates = lucid._C.rnn_cell(cell).gates
  self.input_size, self.hidden_size, self.bias = I, H, a.bias
  self._cell = cell
  self._has_cell = cell:find("^lstm") ~= nil -- a cell state c beside h
  self._extra = options.extra_params(a, gates)
  self._parts = {} -- step's scratch list of the extra parameters
  local bound = 1 / math.sqrt(H)
  local uniform = Module.uniform_parameter
  self:register_parameter("weight_ih", uniform({ gates * H, I }, bound, a.dtype))
  self:register_parameter("weight_hh", uniform({ gates * H, H }, bound, a.dtype))
  local biased = a.bias and not a.layer_norm -- layer norms bring their own biases
  self:register_parameter("bias_ih", biased and uniform({ gates * H }, bound, a.dtype) or nil)
  self:register_parameter("bias_hh", biased and uniform({ gates * H }, bound, a.dtype) or nil)
  for _, e in ipairs(self._extra) do self:register_parameter(e[1], uniform({ e[2] * H }, bound, a.dtype)) end
  self._bound = bound
  options.check(self.__name, a)
  self.forget_bias, self.weight_dropout, self.zoneout = a.forget_bias, a.weight_dropout or 0, a.zoneout or 0
  self.peephole, self.layer_norm = a.peephole or false, a.layer_norm or false
  self:_apply_forget_bias()
end

function RNNCellBase:_apply_forget_bias()
  options.fill_extra(self._extra, function(e) return self[e] end)
  if self.forget_bias == nil then return end
  options.set_forget_bias(self.bias_ih, self.bias_hh, self.hidden_size, self.forget_bias)
end

-- Draws every parameter again from U(-1/sqrt(H), 1/sqrt(H)), then applies
-- forget_bias, as at construction.
function RNNCellBase:reset_parameters()
  options.redraw(self)
  self:_apply_forget_bias()
end

-- The Lua-level checks of a step's arguments (what they are), then the
-- core's of the whole call (lucid._C.rnn_check: shapes and dtypes, in the
-- module's words, raised at the user's line, so a step needs no pcall). h
-- and c are the states as given, named hname and cname in messages (c and
-- cname nil without a cell state). Returns the input as (N, I), whether it
-- was batched, and the states as (N, H), zeros for nil.
function RNNCellBase:check(x, h, hname, c, cname)
  local name, I, H = self.__name, self.input_size, self.hidden_size
  if not is_tensor(x) then raise(fmt("%s: input must be a tensor, got %s", name, type(x))) end
  if h ~= nil and not is_tensor(h) then raise(fmt("%s: %s must be a tensor, got %s", name, hname, type(h))) end
  if c ~= nil and not is_tensor(c) then raise(fmt("%s: %s must be a tensor, got %s", name, cname, type(c))) end
  rnn_check(name, "step", x, nil, nil, I, self.weight_ih, 1, false, h, hname, nil, H, c, cname, H)
  local batched = x:dim() == 2
  if h == nil or (cname and c == nil) then -- zeros (N, H) for what was not given
    local N, zero = batched and x:size(1) or 1, ZERO_OPTS[x.dtype]
    h = h or zeros(N, H, zero)
    if cname then c = c or zeros(N, H, zero) end
  end
  if not batched then
    h = h:dim() == 1 and h:view(1, H) or h
    if cname then c = c:dim() == 1 and c:view(1, H) or c end
  end
  return batched and x or x:view(1, I), batched, h, c
end

-- One step of the fused kernel: h (and c for an LSTM). An empty batch has
-- nothing to compute: its state comes back as it went in, as in PyTorch.
-- Weight dropout (DropConnect) draws uniform noise of W_hh's shape, a new
-- draw per call in training, and the kernel builds the dropped W_hh from it
-- (and masks its gradient); the cell's own parameters (peepholes, layer
-- norms) go to the kernel as they are registered, read afresh at each call.
local function is_state(s, N, H) return is_tensor(s) and s:dim() == 2 and s:size(1) == N and s:size(2) == H end

function RNNCellBase:step(x2, h0, c0)
  local H = self.hidden_size
  if not is_tensor(x2) or x2:dim() ~= 2 or not is_state(h0, x2:size(1), H)
      or (self._has_cell and not is_state(c0, x2:size(1), H)) or (not self._has_cell and c0 ~= nil) then
    raise(fmt("%s: step(input, h0 [, c0]) takes (N, input_size) and (N, %d) tensors (c0 for an LSTM cell only), "
      .. "got %s, %s and %s", self.__name, H, is_tensor(x2) and tostring(x2.shape) or type(x2),
      is_tensor(h0) and tostring(h0.shape) or type(h0), is_tensor(c0) and tostring(c0.shape) or type(c0)))
  end
  if x2:size(1) == 0 then return h0:clone(), c0 and c0:clone() end
  local w_hh = self.weight_hh
  local noise, p -- DropConnect: a new mask per call
  if self.training and self.weight_dropout > 0 then
    noise, p = rand(w_hh.shape, ZERO_OPTS[w_hh.dtype]), self.weight_dropout
  end
  local zh, zc -- zoneout: per unit, the weight of the old state
  if self.zoneout > 0 then
    local N, H = x2:size(1), self.hidden_size
    zh = options.zoneout_weights(self.zoneout, self.training, N, H, x2.dtype)
    if c0 then zc = options.zoneout_weights(self.zoneout, self.training, N, H, x2.dtype) end
  end
  local extra, n = self._extra, #self._extra
  if zh == nil then
    if n == 0 then
      return rnn_cell_step(self._cell, x2, h0, c0, self.weight_ih, w_hh, self.bias_ih, self.bias_hh, noise, p)
    end
    local parts = self._parts -- scratch: the parameters as registered now
    for j = 1, n do parts[j] = self[extra[j][1]] end
    return rnn_cell_step(self._cell, x2, h0, c0, self.weight_ih, w_hh, self.bias_ih, self.bias_hh, noise, p,
      unpack(parts, 1, n))
  end
  -- zoneout mixes the old state in: the layer kernel has it (positional, as
  -- the named form costs a table and a name match per argument)
  local vector = n > 0 and options.extra_vector(extra, function(e) return self[e] end) or nil
  local _, h, c = rnn_layer(self._cell, x2, 1, false, h0, c0, self.weight_ih, w_hh, self.bias_ih,
    self.bias_hh, nil, nil, zh, zc, vector, noise, p)
  return h, c
end

-- PyTorch's form: the sizes, then only the options that differ from the defaults.
function RNNCellBase:extra_repr()
  local s = fmt("%d, %d", self.input_size, self.hidden_size)
  if self.bias ~= true then s = s .. ", bias=" .. Module.repr_value(self.bias) end
  if self.nonlinearity ~= nil and self.nonlinearity ~= "tanh" then
    s = s .. ", nonlinearity=" .. self.nonlinearity
  end
  return s .. options.repr(self)
end

return RNNCellBase
