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

-- ---- layers ---------------------------------------------------------------

-- linear(input, weight [, bias]): input W^T + b.
function M.linear(...)
  local a = parse("linear", { "input", "weight", "bias" }, ...)
  check_float("linear", "input", a.input)
  check_float("linear", "weight", a.weight)
  if a.weight:dim() ~= 2 then
    raise(string.format("linear: weight must be 2-dimensional, got shape %s", tostring(a.weight.shape)))
  end
  if a.input:dim() == 0 or a.input:size(-1) ~= a.weight:size(2) then
    raise(string.format("linear: input has %d features, expected %d (weight has shape %s)",
      a.input:dim() == 0 and 0 or a.input:size(-1), a.weight:size(2), tostring(a.weight.shape)))
  end
  local y = a.input:matmul(a.weight:t())
  if a.bias ~= nil then
    check_float("linear", "bias", a.bias)
    y = y + a.bias
  end
  return y
end

-- dropout(x, p = 0.5, training = true): inverted dropout. Each element is
-- zeroed with probability p and the kept ones scaled by 1/(1-p), so the
-- expectation is unchanged; identity when not training or p == 0. With
-- inplace, x itself takes the result (and is returned), as in PyTorch.
function M.dropout(...)
  local a = parse("dropout", { "input", "p", "training", "inplace" }, ...)
  local x, p, training = a.input, a.p, a.training
  if p == nil then p = 0.5 end
  if training == nil then training = true end
  check_tensor("dropout", "input", x)
  if type(p) ~= "number" or not (p >= 0 and p <= 1) then
    raise(string.format("dropout: p must be a number in [0, 1], got %s", tostring(p)))
  end
  if type(training) ~= "boolean" then
    raise(string.format("dropout: training must be a boolean, got %s", type(training)))
  end
  if not training or p == 0 then return x end
  local y = p == 1 and x * 0 or x * lucid.rand(x.shape, { dtype = x.dtype }):lt(1 - p) * (1 / (1 - p))
  return a.inplace and x:copy_(y) or y
end

-- embedding(input, weight [, padding_idx]): rows of weight (V, D) at the
-- 1-based int64 indices of input (any shape) -> (..., D). The padding_idx
-- row (1-based, negative from the end) receives no gradient.
function M.embedding(...)
  local a = parse("embedding", { "input", "weight", "padding_idx" }, ...)
  check_tensor("embedding", "input", a.input)
  check_float("embedding", "weight", a.weight)
  if a.weight:dim() ~= 2 then
    raise(string.format("embedding: weight must be 2-dimensional, got shape %s", tostring(a.weight.shape)))
  end
  local pad = a.padding_idx
  if pad ~= nil then
    local v = a.weight:size(1)
    if math.type(pad) ~= "integer" or pad == 0 or pad > v or pad < -v then
      raise(string.format("embedding: padding_idx must be an integer in [1, %d] or [-%d, -1], got %s",
        v, v, tostring(pad)))
    end
    if pad < 0 then pad = pad + v + 1 end
  end
  return args.call(lucid._embedding, a.weight, a.input, pad)
end

-- ---- activations ----------------------------------------------------------

function M.relu(x, inplace)
  check_tensor("relu", "input", x)
  return inplace and x:copy_(x:relu()) or x:relu()
end

function M.tanh(x)
  check_tensor("tanh", "input", x)
  return x:tanh()
end

function M.sigmoid(x)
  check_tensor("sigmoid", "input", x)
  return x:sigmoid()
end

-- PyTorch's choice when dim is omitted (deprecated there): the first dim
-- for 0-, 1- and 3-D input, else the second.
local function softmax_dim(x, dim)
  if dim ~= nil then return dim end
  local n = x:dim()
  return (n == 0 or n == 1 or n == 3) and 1 or 2
end
M._softmax_dim = softmax_dim

function M.softmax(...)
  local a = parse("softmax", { "input", "dim" }, ...)
  check_float("softmax", "input", a.input)
  return a.input:softmax(softmax_dim(a.input, a.dim))
end

function M.log_softmax(...)
  local a = parse("log_softmax", { "input", "dim" }, ...)
  check_float("log_softmax", "input", a.input)
  return a.input:log_softmax(softmax_dim(a.input, a.dim))
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

local function class_loss(kind, fname, a)
  check_float(fname, "input", a.input)
  check_tensor(fname, "target", a.target)
  if a.weight ~= nil then check_float(fname, "weight", a.weight) end
  local ii = a.ignore_index
  if ii == nil then ii = -100 end
  if math.type(ii) ~= "integer" then
    raise(string.format("%s: ignore_index must be an integer, got %s", fname, tostring(ii)))
  end
  local r = check_reduction(fname, a.reduction)
  local ls = a.label_smoothing or 0
  if type(ls) ~= "number" or not (ls >= 0 and ls <= 1) then
    raise(string.format("%s: label_smoothing must be a number in [0, 1], got %s", fname, tostring(ls)))
  end
  local x, t = a.input, a.target
  if x:dim() == 0 then
    raise(string.format("%s: input must have a class dimension, got a 0-dim tensor", fname))
  end
  local cdim = x:dim() == 1 and 1 or 2
  if kind == "cross_entropy" and t.dtype.is_floating_point then
    return M._cross_entropy_probs(fname, x, t, a.weight, r, ls, cdim)
  end
  local expect = {}
  for d = 1, x:dim() do
    if d ~= cdim then expect[#expect + 1] = x:size(d) end
  end
  local same = t:dim() == #expect
  for d = 1, #expect do same = same and t:size(d) == expect[d] end
  if not same then
    raise(string.format("%s: target has shape %s, expected (%s) for input %s", fname,
      tostring(t.shape), table.concat(expect, ", "), tostring(x.shape)))
  end
  if a.weight ~= nil and (a.weight:dim() ~= 1 or a.weight:size(1) ~= x:size(cdim)) then
    raise(string.format("%s: weight has shape %s, expected (%d) for %d classes", fname,
      tostring(a.weight.shape), x:size(cdim), x:size(cdim)))
  end
  -- the C checks targets against the class count
  return args.call(lucid._class_loss, kind, x, t, a.weight, ii, r, ls, fname)
end
M._class_loss = class_loss

-- Cross entropy against class probabilities (a float target shaped like
-- the input), as PyTorch 1.13: -sum_c w[c] t_c log_softmax(x)_c per sample;
-- 'mean' divides by the number of samples. Composed of differentiable ops,
-- so the target gets a gradient too; ignore_index does not apply.
function M._cross_entropy_probs(fname, x, t, weight, reduction, ls, cdim)
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

return M
