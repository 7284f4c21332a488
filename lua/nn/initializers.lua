-- nn.init: PyTorch's parameter initialisers. Each fills its tensor in place
-- without recording autograd history and returns it.
--   nn.init.uniform_(t, a, b)            nn.init.normal_(t, mean, std)
--   nn.init.constant_(t, v), zeros_, ones_, eye_
--   nn.init.xavier_uniform_(t, gain), xavier_normal_(t, gain)
--   nn.init.kaiming_uniform_(t, {a =, mode = 'fan_in', nonlinearity = 'leaky_relu'}), kaiming_normal_
--   nn.init.orthogonal_(t, gain), nn.init.calculate_gain(nonlinearity, param)
-- Fans follow PyTorch: fan_in = size(2) * receptive field, fan_out =
-- size(1) * receptive field, where the receptive field is the product of
-- dims 3 onward.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise

-- The options of nn.init.fname after its tensor: positional, trailing
-- options table or both, as everywhere (lucid.args).
local function options(fname, names, ...)
  return args.parse("nn.init." .. fname, names, 1, ...)
end

local M = {}

local function check(fname, t)
  if not lucid.is_tensor(t) then
    raise(string.format("nn.init.%s: tensor must be a tensor, got %s", fname, type(t)))
  end
  if not t.dtype.is_floating_point then
    raise(string.format("nn.init.%s: tensor must be float32 or float64", fname))
  end
end

local function number(fname, name, v, dflt)
  if v == nil then return dflt end
  if type(v) ~= "number" then
    raise(string.format("nn.init.%s: %s must be a number, got %s", fname, name, type(v)))
  end
  return v
end

function M.calculate_gain(nonlinearity, param)
  local linear = { linear = true, conv1d = true, conv2d = true, conv3d = true,
    conv_transpose1d = true, conv_transpose2d = true, conv_transpose3d = true, sigmoid = true }
  if linear[nonlinearity] then return 1 end
  if nonlinearity == "tanh" then return 5 / 3 end
  if nonlinearity == "relu" then return math.sqrt(2) end
  if nonlinearity == "selu" then return 3 / 4 end
  if nonlinearity == "leaky_relu" then
    local slope = param
    if slope == nil then slope = 0.01 end
    if type(slope) ~= "number" then
      raise(string.format("nn.init.calculate_gain: negative_slope %s is not a valid number", tostring(param)))
    end
    return math.sqrt(2 / (1 + slope * slope))
  end
  raise(string.format("nn.init.calculate_gain: unsupported nonlinearity %s", tostring(nonlinearity)))
end

function M._calculate_fans(t, fname)
  if t:dim() < 2 then
    raise(string.format("nn.init.%s: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions", fname))
  end
  local rf = 1
  for d = 3, t:dim() do rf = rf * t:size(d) end
  return t:size(2) * rf, t:size(1) * rf
end

function M.uniform_(t, ...)
  local o = options("uniform_", { "a", "b" }, ...)
  local a, b = o.a, o.b
  check("uniform_", t)
  a, b = number("uniform_", "a", a, 0), number("uniform_", "b", b, 1)
  if a > b then raise(string.format("nn.init.uniform_: a (%g) must not exceed b (%g)", a, b)) end
  return lucid.no_grad(function() return t:uniform_(a, b) end)
end

function M.normal_(t, ...)
  local o = options("normal_", { "mean", "std" }, ...)
  local mean, std = o.mean, o.std
  check("normal_", t)
  mean, std = number("normal_", "mean", mean, 0), number("normal_", "std", std, 1)
  if std < 0 then raise(string.format("nn.init.normal_: std must be non-negative, got %g", std)) end
  return lucid.no_grad(function() return t:normal_(mean, std) end)
end

function M.constant_(t, ...)
  check("constant_", t)
  local val = number("constant_", "val", options("constant_", { "val" }, ...).val, nil)
  if val == nil then raise("nn.init.constant_: val is required") end
  return lucid.no_grad(function() return t:fill_(val) end)
end

function M.zeros_(t)
  check("zeros_", t)
  return lucid.no_grad(function() return t:zero_() end)
end

function M.ones_(t)
  check("ones_", t)
  return lucid.no_grad(function() return t:fill_(1) end)
end

function M.eye_(t)
  check("eye_", t)
  if t:dim() ~= 2 then raise("nn.init.eye_: only 2-D tensors are supported") end
  return lucid.no_grad(function() return t:copy_(lucid.eye(t:size(1), t:size(2), { dtype = t.dtype })) end)
end

local function gain_of(fname, ...)
  return number(fname, "gain", options(fname, { "gain" }, ...).gain, 1)
end

function M.xavier_uniform_(t, ...)
  check("xavier_uniform_", t)
  local gain = gain_of("xavier_uniform_", ...)
  local fan_in, fan_out = M._calculate_fans(t, "xavier_uniform_")
  local bound = gain * math.sqrt(6 / (fan_in + fan_out))
  return lucid.no_grad(function() return t:uniform_(-bound, bound) end)
end

function M.xavier_normal_(t, ...)
  check("xavier_normal_", t)
  local gain = gain_of("xavier_normal_", ...)
  local fan_in, fan_out = M._calculate_fans(t, "xavier_normal_")
  local std = gain * math.sqrt(2 / (fan_in + fan_out))
  return lucid.no_grad(function() return t:normal_(0, std) end)
end

-- kaiming_*_(t [, a] [, {a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu'}])
local function kaiming_std(fname, t, ...)
  local a = options(fname, { "a", "mode", "nonlinearity" }, ...)
  local slope = number(fname, "a", a.a, 0)
  local mode = a.mode or "fan_in"
  if mode ~= "fan_in" and mode ~= "fan_out" then
    raise(string.format("nn.init.%s: mode must be 'fan_in' or 'fan_out', got %s", fname, tostring(mode)))
  end
  local fan_in, fan_out = M._calculate_fans(t, fname)
  local gain = M.calculate_gain(a.nonlinearity or "leaky_relu", slope)
  return gain / math.sqrt(mode == "fan_in" and fan_in or fan_out)
end

function M.kaiming_uniform_(t, ...)
  check("kaiming_uniform_", t)
  local bound = math.sqrt(3) * kaiming_std("kaiming_uniform_", t, ...)
  return lucid.no_grad(function() return t:uniform_(-bound, bound) end)
end

function M.kaiming_normal_(t, ...)
  check("kaiming_normal_", t)
  local std = kaiming_std("kaiming_normal_", t, ...)
  return lucid.no_grad(function() return t:normal_(0, std) end)
end

-- A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one,
-- by modified Gram-Schmidt in Lua (parameters are small); signs fixed so
-- that R's diagonal is positive, as PyTorch does.
function M.orthogonal_(t, ...)
  check("orthogonal_", t)
  local gain = gain_of("orthogonal_", ...)
  if t:dim() < 2 then raise("nn.init.orthogonal_: only tensors with 2 or more dimensions are supported") end
  local rows = t:size(1)
  local cols = t:numel() // rows
  local transposed = rows < cols
  local m, n = rows, cols
  if transposed then m, n = cols, rows end -- m >= n: orthonormal columns
  return lucid.no_grad(function()
    -- Gram-Schmidt on a Gaussian matrix, twice per column for accuracy: Q of
    -- its QR with a positive diagonal in R, the sign convention of PyTorch
    local a = lucid.randn(m, n, { dtype = lucid.float64 })
    local q = lucid.zeros(m, n, { dtype = lucid.float64 })
    for j = 1, n do
      local v = a:select(2, j)
      if j > 1 then
        local done = q:narrow(2, 1, j - 1)
        for _ = 1, 2 do v = v - done:matmul(done:t():matmul(v)) end
      end
      q:select(2, j):copy_(v / (v * v):sum():sqrt())
    end
    local out = transposed and q:t() or q
    return t:copy_((out * gain):reshape(t.shape))
  end)
end

return M
