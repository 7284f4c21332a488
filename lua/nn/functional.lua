-- nn.functional: the stateless forms of nn's layers and losses.
--
-- Arguments follow PyTorch's order, minus its deprecated ones (size_average,
-- reduce), and any trailing options table supplies them by name:
--   F.cross_entropy(x, t)                          F.cross_entropy(x, t, w)
--   F.cross_entropy(x, t, {ignore_index = 1, reduction = "sum"})
-- Dims, class targets and embedding indices are 1-based.
local lucid = require("lucid")
local raise = require("lucid.args").raise

local M = {}

local args = require("lucid.args")

-- Positional values and a trailing options table -> a table keyed by names.
local function parse(fname, names, ...) return args.parse(fname, names, 1, ...) end

local function check_tensor(fname, name, x)
  if not lucid.is_tensor(x) then
    raise(string.format("%s: %s must be a tensor, got %s", fname, name, type(x)))
  end
end

local function check_float(fname, name, x)
  check_tensor(fname, name, x)
  if not x.dtype.is_floating_point then
    raise(string.format("%s: %s must be a float32 or float64 tensor, got %s", fname, name,
      x.dtype.name))
  end
end

local function opt_float(fname, name, t)
  if t ~= nil then check_float(fname, name, t) end
end

local function opt_tensor(fname, name, t)
  if t ~= nil then check_tensor(fname, name, t) end
end

local function check_reduction(fname, r)
  if r == nil then return "mean" end
  if r ~= "mean" and r ~= "sum" and r ~= "none" then
    raise(string.format("%s: reduction must be 'none', 'mean' or 'sum', got %s", fname,
      type(r) == "string" and ("'" .. r .. "'") or type(r)))
  end
  return r
end

local function reduce(loss, reduction)
  if reduction == "mean" then return loss:mean() end
  if reduction == "sum" then return loss:sum() end
  return loss
end

local function number_opt(fname, name, v, default, min)
  if v == nil then return default end
  if type(v) ~= "number" or (min and not (v >= min)) then
    raise(string.format("%s: %s must be a number%s, got %s", fname, name,
      min and string.format(" >= %s", tostring(min)) or "", tostring(v)))
  end
  return v
end

-- The p-norm of v along dim (p = math.huge: the largest magnitude).
local function pnorm(v, p, dim, keepdim)
  if p == 2 then
    local s = (v * v):sum(dim, keepdim)
    return s:sqrt()
  end
  if p == 1 then return v:abs():sum(dim, keepdim) end
  if p == math.huge then return (v:abs():max(dim, keepdim)) end
  return v:abs():pow(p):sum(dim, keepdim):pow(1 / p)
end

-- ---- layers ---------------------------------------------------------------

-- linear(input, weight [, bias]): input W^T + b.
function M._linear(fname, a)
  check_float(fname, "input", a.input)
  check_float(fname, "weight", a.weight)
  opt_float(fname, "bias", a.bias)
  if a.weight:dim() ~= 2 then
    raise(string.format("%s: weight must be 2-dimensional, got shape %s", fname, tostring(a.weight.shape)))
  end
  if a.input:dim() == 0 or a.input:size(-1) ~= a.weight:size(2) then
    raise(string.format("%s: input has %d features, expected in_features %d (weight has shape %s)", fname,
      a.input:dim() == 0 and 0 or a.input:size(-1), a.weight:size(2), tostring(a.weight.shape)))
  end
  if a.input.dtype ~= a.weight.dtype then
    raise(string.format("%s: input has dtype %s, expected %s (the weight's)", fname, a.input.dtype.name,
      a.weight.dtype.name))
  end
  local y = a.input:matmul(a.weight:t())
  if a.bias ~= nil then y = y + a.bias end
  return y
end

local function dropout_args(fname, a)
  local p, training = a.p, a.training
  if p == nil then p = 0.5 end
  if training == nil then training = true end
  check_tensor(fname, "input", a.input)
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    raise(string.format("%s: p must be a number in [0, 1], got %s", fname, tostring(p)))
  end
  if type(training) ~= "boolean" then
    raise(string.format("%s: training must be a boolean, got %s", fname, type(training)))
  end
  return p, training
end

-- dropout(x, p = 0.5, training = true): inverted dropout. Each element is
-- zeroed with probability p and the kept ones scaled by 1/(1-p), so the
-- expectation is unchanged; identity when not training or p == 0. With
-- inplace, x itself takes the result (and is returned), as in PyTorch.
function M.dropout(...)
  local a = parse("dropout", { "input", "p", "training", "inplace" }, ...)
  local p, training = dropout_args("dropout", a)
  local x = a.input
  if not training or p == 0 then return x end
  local y = p == 1 and x * 0 or x * lucid.rand(x.shape, { dtype = x.dtype }):lt(1 - p) * (1 / (1 - p))
  return a.inplace and x:copy_(y) or y
end

-- dropout1d(input [, p = 0.5, training = true, inplace = false]): zeroes
-- whole channels of (N, C, L) or (C, L) input with probability p, scaling
-- the others by 1/(1-p).
function M._dropout1d(fname, a)
  local p, training = dropout_args(fname, a)
  local x = a.input
  if x:dim() ~= 2 and x:dim() ~= 3 then
    raise(string.format("%s: input must be (N, C, L) or (C, L), got shape %s", fname, tostring(x.shape)))
  end
  if not training or p == 0 then return x end
  local shape = {}
  for d = 1, x:dim() - 1 do shape[d] = x:size(d) end
  shape[#shape + 1] = 1
  local keep = lucid.rand(shape, { dtype = x.dtype }):lt(1 - p)
  local y = p == 1 and x * 0 or x * keep * (1 / (1 - p))
  return a.inplace and x:copy_(y) or y
end

-- alpha_dropout(input [, p = 0.5, training = false, inplace = false]): the
-- dropout for SELU networks: dropped elements take SELU's negative
-- saturation value, then an affine map a x + b restores zero mean and unit
-- variance.
function M.alpha_dropout(...)
  local a = parse("alpha_dropout", { "input", "p", "training", "inplace" }, ...)
  if a.training == nil then a.training = false end
  return M._alpha_dropout("alpha_dropout", a)
end

local SELU_SATURATION = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717

function M._alpha_dropout(fname, a)
  local p, training = dropout_args(fname, a)
  local x = a.input
  if not training or p == 0 then return x end
  if p == 1 then return a.inplace and x:copy_(x * 0) or x * 0 end
  local alpha = SELU_SATURATION
  local scale = ((1 - p) * (1 + p * alpha * alpha)) ^ -0.5
  local keep = lucid.rand(x.shape, { dtype = x.dtype }):lt(1 - p)
  local y = lucid.where(keep, x, alpha) * scale - scale * alpha * p
  return a.inplace and x:copy_(y) or y
end

-- embedding(input, weight [, padding_idx, max_norm, norm_type = 2]): rows
-- of weight (V, D) at the 1-based int64 indices of input (any shape) ->
-- (..., D). The padding_idx row (1-based, negative from the end) receives
-- no gradient. With max_norm, the rows looked up whose norm exceeds it are
-- first scaled in place to that norm (PyTorch's renormalisation).
function M._embedding(fname, a)
  check_tensor(fname, "input", a.input)
  check_float(fname, "weight", a.weight)
  if a.weight:dim() ~= 2 then
    raise(string.format("%s: weight must be 2-dimensional, got shape %s", fname, tostring(a.weight.shape)))
  end
  if a.scale_grad_by_freq or a.sparse then
    raise(string.format("%s: scale_grad_by_freq and sparse gradients are not supported", fname))
  end
  local pad = a.padding_idx
  if pad ~= nil then
    local v = a.weight:size(1)
    if math.type(pad) ~= "integer" or pad == 0 or pad > v or pad < -v then
      raise(string.format("%s: padding_idx must be an integer in [1, %d] or [-%d, -1], got %s",
        fname, v, v, tostring(pad)))
    end
    if pad < 0 then pad = pad + v + 1 end
  end
  if a.max_norm ~= nil then
    local max_norm = number_opt(fname, "max_norm", a.max_norm, nil, 0)
    local norm_type = number_opt(fname, "norm_type", a.norm_type, 2, 0)
    if a.input.dtype == lucid.int64 then
      args.call(lucid._embedding_renorm_, a.weight, a.input, max_norm, norm_type)
    end
  end
  return args.call(lucid._embedding, a.weight, a.input, pad, fname)
end

-- The most negative finite value of each float dtype.
local LOWEST = { float32 = -3.4028234663852886e38, float64 = -1.7976931348623157e308 }

-- embedding_bag(input, weight [, offsets, max_norm, norm_type, mode = 'mean',
-- per_sample_weights, include_last_offset = false, padding_idx]): the sum,
-- mean or max of the embeddings of each bag. input (B, n) is B bags of n
-- indices; 1-D input with offsets (B) (1-based starts: bag b holds
-- positions offsets[b] .. offsets[b+1] - 1) is bags of any length.
-- per_sample_weights (input's shape) scale each embedding ('sum' only);
-- padding_idx entries count for nothing (not in the mean's count either).
-- Empty bags give zeros.
function M._embedding_bag(fname, a)
  local x, mode = a.input, a.mode or "mean"
  check_tensor(fname, "input", x)
  if mode ~= "sum" and mode ~= "mean" and mode ~= "max" then
    raise(string.format("%s: mode must be 'sum', 'mean' or 'max', got %s", fname, tostring(mode)))
  end
  local psw = a.per_sample_weights
  if psw ~= nil then
    check_float(fname, "per_sample_weights", psw)
    if mode ~= "sum" then raise(string.format("%s: per_sample_weights needs mode 'sum', got '%s'", fname, mode)) end
    if psw.shape ~= x.shape then
      raise(string.format("%s: per_sample_weights has shape %s, expected the input's %s", fname,
        tostring(psw.shape), tostring(x.shape)))
    end
  end
  local off = a.offsets
  if x:dim() == 2 then -- B bags of n: the 1-D form with offsets 1, n + 1, ...
    if off ~= nil then raise(string.format("%s: offsets apply to 1-D input only", fname)) end
    local B, n = x:size(1), x:size(2)
    off = B == 0 and lucid.zeros(0, { dtype = lucid.int64 }) or lucid.arange(1, B * n + 1, math.max(n, 1))
    x = x:reshape(-1)
    if psw ~= nil then psw = psw:reshape(-1) end
  elseif x:dim() ~= 1 then
    raise(string.format("%s: input must be 1-D (with offsets) or 2-D, got shape %s", fname, tostring(x.shape)))
  end
  local e = M._embedding(fname, { input = x, weight = a.weight, max_norm = a.max_norm, norm_type = a.norm_type,
    scale_grad_by_freq = a.scale_grad_by_freq, sparse = a.sparse })
  local dt, n = e.dtype, x:size(1)
  check_tensor(fname, "offsets", off)
  if off.dtype ~= lucid.int64 or off:dim() ~= 1 then
    raise(string.format("%s: offsets must be a 1-D int64 tensor, got %s %s", fname, off.dtype.name, tostring(off.shape)))
  end
  local starts = off
  if not a.include_last_offset then starts = lucid.cat({ off, lucid.tensor({ n + 1 }) }, 1) end
  local B = starts:numel() - 1
  local ok = B >= 0 and (B == 0 or (starts[1]:item() == 1 and starts[B + 1]:item() <= n + 1))
  if ok and B > 0 then ok = (starts:narrow(1, 2, B) - starts:narrow(1, 1, B)):min():item() >= 0 end
  if not ok then
    raise(string.format("%s: offsets must start at 1, never decrease and stay within the %d indices", fname, n))
  end
  -- member (B, n): 1 where index j belongs to bag b (and is not padding)
  local pos = lucid.arange(1, n + 1):view(1, n)
  local member = pos:ge(starts:narrow(1, 1, B):view(B, 1)):to(dt) * pos:lt(starts:narrow(1, 2, B):view(B, 1)):to(dt)
  if a.padding_idx ~= nil then
    local v = a.weight:size(1)
    local pad = a.padding_idx < 0 and a.padding_idx + v + 1 or a.padding_idx
    member = member * x:reshape(1, -1):ne(pad):to(dt)
  end
  if mode == "max" then
    -- members keep their values, others -inf; empty bags then give 0
    local m = (e:unsqueeze(1) + member:log():unsqueeze(3)):max(2)
    local any = member:sum(2):gt(0):to(dt):unsqueeze(2)
    return any * m:clamp(LOWEST[dt.name]) -- an empty bag's -inf becomes finite, then 0
  end
  if psw ~= nil then member = member * psw:reshape(1, -1) end
  local out = member:matmul(e)
  if mode == "mean" then out = out / member:sum(2, true):clamp(1) end
  return out
end

-- ---- normalisation --------------------------------------------------------

-- An integer or a list of integers (a table or a shape) -> a list.
local function size_list(fname, name, v)
  if math.type(v) == "integer" then return { v } end
  local ok = type(v) == "table" and #v > 0 and #v <= 8 -- a lying __len must not loop 2^40 times
  local list = {}
  -- stop at the first non-integer: a table whose __len lies (1e9) must fail fast, not loop
  for i = 1, ok and #v or 0 do
    ok = math.type(v[i]) == "integer"
    if not ok then break end
    list[i] = v[i]
  end
  if not ok then
    raise(string.format("%s: %s must be an integer or a list of integers, got %s", fname, name, type(v)))
  end
  return list
end
M._size_list = size_list

local function check_eps(fname, eps, default)
  if eps == nil then return default end
  if type(eps) ~= "number" or not (eps >= 0) then
    raise(string.format("%s: eps must be a number >= 0, got %s", fname, tostring(eps)))
  end
  return eps
end

-- The machine epsilon of a float dtype: rms_norm's default eps (PyTorch's).
local FINFO_EPS = { float32 = 2 ^ -23, float64 = 2 ^ -52 }


-- layer_norm(input, normalized_shape [, weight, bias, eps = 1e-5]): each
-- slice over the trailing normalized_shape dims minus its mean, over the
-- square root of its biased variance plus eps, times weight, plus bias.
-- One fused C kernel, forward and backward.
function M.layer_norm(...)
  local a = parse("layer_norm", { "input", "normalized_shape", "weight", "bias", "eps" }, ...)
  return M._layer_norm("layer_norm", a, false)
end

-- rms_norm(input, normalized_shape [, weight, eps]): input over the root of
-- its mean square (plus eps; default the dtype's machine epsilon), times weight.
function M.rms_norm(...)
  local a = parse("rms_norm", { "input", "normalized_shape", "weight", "eps" }, ...)
  return M._layer_norm("rms_norm", a, true)
end

-- The kernel checks dtypes, shapes and eps (errors under fname).
function M._layer_norm(fname, a, rms)
  check_tensor(fname, "input", a.input)
  opt_tensor(fname, "weight", a.weight)
  opt_tensor(fname, "bias", a.bias)
  local shape = size_list(fname, "normalized_shape", a.normalized_shape)
  local eps = check_eps(fname, a.eps, rms and (FINFO_EPS[a.input.dtype.name] or 0) or 1e-5)
  return args.call(lucid._layer_norm, fname, a.input, shape, a.weight, a.bias, eps, rms, false)
end

-- Per-channel affine of (N, C, ...) input: x * weight[c] + bias[c].
local function channel_affine(x, weight, bias)
  if weight == nil and bias == nil then return x end
  local shape = { 1, x:size(2) }
  for d = 3, x:dim() do shape[d] = 1 end
  if weight ~= nil then x = x * weight:view(shape) end
  if bias ~= nil then x = x + bias:view(shape) end
  return x
end

local function check_channels(fname, name, t, c)
  if t ~= nil and (t:dim() ~= 1 or t:size(1) ~= c) then
    raise(string.format("%s: %s has shape %s, expected (%d) for %d channels", fname, name,
      tostring(t.shape), c, c))
  end
end

-- group_norm(input, num_groups [, weight, bias, eps = 1e-5]): input (N, C,
-- ...) split into num_groups groups of C/num_groups channels, each group of
-- each sample normalised (the layer norm kernel on (N, G, rest)), then a
-- per-channel weight and bias.
function M._group_norm(fname, a)
  local x, g = a.input, a.num_groups
  check_float(fname, "input", x)
  opt_float(fname, "weight", a.weight)
  opt_float(fname, "bias", a.bias)
  if x:dim() < 2 then
    raise(string.format("%s: input must be (N, C, ...), got shape %s", fname, tostring(x.shape)))
  end
  local c = x:size(2)
  if math.type(g) ~= "integer" or g < 1 or c % g ~= 0 then
    raise(string.format("%s: num_groups must be a positive integer dividing the %d channels, got %s",
      fname, c, tostring(g)))
  end
  check_channels(fname, "weight", a.weight, c)
  check_channels(fname, "bias", a.bias, c)
  local eps = check_eps(fname, a.eps, 1e-5)
  local n, rest = x:size(1), x:numel() // math.max(x:size(1) * g, 1)
  local y = args.call(lucid._layer_norm, fname, x:reshape(n, g, rest), { rest }, nil, nil, eps, false, false)
  return channel_affine(y:view(x.shape), a.weight, a.bias)
end

-- batch_norm(input, running_mean, running_var [, weight, bias, training =
-- false, momentum = 0.1, eps = 1e-5]): input (N, C) or (N, C, L), each
-- channel normalised by the batch's statistics (training; the running ones
-- then move toward them by momentum, the variance unbiased) or by the
-- running ones (not training).
function M._batch_norm(fname, a)
  local x = a.input
  check_float(fname, "input", x)
  for _, name in ipairs({ "running_mean", "running_var", "weight", "bias" }) do
    opt_float(fname, name, a[name])
  end
  if x:dim() < 2 then
    raise(string.format("%s: input must be (N, C) or (N, C, L), got shape %s", fname, tostring(x.shape)))
  end
  local c = x:size(2)
  for _, name in ipairs({ "running_mean", "running_var", "weight", "bias" }) do
    check_channels(fname, name, a[name], c)
  end
  local training = a.training or false
  local momentum = a.momentum == nil and 0.1 or a.momentum
  if type(momentum) ~= "number" then
    raise(string.format("%s: momentum must be a number, got %s", fname, type(momentum)))
  end
  local eps = check_eps(fname, a.eps, 1e-5)
  if not training then
    if a.running_mean == nil or a.running_var == nil then
      raise(string.format("%s: running_mean and running_var are needed when not training", fname))
    end
    local shape = { 1, c }
    for d = 3, x:dim() do shape[d] = 1 end
    local y = (x - a.running_mean:view(shape)) / (a.running_var:view(shape) + eps):sqrt()
    return channel_affine(y, a.weight, a.bias)
  end
  local count = x:numel() // math.max(c, 1)
  if count <= 1 then
    raise(string.format("%s: expected more than 1 value per channel when training, got input %s",
      fname, tostring(x.shape)))
  end
  -- channels first, so each channel is one row of the layer norm kernel
  local xt = x:transpose(1, 2):contiguous()
  local rest = {}
  for d = 2, xt:dim() do rest[#rest + 1] = xt:size(d) end
  local yt, mean, var = args.call(lucid._layer_norm, fname, xt, rest, nil, nil, eps, false, true)
  if a.running_mean ~= nil then
    lucid.no_grad(function()
      a.running_mean:mul_(1 - momentum):add_(mean:to(a.running_mean.dtype) * momentum)
    end)
  end
  if a.running_var ~= nil then
    lucid.no_grad(function()
      a.running_var:mul_(1 - momentum):add_(var:to(a.running_var.dtype) * (momentum * count / (count - 1)))
    end)
  end
  return channel_affine(yt:transpose(1, 2), a.weight, a.bias)
end

-- ---- padding --------------------------------------------------------------

-- Source position (1-based) of output position j (1-based, before padding
-- starts at 1 - left) in a dim of n, per mode.
local PAD_SOURCE = {
  reflect = function(j, n)
    if j < 1 then return 2 - j end
    if j > n then return 2 * n - j end
    return j
  end,
  replicate = function(j, n) return math.min(math.max(j, 1), n) end,
  circular = function(j, n) return (j - 1) % n + 1 end,
}

-- pad(input, pad [, mode = 'constant', value = 0]): pad = {left, right} for
-- the last dim, {left, right, top, bottom} for the last two, ... (PyTorch's
-- order: the last dim first). 'constant' fills with value (negative pads
-- crop); 'reflect' mirrors without repeating the edge, 'replicate' repeats
-- the edge, 'circular' wraps around. Each padded dim is one differentiable
-- cat (constant) or index_select (the other modes).
function M.pad(...)
  local a = parse("pad", { "input", "pad", "mode", "value" }, ...)
  local x, pad, mode = a.input, a.pad, a.mode or "constant"
  check_tensor("pad", "input", x)
  local ok = type(pad) == "table" and #pad % 2 == 0 and #pad // 2 <= x:dim()
  for i = 1, ok and #pad or 0 do ok = ok and math.type(pad[i]) == "integer" end
  if not ok then
    raise(string.format("pad: pad must be a list of an even number of integers, at most 2 per dim of the %d-D input",
      x:dim()))
  end
  if mode ~= "constant" and not PAD_SOURCE[mode] then
    raise(string.format("pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got %s", tostring(mode)))
  end
  local value = a.value or 0
  if type(value) ~= "number" then raise("pad: value must be a number, got " .. type(value)) end
  if mode ~= "constant" and a.value ~= nil and a.value ~= 0 then
    raise(string.format("pad: value applies to mode 'constant' only, got mode '%s'", mode))
  end
  for i = 1, #pad // 2 do
    local d, left, right = x:dim() - i + 1, pad[2 * i - 1], pad[2 * i]
    local n = x:size(d)
    if mode == "constant" then
      if left < 0 then x, n, left = x:narrow(d, 1 - left, n + left), n + left, 0 end
      if right < 0 then x, n, right = x:narrow(d, 1, n + right), n + right, 0 end
      local function filled(k)
        local shape = {}
        for e = 1, x:dim() do shape[e] = e == d and k or x:size(e) end
        return lucid.full(shape, value, { dtype = x.dtype })
      end
      local parts = {}
      if left > 0 then parts[#parts + 1] = filled(left) end
      parts[#parts + 1] = x
      if right > 0 then parts[#parts + 1] = filled(right) end
      if #parts > 1 then x = lucid.cat(parts, d) end
    else
      local limit = mode == "reflect" and n - 1 or mode == "circular" and n or math.huge
      if left < 0 or right < 0 or left > limit or right > limit or n == 0 then
        raise(string.format("pad: %s padding (%d, %d) must be in [0, %s] for dim %d of size %d", mode, left,
          right, limit == math.huge and "inf" or tostring(limit), d, n))
      end
      if left > 0 or right > 0 then
        local idx, src = {}, PAD_SOURCE[mode]
        for j = 1 - left, n + right do idx[#idx + 1] = src(j, n) end
        x = x:index_select(d, lucid.tensor(idx, { dtype = lucid.int64 }))
      end
    end
  end
  return x
end

-- ---- convolution ----------------------------------------------------------

-- An integer argument of a 1-D layer, also accepted as a one-element list
-- (PyTorch's tuples), checked against a minimum.
local function int1(fname, name, v, default, min)
  if v == nil then return default end
  if type(v) == "table" and #v == 1 then v = v[1] end
  if math.type(v) ~= "integer" or v < min then
    raise(string.format("%s: %s must be an integer >= %d, got %s", fname, name, min, tostring(v)))
  end
  return v
end
M._int1 = int1

-- Runs f on x as a batch of one when x is unbatched (C, L): (N, C, L) in,
-- the batch dim removed again on the way out.
local function batched(fname, x, f)
  check_float(fname, "input", x)
  if x:dim() == 2 then return f(x:unsqueeze(1)):squeeze(1) end
  if x:dim() ~= 3 then
    raise(string.format("%s: input must be (N, C, L) or (C, L), got shape %s", fname, tostring(x.shape)))
  end
  return f(x)
end
M._batched = batched

-- conv1d(input, weight [, bias, stride = 1, padding = 0, dilation = 1,
-- groups = 1]): input (N, Cin, L) or (Cin, L), weight (Cout, Cin/groups,
-- K). padding is a count of zeros on each side, 'valid' (0) or 'same' (the
-- output as long as the input; stride 1; an odd total puts the extra zero
-- on the right, as PyTorch). im2col and one GEMM per group, in C.
function M._conv1d(fname, a)
  check_float(fname, "weight", a.weight)
  opt_float(fname, "bias", a.bias)
  local stride = int1(fname, "stride", a.stride, 1, 1)
  local dilation = int1(fname, "dilation", a.dilation, 1, 1)
  local groups = int1(fname, "groups", a.groups, 1, 1)
  local pl, pr
  if a.padding == "same" then
    if stride ~= 1 then raise(string.format("%s: padding 'same' needs stride 1, got %d", fname, stride)) end
    local total = a.weight:dim() == 3 and dilation * (a.weight:size(3) - 1) or 0
    pl = total // 2
    pr = total - pl
  elseif a.padding == "valid" then
    pl, pr = 0, 0
  else
    if type(a.padding) == "string" then
      raise(string.format("%s: padding must be an integer, 'same' or 'valid', got '%s'", fname, a.padding))
    end
    pl = int1(fname, "padding", a.padding, 0, 0)
    pr = pl
  end
  return batched(fname, a.input, function(x)
    return args.call(lucid._conv1d, fname, x, a.weight, a.bias, stride, pl, pr, dilation, groups, 0, false)
  end)
end

-- conv_transpose1d(input, weight [, bias, stride = 1, padding = 0,
-- output_padding = 0, groups = 1, dilation = 1]): the adjoint of conv1d
-- (its gradient with respect to the input); weight (Cin, Cout/groups, K),
-- output length (L-1) stride - 2 padding + dilation (K-1) + output_padding + 1.
function M._conv_transpose1d(fname, a)
  check_float(fname, "weight", a.weight)
  opt_float(fname, "bias", a.bias)
  local stride = int1(fname, "stride", a.stride, 1, 1)
  local pad = int1(fname, "padding", a.padding, 0, 0)
  local opad = int1(fname, "output_padding", a.output_padding, 0, 0)
  local groups = int1(fname, "groups", a.groups, 1, 1)
  local dilation = int1(fname, "dilation", a.dilation, 1, 1)
  return batched(fname, a.input, function(x)
    return args.call(lucid._conv1d, fname, x, a.weight, a.bias, stride, pad, pad, dilation, groups, opad, true)
  end)
end

-- ---- pooling --------------------------------------------------------------

local function pool(fname, x, is_max, adaptive, o) -- the kernel checks x's dtype and shape
  check_tensor(fname, "input", x)
  local y, idx = args.call(lucid._pool1d, fname, x, is_max, adaptive, o.kernel, o.stride, o.padding,
    o.dilation, o.ceil_mode, o.count_include_pad, o.output_size)
  if o.return_indices then return y, idx end
  return y
end

local function check_bool(fname, name, v, default)
  if v == nil then return default end
  if type(v) ~= "boolean" then raise(string.format("%s: %s must be a boolean, got %s", fname, name, type(v))) end
  return v
end

-- max_pool1d(input, kernel_size [, stride = kernel_size, padding = 0,
-- dilation = 1, ceil_mode = false, return_indices = false]): input (N, C,
-- L) or (C, L); with return_indices also the 1-based positions of the maxima.
function M._max_pool1d(fname, a)
  local k = int1(fname, "kernel_size", a.kernel_size, nil, 1)
  return pool(fname, a.input, true, false, { kernel = k, stride = int1(fname, "stride", a.stride, k, 1),
    padding = int1(fname, "padding", a.padding, 0, 0), dilation = int1(fname, "dilation", a.dilation, 1, 1),
    ceil_mode = check_bool(fname, "ceil_mode", a.ceil_mode, false),
    return_indices = check_bool(fname, "return_indices", a.return_indices, false) })
end

-- avg_pool1d(input, kernel_size [, stride = kernel_size, padding = 0,
-- ceil_mode = false, count_include_pad = true])
function M._avg_pool1d(fname, a)
  local k = int1(fname, "kernel_size", a.kernel_size, nil, 1)
  return pool(fname, a.input, false, false, { kernel = k, stride = int1(fname, "stride", a.stride, k, 1),
    padding = int1(fname, "padding", a.padding, 0, 0), dilation = 1,
    ceil_mode = check_bool(fname, "ceil_mode", a.ceil_mode, false),
    count_include_pad = check_bool(fname, "count_include_pad", a.count_include_pad, true) })
end

-- adaptive_avg_pool1d(input, output_size), adaptive_max_pool1d(input,
-- output_size [, return_indices = false]): output_size windows
-- [floor(i L / O), ceil((i+1) L / O)) over the length L.
function M.adaptive_avg_pool1d(...)
  local a = parse("adaptive_avg_pool1d", { "input", "output_size" }, ...)
  return M._adaptive_pool1d("adaptive_avg_pool1d", a, false)
end

function M.adaptive_max_pool1d(...)
  local a = parse("adaptive_max_pool1d", { "input", "output_size", "return_indices" }, ...)
  return M._adaptive_pool1d("adaptive_max_pool1d", a, true)
end

function M._adaptive_pool1d(fname, a, is_max)
  return pool(fname, a.input, is_max, true, { output_size = int1(fname, "output_size", a.output_size, nil, 1),
    return_indices = check_bool(fname, "return_indices", a.return_indices, false) })
end

-- ---- attention ------------------------------------------------------------

-- A mask as an additive float mask of dtype dt: a float mask is added as
-- it is; an int64 mask is boolean, and `keep` says whether nonzero means
-- "attend" (scaled_dot_product_attention) or "masked out" (MultiheadAttention,
-- as PyTorch's two conventions differ): masked places get -inf, kept ones 0.
local function additive_mask(fname, name, m, dt, keep)
  check_tensor(fname, name, m)
  if m.dtype.is_floating_point then return m:to(dt) end
  local attend = m:ne(0):to(dt)
  if not keep then attend = 1 - attend end
  return attend:log() -- log 1 = 0, log 0 = -inf
end

-- scaled_dot_product_attention(query, key, value [, attn_mask, dropout_p =
-- 0, is_causal = false, scale]): softmax(q k^T * scale + mask) v with scale
-- 1/sqrt(E); q (..., L, E), k (..., S, E), v (..., S, Ev). attn_mask: float
-- (added) or int64 (nonzero = take part), broadcast to (..., L, S);
-- is_causal keeps key j <= query i.
function M.scaled_dot_product_attention(...)
  local a = parse("scaled_dot_product_attention", { "query", "key", "value", "attn_mask", "dropout_p",
    "is_causal", "scale" }, ...)
  local fname = "scaled_dot_product_attention"
  local q, k, v = a.query, a.key, a.value
  check_float(fname, "query", q)
  check_float(fname, "key", k)
  check_float(fname, "value", v)
  if q:dim() < 2 or k:dim() < 2 or v:dim() < 2 or q:size(-1) ~= k:size(-1) or k:size(-2) ~= v:size(-2) then
    raise(string.format("%s: query %s, key %s and value %s must be (..., L, E), (..., S, E) and (..., S, Ev)",
      fname, tostring(q.shape), tostring(k.shape), tostring(v.shape)))
  end
  local p = number_opt(fname, "dropout_p", a.dropout_p, 0, 0)
  local scale = number_opt(fname, "scale", a.scale, 1 / math.sqrt(q:size(-1)))
  local scores = q:matmul(k:transpose(-2, -1)) * scale
  local L, S = q:size(-2), k:size(-2)
  if a.is_causal then
    if a.attn_mask ~= nil then raise(fname .. ": give attn_mask or is_causal, not both") end
    local i = lucid.arange(1, L + 1):view(L, 1)
    local j = lucid.arange(1, S + 1):view(1, S)
    scores = scores + j:le(i):to(q.dtype):log()
  elseif a.attn_mask ~= nil then
    local ok, r = pcall(function() return scores + additive_mask(fname, "attn_mask", a.attn_mask, q.dtype, true) end)
    if not ok then
      raise(string.format("%s: attn_mask has shape %s, which does not broadcast to %s", fname,
        tostring(a.attn_mask.shape), tostring(scores.shape)))
    end
    scores = r
  end
  local w = scores:softmax(-1)
  if p > 0 then w = M.dropout(w, p, true) end
  return w:matmul(v)
end

-- The computation of nn.MultiheadAttention, inputs batch first (N, L, E):
-- a = {query, key, value, num_heads, in_proj_weight / q_proj_weight,
-- k_proj_weight, v_proj_weight, in_proj_bias, bias_k, bias_v,
-- add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
-- key_padding_mask, attn_mask, need_weights, average_attn_weights,
-- is_causal}. Returns the output (N, L, E) and the weights (or nil).
function M._multi_head_attention(fname, a)
  local q, k, v, H = a.query, a.key, a.value, a.num_heads
  local N, L, E, S = q:size(1), q:size(2), q:size(3), k:size(2)
  local D = E // H
  local wq, wk, wv, bq, bk, bv
  if a.in_proj_weight ~= nil then
    wq, wk, wv = a.in_proj_weight:narrow(1, 1, E), a.in_proj_weight:narrow(1, E + 1, E),
      a.in_proj_weight:narrow(1, 2 * E + 1, E)
  else
    wq, wk, wv = a.q_proj_weight, a.k_proj_weight, a.v_proj_weight
  end
  if a.in_proj_bias ~= nil then
    bq, bk, bv = a.in_proj_bias:narrow(1, 1, E), a.in_proj_bias:narrow(1, E + 1, E),
      a.in_proj_bias:narrow(1, 2 * E + 1, E)
  end
  q, k, v = M.linear(q, wq, bq), M.linear(k, wk, bk), M.linear(v, wv, bv)
  local dt = q.dtype
  -- the masks, as one additive (N or 1, 1 or H, L, S') float mask
  local mask
  if a.attn_mask ~= nil then
    local m = a.attn_mask
    if m:dim() == 2 and m:size(1) == L and m:size(2) == S then
      mask = additive_mask(fname, "attn_mask", m, dt, false):view(1, 1, L, S)
    elseif m:dim() == 3 and m:size(1) == N * H and m:size(2) == L and m:size(3) == S then
      mask = additive_mask(fname, "attn_mask", m, dt, false):view(N, H, L, S)
    else
      raise(string.format("%s: attn_mask has shape %s, expected (%d, %d) or (%d, %d, %d)", fname,
        tostring(m.shape), L, S, N * H, L, S))
    end
  elseif a.is_causal then
    local i, j = lucid.arange(1, L + 1):view(L, 1), lucid.arange(1, S + 1):view(1, S)
    mask = j:le(i):to(dt):log():view(1, 1, L, S)
  end
  if a.key_padding_mask ~= nil then
    local m = a.key_padding_mask
    check_tensor(fname, "key_padding_mask", m)
    if m:dim() ~= 2 or m:size(1) ~= N or m:size(2) ~= S then
      raise(string.format("%s: key_padding_mask has shape %s, expected (%d, %d)", fname, tostring(m.shape), N, S))
    end
    local km = additive_mask(fname, "key_padding_mask", m, dt, false):view(N, 1, 1, S)
    mask = mask and (mask + km) or km
  end
  -- extra key/value positions: learnt biases, then zeros (their mask columns attend)
  local function extend(kcol, vcol)
    k, v = lucid.cat({ k, kcol }, 2), lucid.cat({ v, vcol }, 2)
    if mask ~= nil then
      local shape = { mask:size(1), mask:size(2), mask:size(3), 1 }
      mask = lucid.cat({ mask, lucid.zeros(shape, { dtype = dt }) }, 4)
    end
  end
  if a.bias_k ~= nil then
    extend(a.bias_k:view(1, 1, E):expand(N, 1, E), a.bias_v:view(1, 1, E):expand(N, 1, E))
  end
  local function heads(t) return t:view(N, t:size(2), H, D):transpose(2, 3) end -- (N, H, len, D)
  q, k, v = heads(q), heads(k), heads(v)
  if a.add_zero_attn then
    k = lucid.cat({ k, lucid.zeros(N, H, 1, D, { dtype = dt }) }, 3)
    v = lucid.cat({ v, lucid.zeros(N, H, 1, D, { dtype = dt }) }, 3)
    if mask ~= nil then
      mask = lucid.cat({ mask, lucid.zeros(mask:size(1), mask:size(2), mask:size(3), 1, { dtype = dt }) }, 4)
    end
  end
  local scores = q:matmul(k:transpose(3, 4)) * (1 / math.sqrt(D))
  if mask ~= nil then scores = scores + mask end
  local w = scores:softmax(-1) -- (N, H, L, S')
  local wd = (a.dropout_p or 0) > 0 and M.dropout(w, a.dropout_p, true) or w
  local out = wd:matmul(v):transpose(2, 3):reshape(N, L, E)
  out = M.linear(out, a.out_proj_weight, a.out_proj_bias)
  if not a.need_weights then return out, nil end
  if a.average_attn_weights then w = w:mean(2) end
  return out, w
end

-- ---- activations ----------------------------------------------------------

-- An elementwise activation (a tensor method) under the public name fname;
-- with inplace, x itself takes the result (and is returned), as in PyTorch.
function M._activation(fname, method, x, inplace)
  check_tensor(fname, "input", x)
  local y = x[method](x)
  return inplace and x:copy_(y) or y
end

function M.relu(x, inplace) return M._activation("relu", "relu", x, inplace) end

function M.tanh(x) return M._activation("tanh", "tanh", x) end

function M.sigmoid(x) return M._activation("sigmoid", "sigmoid", x) end

-- The activations with parameters, each the tensor method of the op table
-- (core/ops_unary.c) under PyTorch's functional signature; inplace writes
-- the result into x and returns x.
local function activation(fname, method, names)
  local arg_names = { "input" }
  for i, n in ipairs(names) do arg_names[i + 1] = n end
  arg_names[#arg_names + 1] = "inplace"
  return function(...)
    local a = parse(fname, arg_names, ...)
    check_tensor(fname, "input", a.input)
    local params = {}
    for i, n in ipairs(names) do params[i] = a[n] end
    local y = a.input[method](a.input, table.unpack(params, 1, #names))
    return a.inplace and a.input:copy_(y) or y
  end
end

M.gelu = activation("gelu", "gelu", { "approximate" })
M.silu = activation("silu", "silu", {})
M.mish = activation("mish", "mish", {})
M.elu = activation("elu", "elu", { "alpha" })
M.selu = activation("selu", "selu", {})
M.celu = activation("celu", "celu", { "alpha" })
M.leaky_relu = activation("leaky_relu", "leaky_relu", { "negative_slope" })
M.softplus = activation("softplus", "softplus", { "beta", "threshold" })
M.hardtanh = activation("hardtanh", "hardtanh", { "min_val", "max_val" })
M.relu6 = activation("relu6", "relu6", {})
M.hardsigmoid = activation("hardsigmoid", "hardsigmoid", {})
M.hardswish = activation("hardswish", "hardswish", {})
M.logsigmoid = activation("logsigmoid", "logsigmoid", {})

-- prelu(input, weight): x where x > 0, else weight * x; weight (1) or (C)
-- broadcast along dim 2 (the channels) when input has more than one dim.
function M.prelu(...)
  local a = parse("prelu", { "input", "weight" }, ...)
  check_tensor("prelu", "input", a.input)
  check_tensor("prelu", "weight", a.weight)
  local x, w = a.input, a.weight
  if w:dim() ~= 1 then raise("prelu: weight must be 1-D, got shape " .. tostring(w.shape)) end
  local C = w:size(1)
  if C ~= 1 then
    if x:dim() < 2 or x:size(2) ~= C then
      raise(string.format("prelu: weight has %d parameters, expected 1 or the %s", C,
        x:dim() < 2 and "single channel of an input with fewer than 2 dims" or
        string.format("input's %d channels (dim 2)", x:size(2))))
    end
    local shape = { 1, C }
    for _ = 3, x:dim() do shape[#shape + 1] = 1 end
    w = w:view(shape)
  end
  return lucid.where(x:gt(0), x, w * x)
end

-- softmin(input, dim): softmax(-input, dim).
function M.softmin(...)
  local a = parse("softmin", { "input", "dim", "dtype" }, ...)
  check_tensor("softmin", "input", a.input)
  return M.softmax(-a.input, a.dim, a.dtype and { dtype = a.dtype } or nil)
end

-- glu(input, dim = -1): the first half along dim times the sigmoid of the second.
function M.glu(...)
  local a = parse("glu", { "input", "dim" }, ...)
  check_tensor("glu", "input", a.input)
  local x, dim = a.input, a.dim or -1
  if math.type(dim) ~= "integer" then raise("glu: dim must be an integer, got " .. tostring(dim)) end
  local n = x:dim() > 0 and x:size(dim) or 0
  if n % 2 ~= 0 then
    raise(string.format("glu: halving dim %d needs an even size, got %d", dim, n))
  end
  return x:narrow(dim, 1, n // 2) * x:narrow(dim, n // 2 + 1, n // 2):sigmoid()
end

-- PyTorch's choice when dim is omitted (deprecated there): the first dim
-- for 0-, 1- and 3-D input, else the second.
local function softmax_dim(x, dim)
  if dim ~= nil then return dim end
  local n = x:dim()
  return (n == 0 or n == 1 or n == 3) and 1 or 2
end
M._softmax_dim = softmax_dim

-- softmax(input [, dim, dtype]), log_softmax(...): along dim (1-based);
-- with dtype the input is converted first (PyTorch's way to compute a
-- float32 input's softmax in float64).
local function softmax_like(fname, method, a)
  local x = a.input
  check_tensor(fname, "input", x)
  if a.dtype ~= nil then
    local dt = a.dtype
    if dt == "float32" or dt == "float64" then dt = lucid[dt] end
    if dt ~= lucid.float32 and dt ~= lucid.float64 then
      raise(string.format("%s: dtype must be lucid.float32 or lucid.float64, got %s", fname, tostring(a.dtype)))
    end
    x = x:to(dt)
  end
  check_float(fname, "input", x)
  local dim = softmax_dim(x, a.dim)
  local n = math.max(x:dim(), 1)
  if math.type(dim) ~= "integer" or dim == 0 or dim > n or dim < -n then
    raise(string.format("%s: dim %s out of range for a %d-D input", fname, tostring(dim), x:dim()))
  end
  return x[method](x, dim)
end
M._softmax_like = softmax_like

function M.softmax(...)
  return softmax_like("softmax", "softmax", parse("softmax", { "input", "dim", "dtype" }, ...))
end

function M.log_softmax(...)
  return softmax_like("log_softmax", "log_softmax", parse("log_softmax", { "input", "dim", "dtype" }, ...))
end

-- one_hot(tensor [, num_classes = max]): int64 1-based class indices (each
-- in [1, num_classes]; 0 is an error) -> int64 (..., num_classes) with 1 at
-- position k for value k.
function M.one_hot(...)
  local a = parse("one_hot", { "tensor", "num_classes" }, ...)
  local t = a.tensor
  check_tensor("one_hot", "tensor", t)
  if t.dtype ~= lucid.int64 then
    raise(string.format("one_hot: tensor must be an int64 tensor of 1-based class indices, got %s", t.dtype.name))
  end
  local lo, hi = 1, 0
  if t:numel() > 0 then lo, hi = t:min():item(), t:max():item() end
  if lo < 1 then raise(string.format("one_hot: class values must be in [1, num_classes] (1-based), got %d", lo)) end
  local n = a.num_classes
  if n == nil or n == -1 then n = hi end
  if math.type(n) ~= "integer" or n < 1 then
    raise(string.format("one_hot: num_classes must be a positive integer, got %s", tostring(n)))
  end
  if t:numel() > 0 and (lo < 1 or hi > n) then
    raise(string.format("one_hot: class values must be in [1, %d] (1-based), got %d", n, lo < 1 and lo or hi))
  end
  return t:unsqueeze(-1):eq(lucid.arange(1, n + 1)):long()
end

-- normalize(input [, p = 2, dim = 2, eps = 1e-12]): input over max(||input||_p, eps) along dim.
function M.normalize(...)
  local a = parse("normalize", { "input", "p", "dim", "eps" }, ...)
  local x = a.input
  check_float("normalize", "input", x)
  local p = number_opt("normalize", "p", a.p, 2, 0)
  local eps = number_opt("normalize", "eps", a.eps, 1e-12, 0)
  local dim = a.dim or 2
  if x:dim() == 1 and a.dim == nil then dim = 1 end
  return x / pnorm(x, p, dim, true):clamp(eps)
end

-- cosine_similarity(x1, x2 [, dim = 2, eps = 1e-8]): x1.x2 / max(||x1|| ||x2||, eps) along dim.
function M.cosine_similarity(...)
  local a = parse("cosine_similarity", { "x1", "x2", "dim", "eps" }, ...)
  check_float("cosine_similarity", "x1", a.x1)
  check_float("cosine_similarity", "x2", a.x2)
  local eps = number_opt("cosine_similarity", "eps", a.eps, 1e-8, 0)
  local dim = a.dim or 2
  local ok, prod = pcall(function() return a.x1 * a.x2 end)
  if not ok then
    raise(string.format("cosine_similarity: x1 %s and x2 %s do not broadcast", tostring(a.x1.shape),
      tostring(a.x2.shape)))
  end
  local n1, n2 = (a.x1 * a.x1):sum(dim), (a.x2 * a.x2):sum(dim)
  return prod:sum(dim) / (n1 * n2):clamp(eps * eps):sqrt()
end

-- bilinear(input1, input2, weight [, bias]): y_k = input1^T weight_k input2
-- + bias_k; input1 (..., in1), input2 (..., in2), weight (out, in1, in2).
function M._bilinear(fname, a)
  local x1, x2, w = a.input1, a.input2, a.weight
  check_float(fname, "input1", x1)
  check_float(fname, "input2", x2)
  check_float(fname, "weight", w)
  opt_float(fname, "bias", a.bias)
  if w:dim() ~= 3 then
    raise(string.format("%s: weight must be (out, in1, in2), got shape %s", fname, tostring(w.shape)))
  end
  local o, i1, i2 = w:size(1), w:size(2), w:size(3)
  if x1:dim() == 0 or x1:size(-1) ~= i1 or x2:dim() == 0 or x2:size(-1) ~= i2 or x1:dim() ~= x2:dim() then
    raise(string.format("%s: inputs %s and %s do not fit weight %s", fname, tostring(x1.shape),
      tostring(x2.shape), tostring(w.shape)))
  end
  local lead = {}
  for d = 1, x1:dim() - 1 do
    if x1:size(d) ~= x2:size(d) then
      raise(string.format("%s: inputs %s and %s differ in their leading dims", fname, tostring(x1.shape),
        tostring(x2.shape)))
    end
    lead[d] = x1:size(d)
  end
  local a1, a2 = x1:reshape(-1, i1), x2:reshape(-1, i2)
  -- u[n, k, j] = sum_i a1[n, i] w[k, i, j]: one matrix product
  local u = a1:matmul(w:permute(2, 1, 3):reshape(i1, o * i2)):view(-1, o, i2)
  local y = (u * a2:unsqueeze(2)):sum(3)
  if a.bias ~= nil then y = y + a.bias end
  lead[#lead + 1] = o
  return y:view(lead)
end

-- ---- losses ---------------------------------------------------------------

-- mse_loss(input, target [, reduction]): mean of squared differences.
-- Shapes broadcast as in PyTorch (which warns when they differ).
function M.mse_loss(...)
  local a = parse("mse_loss", { "input", "target", "reduction" }, ...)
  return M._mse_loss("mse_loss", a.input, a.target, a.reduction)
end

function M._mse_loss(fname, input, target, reduction)
  check_float(fname, "input", input, 3)
  check_float(fname, "target", target, 3)
  reduction = check_reduction(fname, reduction, 3)
  local ok, d = pcall(function() return input - target end)
  if not ok then
    raise(string.format("%s: target has shape %s, which does not broadcast with input %s",
      fname, tostring(target.shape), tostring(input.shape)))
  end
  return reduce(d * d, reduction)
end

-- Class-index targets go to the C kernel, which owns the checks of shapes,
-- dtypes and values (its errors come back under fname); only what a Lua
-- value must be before it can be passed at all is checked here.
local function class_loss(kind, fname, a)
  check_tensor(fname, "input", a.input)
  check_tensor(fname, "target", a.target)
  if a.weight ~= nil then check_tensor(fname, "weight", a.weight) end
  local ii = a.ignore_index
  if ii == nil then ii = -100 end
  if math.type(ii) ~= "integer" then
    raise(string.format("%s: ignore_index must be an integer, got %s", fname, tostring(ii)))
  end
  local r = check_reduction(fname, a.reduction)
  local ls = a.label_smoothing or 0
  if type(ls) ~= "number" then
    raise(string.format("%s: label_smoothing must be a number in [0, 1], got %s", fname, tostring(ls)))
  end
  local x, t = a.input, a.target
  if kind == "cross_entropy" and t.dtype.is_floating_point then
    return M._cross_entropy_probs(fname, x, t, a.weight, r, ls)
  end
  return args.call(lucid._class_loss, kind, x, t, a.weight, ii, r, ls, fname)
end
M._class_loss = class_loss

-- Cross entropy against class probabilities (a float target shaped like
-- the input), as PyTorch 1.13: -sum_c w[c] t_c log_softmax(x)_c per sample;
-- 'mean' divides by the number of samples. Composed of differentiable ops,
-- so the target gets a gradient too; ignore_index does not apply.
function M._cross_entropy_probs(fname, x, t, weight, reduction, ls)
  check_float(fname, "input", x)
  if weight ~= nil then check_float(fname, "weight", weight) end
  if not (ls >= 0 and ls <= 1) then
    raise(string.format("%s: label_smoothing must be a number in [0, 1], got %s", fname, tostring(ls)))
  end
  if x:dim() == 0 then
    raise(string.format("%s: input must have a class dimension, got a 0-dim tensor", fname))
  end
  local cdim = x:dim() == 1 and 1 or 2
  if t.shape ~= x.shape then
    raise(string.format("%s: probability target has shape %s, expected the input's shape %s",
      fname, tostring(t.shape), tostring(x.shape)))
  end
  local C = x:size(cdim)
  if ls > 0 then t = t * (1 - ls) + ls / C end
  local prod = x:log_softmax(cdim) * t
  if weight ~= nil then
    if weight:dim() ~= 1 or weight:size(1) ~= C then
      raise(string.format("%s: weight has shape %s, expected (%d) for %d classes", fname,
        tostring(weight.shape), C, C))
    end
    local shape = {}
    for d = 1, x:dim() do shape[d] = d == cdim and C or 1 end
    prod = prod * weight:view(shape)
  end
  if reduction == "none" then return -prod:sum(cdim) end
  local total = -prod:sum()
  if reduction == "sum" then return total end
  return total / (x:numel() / C)
end

-- ---- elementwise and metric losses -------------------------------------------
-- Each is composed of differentiable tensor ops; M._<name>(fname, a) takes
-- the arguments by name, so the modules (nn/_Loss.lua) share the checks.

local function check_reduction_in(fname, r, allowed)
  if r == nil then return "mean" end
  for _, v in ipairs(allowed) do
    if r == v then return r end
  end
  local quoted = {}
  for i, v in ipairs(allowed) do quoted[i] = "'" .. v .. "'" end
  raise(string.format("%s: reduction must be %s, got %s", fname, table.concat(quoted, ", "),
    type(r) == "string" and ("'" .. r .. "'") or type(r)))
end

-- input and target: float tensors of one shape (PyTorch broadcasts them with
-- a warning; lucid asks for the shape it warns about).
local function same_shape(fname, a, b, an, bn)
  check_float(fname, an or "input", a)
  check_float(fname, bn or "target", b)
  if a.shape ~= b.shape then
    raise(string.format("%s: %s has shape %s, expected the %s's shape %s", fname, bn or "target",
      tostring(b.shape), an or "input", tostring(a.shape)))
  end
end


function M._l1_loss(fname, a)
  same_shape(fname, a.input, a.target)
  return reduce((a.input - a.target):abs(), check_reduction(fname, a.reduction))
end

function M._smooth_l1_loss(fname, a)
  same_shape(fname, a.input, a.target)
  local r = check_reduction(fname, a.reduction)
  local beta = number_opt(fname, "beta", a.beta, 1.0, 0)
  local d = (a.input - a.target):abs()
  if beta == 0 then return reduce(d, r) end
  return reduce(lucid.where(d:lt(beta), d * d * (0.5 / beta), d - 0.5 * beta), r)
end

function M._huber_loss(fname, a)
  same_shape(fname, a.input, a.target)
  local r = check_reduction(fname, a.reduction)
  local delta = number_opt(fname, "delta", a.delta, 1.0, 0)
  local d = (a.input - a.target):abs()
  return reduce(lucid.where(d:le(delta), d * d * 0.5, (d - 0.5 * delta) * delta), r)
end

-- -w (y log x + (1 - y) log(1 - x)), each log clamped at -100 (PyTorch's).
function M._binary_cross_entropy(fname, a)
  local x, y = a.input, a.target
  same_shape(fname, x, y)
  local r = check_reduction(fname, a.reduction)
  opt_float(fname, "weight", a.weight)
  if x:numel() > 0 and (x:min():item() < 0 or x:max():item() > 1) then
    raise(string.format("%s: input must hold probabilities in [0, 1]", fname))
  end
  local loss = -(y * x:log():clamp(-100) + (1 - y) * (1 - x):log():clamp(-100))
  if a.weight ~= nil then loss = loss * a.weight end
  return reduce(loss, r)
end

-- input holds log-probabilities; target probabilities (or log-probabilities
-- with log_target): target (log target - input), 0 where target is 0.
-- 'batchmean' divides the sum by the batch size (PyTorch's recommended
-- reduction; 'mean' averages over every element).
function M._kl_div(fname, a)
  same_shape(fname, a.input, a.target)
  local r = check_reduction_in(fname, a.reduction, { "none", "batchmean", "sum", "mean" })
  local x, t = a.input, a.target
  local loss
  if a.log_target then
    loss = t:exp() * (t - x)
  else
    loss = t * (t + t:eq(0)):log() - t * x -- xlogy(t, t): 0 log 0 = 0
  end
  if r == "batchmean" then
    local n = x:dim() > 0 and x:size(1) or 1
    return loss:sum() / n
  end
  return reduce(loss, r)
end

local HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

-- log_input: exp(x) - y x, else x - y log(x + eps); full adds Stirling's
-- y log y - y + 0.5 log(2 pi y) where y > 1.
function M._poisson_nll_loss(fname, a)
  local x, y = a.input, a.target
  same_shape(fname, x, y)
  local r = check_reduction(fname, a.reduction)
  local eps = number_opt(fname, "eps", a.eps, 1e-8, 0)
  local loss
  if a.log_input == false then loss = x - y * (x + eps):log() else loss = x:exp() - y * x end
  if a.full then
    local big = y:gt(1)
    local ys = lucid.where(big, y, 1) -- 1 where y <= 1, so the logs stay finite there
    loss = loss + big * (ys * ys:log() - ys + ys:log() * 0.5 + HALF_LOG_2PI)
  end
  return reduce(loss, r)
end

-- 0.5 (log var + (x - y)^2 / var) (+ 0.5 log 2 pi with full); var is
-- clamped at eps for the value only (PyTorch clamps without recording), and
-- may omit the last dim or have size 1 there.
function M._gaussian_nll_loss(fname, a)
  local x, y, var = a.input, a.target, a.var
  same_shape(fname, x, y)
  check_float(fname, "var", var)
  local r = check_reduction(fname, a.reduction)
  local eps = number_opt(fname, "eps", a.eps, 1e-6, 0)
  if var.shape ~= x.shape then
    if var:dim() == x:dim() - 1 and x:dim() > 0 then var = var:unsqueeze(-1) end
    local ok = var:dim() == x:dim()
    for d = 1, ok and x:dim() or 0 do
      ok = ok and (var:size(d) == x:size(d) or (d == x:dim() and var:size(d) == 1))
    end
    if not ok then
      raise(string.format("%s: var has shape %s, expected the input's shape %s or it without (or with size 1 in) the last dim",
        fname, tostring(a.var.shape), tostring(x.shape)))
    end
  end
  if var:numel() > 0 and var:min():item() < 0 then raise(string.format("%s: var has negative entries", fname)) end
  var = var + (var:clamp(eps) - var):detach()
  local d = x - y
  local loss = (var:log() + d * d / var) * 0.5
  if a.full then loss = loss + HALF_LOG_2PI end
  return reduce(loss, r)
end

-- target 1 or -1 per pair of rows: 1 - cos(x1, x2), or max(0, cos - margin).
-- cos over the last dim of (N, D) or (D) inputs, PyTorch's:
-- x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).
function M._cosine_embedding_loss(fname, a)
  local x1, x2, y = a.input1, a.input2, a.target
  same_shape(fname, x1, x2, "input1", "input2")
  check_tensor(fname, "target", y)
  local r = check_reduction(fname, a.reduction)
  local margin = number_opt(fname, "margin", a.margin, 0)
  if x1:dim() ~= 1 and x1:dim() ~= 2 then
    raise(string.format("%s: inputs must be (N, D) or (D), got shape %s", fname, tostring(x1.shape)))
  end
  local dim = x1:dim()
  local expect = dim == 2 and x1:size(1) or nil
  if (expect and (y:dim() ~= 1 or y:size(1) ~= expect)) or (not expect and y:dim() ~= 0) then
    raise(string.format("%s: target has shape %s, expected %s", fname, tostring(y.shape),
      expect and string.format("(%d)", expect) or "()"))
  end
  local prod = (x1 * x2):sum(dim)
  local cos = prod / (((x1 * x1):sum(dim) + 1e-12) * ((x2 * x2):sum(dim) + 1e-12)):sqrt()
  local yf = y:to(x1.dtype)
  local pos, neg = yf:eq(1), yf:eq(-1)
  return reduce(pos * (1 - cos) + neg * (cos - margin):relu(), r)
end

-- max(0, -target (input1 - input2) + margin), target 1 or -1.
function M._margin_ranking_loss(fname, a)
  local x1, x2, y = a.input1, a.input2, a.target
  same_shape(fname, x1, x2, "input1", "input2")
  check_float(fname, "target", y)
  if y.shape ~= x1.shape then
    raise(string.format("%s: target has shape %s, expected the inputs' shape %s", fname, tostring(y.shape),
      tostring(x1.shape)))
  end
  local r = check_reduction(fname, a.reduction)
  local margin = number_opt(fname, "margin", a.margin, 0)
  return reduce((-y * (x1 - x2) + margin):relu(), r)
end

-- pairwise_distance(x1, x2 [, p = 2, eps = 1e-6, keepdim = false]):
-- ||x1 - x2 + eps||_p over the last dim.
function M._pairwise_distance(fname, a)
  check_float(fname, "x1", a.x1)
  check_float(fname, "x2", a.x2)
  local p = number_opt(fname, "p", a.p, 2, 0)
  local eps = number_opt(fname, "eps", a.eps, 1e-6)
  local ok, d = pcall(function() return a.x1 - a.x2 + eps end)
  if not ok then
    raise(string.format("%s: x1 %s and x2 %s do not broadcast", fname, tostring(a.x1.shape), tostring(a.x2.shape)))
  end
  if d:dim() == 0 then d = d:view(1) end
  return pnorm(d, p, -1, a.keepdim or false)
end

-- max(d(a, p) - d(a, n) + margin, 0) with d = pairwise_distance; swap uses
-- min(d(a, n), d(p, n)).
function M._triplet_margin_loss(fname, a)
  local an, po, ne = a.anchor, a.positive, a.negative
  same_shape(fname, an, po, "anchor", "positive")
  same_shape(fname, an, ne, "anchor", "negative")
  local r = check_reduction(fname, a.reduction)
  local margin = number_opt(fname, "margin", a.margin, 1.0)
  local o = { p = number_opt(fname, "p", a.p, 2, 0), eps = number_opt(fname, "eps", a.eps, 1e-6) }
  local function dist(u, v) return M._pairwise_distance(fname, { x1 = u, x2 = v, p = o.p, eps = o.eps }) end
  local dp, dn = dist(an, po), dist(an, ne)
  if a.swap then
    local ds = dist(po, ne)
    dn = lucid.where(ds:lt(dn), ds, dn)
  end
  return reduce((dp - dn + margin):relu(), r)
end

-- log(sigmoid(x)) = -(max(-x, 0) + log(1 + exp(-|x|))), never overflowing.
local function log_sigmoid(x) return -((-x):relu() + (-x:abs()):exp():add(1):log()) end

-- -(y log sigmoid(x) + (1 - y) log sigmoid(-x)), weighted per class, averaged
-- over the classes (last dim) of each sample, then reduced.
function M._multilabel_soft_margin_loss(fname, a)
  local x, y = a.input, a.target
  same_shape(fname, x, y)
  opt_float(fname, "weight", a.weight)
  local r = check_reduction(fname, a.reduction)
  local loss = -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))
  if a.weight ~= nil then loss = loss * a.weight end
  local c = x:dim() > 0 and x:size(-1) or 1
  loss = x:dim() > 0 and loss:sum(-1) / c or loss
  return reduce(loss, r)
end

-- A lengths argument (an int64 tensor, a list of integers or one integer)
-- as an int64 tensor.
local function lengths(fname, name, v)
  if lucid.is_tensor(v) then return v:dim() == 0 and v:view(1) or v end
  if math.type(v) == "integer" then return lucid.tensor({ v }, { dtype = lucid.int64 }) end
  -- the list is read by lucid.tensor, which bounds its length (a Lua loop
  -- over #v would run as long as a lying __len says) and infers int64 only
  -- when every entry is an integer
  local ok, t = false, nil
  if type(v) == "table" then ok, t = pcall(lucid.tensor, v) end
  if ok and t:numel() == 0 then t = t:long() end
  if not ok or t.dtype ~= lucid.int64 or t:dim() ~= 1 then
    raise(string.format("%s: %s must be an int64 tensor or a list of integers, got %s", fname, name,
      not ok and type(v) or t:dim() ~= 1 and "a nested list" or "a list with non-integers"))
  end
  return t
end

-- log_probs (T, N, C) (or unbatched (T, C)), 1-based targets, blank
-- default 1; the fused C kernel over log-space alpha and beta.
function M._ctc_loss(fname, a)
  local lp, tg = a.log_probs, a.targets
  check_float(fname, "log_probs", lp)
  check_tensor(fname, "targets", tg)
  local r = check_reduction(fname, a.reduction)
  local blank = a.blank == nil and 1 or a.blank
  if math.type(blank) ~= "integer" then
    raise(string.format("%s: blank must be an integer, got %s", fname, tostring(blank)))
  end
  local il = lengths(fname, "input_lengths", a.input_lengths)
  local tl = lengths(fname, "target_lengths", a.target_lengths)
  local unbatched = lp:dim() == 2
  if unbatched then
    lp = lp:unsqueeze(2)
    tg = tg:dim() == 1 and tg:view(1, -1) or tg
  end
  local y = args.call(lucid._ctc_loss, fname, lp, tg, il, tl, blank, r, a.zero_infinity == true)
  if unbatched and r == "none" then y = y:squeeze(1) end
  return y
end

-- cross_entropy(input, target [, weight, ignore_index, reduction,
-- label_smoothing]): input logits (N, C), (C) or (N, C, d1..); target int64
-- 1-based class indices (N), () or (N, d1..) (fused log-softmax + NLL in C),
-- or class probabilities shaped like the input.
function M.cross_entropy(...)
  local a = parse("cross_entropy",
    { "input", "target", "weight", "ignore_index", "reduction", "label_smoothing" }, ...)
  return class_loss("cross_entropy", "cross_entropy", a)
end

-- nll_loss(input, target [, weight, ignore_index, reduction]): input holds
-- log-probabilities, shaped as for cross_entropy.
function M.nll_loss(...)
  local a = parse("nll_loss", { "input", "target", "weight", "ignore_index", "reduction" }, ...)
  return class_loss("nll_loss", "nll_loss", a)
end

-- binary_cross_entropy_with_logits(input, target [, weight, reduction,
-- pos_weight]): in the stable form max(x, 0) - x y + log(1 + exp(-|x|));
-- with pos_weight p: (1 - y) x + (1 + (p - 1) y) (log(1 + exp(-|x|)) + max(-x, 0)).
function M.binary_cross_entropy_with_logits(...)
  local a = parse("binary_cross_entropy_with_logits",
    { "input", "target", "weight", "reduction", "pos_weight" }, ...)
  return M._bce_with_logits("binary_cross_entropy_with_logits", a)
end

function M._bce_with_logits(fname, a)
  local x, y = a.input, a.target
  check_float(fname, "input", x)
  check_float(fname, "target", y)
  if x.shape ~= y.shape then
    raise(string.format("%s: target has shape %s, expected the input's shape %s", fname,
      tostring(y.shape), tostring(x.shape)))
  end
  local r = check_reduction(fname, a.reduction)
  for _, name in ipairs({ "weight", "pos_weight" }) do -- each broadcast over the input
    local w = a[name]
    if w ~= nil then
      check_float(fname, name, w)
      local fits = w:dim() <= x:dim()
      for d = 1, w:dim() do
        local ws, xs = w:size(-d), x:size(-d)
        fits = fits and (ws == xs or ws == 1)
      end
      if not fits then
        raise(string.format("%s: %s has shape %s, which does not broadcast to the input's shape %s",
          fname, name, tostring(w.shape), tostring(x.shape)))
      end
    end
  end
  local soft = (-x:abs()):exp():add(1):log() -- log(1 + exp(-|x|)), never overflows
  local loss
  if a.pos_weight ~= nil then
    local lw = (a.pos_weight - 1) * y + 1
    loss = (1 - y) * x + lw * (soft + (-x):relu())
  else
    loss = x:relu() - x * y + soft
  end
  if a.weight ~= nil then loss = loss * a.weight end
  return reduce(loss, r)
end

-- The public forms of the functions above written as M._<name>(fname, a):
-- arguments in PyTorch's positional order (minus the losses' deprecated
-- size_average and reduce), any trailing options table.
local PUBLIC = {
  dropout1d = { "input", "p", "training", "inplace" },
  embedding = { "input", "weight", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse" },
  embedding_bag = { "input", "weight", "offsets", "max_norm", "norm_type", "scale_grad_by_freq", "mode", "sparse", "per_sample_weights", "include_last_offset", "padding_idx" },
  group_norm = { "input", "num_groups", "weight", "bias", "eps" },
  batch_norm = { "input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps" },
  conv1d = { "input", "weight", "bias", "stride", "padding", "dilation", "groups" },
  conv_transpose1d = { "input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation" },
  max_pool1d = { "input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices" },
  avg_pool1d = { "input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad" },
  bilinear = { "input1", "input2", "weight", "bias" },
  pairwise_distance = { "x1", "x2", "p", "eps", "keepdim" },
  linear = { "input", "weight", "bias" },
  l1_loss = { "input", "target", "reduction" },
  smooth_l1_loss = { "input", "target", "reduction", "beta" },
  huber_loss = { "input", "target", "reduction", "delta" },
  binary_cross_entropy = { "input", "target", "weight", "reduction" },
  kl_div = { "input", "target", "reduction", "log_target" },
  poisson_nll_loss = { "input", "target", "log_input", "full", "eps", "reduction" },
  gaussian_nll_loss = { "input", "target", "var", "full", "eps", "reduction" },
  cosine_embedding_loss = { "input1", "input2", "target", "margin", "reduction" },
  margin_ranking_loss = { "input1", "input2", "target", "margin", "reduction" },
  triplet_margin_loss = { "anchor", "positive", "negative", "margin", "p", "eps", "swap", "reduction" },
  multilabel_soft_margin_loss = { "input", "target", "weight", "reduction" },
  ctc_loss = { "log_probs", "targets", "input_lengths", "target_lengths", "blank", "reduction", "zero_infinity" },
}
for name, names in pairs(PUBLIC) do
  M[name] = function(...) return M["_" .. name](name, parse(name, names, ...)) end
end

return M
