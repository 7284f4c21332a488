-- gradcheck(fn, inputs [, opts]): compares autograd's gradients of fn with
-- central finite differences in float64. The outputs are reduced with fixed
-- random weights, so one backward checks the whole Jacobian-vector product;
-- every input element is perturbed. Returns true or raises with the worst
-- mismatch.
local core = require("lucid.core")
local args = require("lucid.args")
local raise = args.raise

local function outputs_of(fn, inputs)
  local r = table.pack(fn(table.unpack(inputs)))
  local outs = {}
  for i = 1, r.n do
    if core.is_tensor(r[i]) then outs[#outs + 1] = r[i] end
  end
  return outs
end

local function weighted_sum(outs, weights)
  local total = 0
  for i, o in ipairs(outs) do total = total + (o:double() * weights[i]):sum():item() end
  return total
end

local function check_args(fn, inputs, opts)
  if not args.is_callable(fn) then
    raise(string.format("gradcheck: fn must be a function, got %s", type(fn)))
  end
  if type(inputs) ~= "table" then
    raise(string.format("gradcheck: inputs must be a tensor or a list of tensors, got %s", type(inputs)))
  end
  for _, k in ipairs({ "eps", "atol", "rtol" }) do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or not (v >= 0)) then
      raise(string.format("gradcheck: %s must be a non-negative number, got %s", k, tostring(v)))
    end
  end
end

-- gradcheck(fn, inputs [, {eps =, atol =, rtol =}]): the options are
-- keyword-only, as in PyTorch; inputs (position 2) may be a list.
return function(...)
  local opts = args.parse("gradcheck", { "fn", "inputs", "*", "eps", "atol", "rtol" }, 3, ...)
  local fn, inputs = opts.fn, opts.inputs
  if core.is_tensor(inputs) then inputs = { inputs } end
  check_args(fn, inputs, opts)
  local eps, atol, rtol = opts.eps or 1e-6, opts.atol or 1e-5, opts.rtol or 1e-3
  for i, x in ipairs(inputs) do
    if core.is_tensor(x) and x.requires_grad and x.dtype ~= core.float64 then
      raise(string.format("gradcheck: input %d is %s; gradcheck needs float64 inputs", i, x.dtype.name))
    end
  end
  local outs = outputs_of(fn, inputs)
  if #outs == 0 then raise("gradcheck: fn returned no tensors") end
  local weights = {}
  for i, o in ipairs(outs) do weights[i] = core.randn(o.shape, { dtype = core.float64 }) end

  local loss = core.tensor(0.0, { dtype = core.float64 })
  for i, o in ipairs(outs) do
    if o.requires_grad then loss = loss + (o:double() * weights[i]):sum() end
  end
  local wrt = {}
  for _, x in ipairs(inputs) do
    if core.is_tensor(x) and x.requires_grad then wrt[#wrt + 1] = x end
  end
  if #wrt == 0 then raise("gradcheck: no input requires grad") end
  local analytic = core.autograd.grad(loss, wrt, nil, { allow_unused = true })

  local worst, where = -1, nil
  for k, x in ipairs(wrt) do
    local flat = x:detach():view(-1)
    local a = analytic[k] and analytic[k]:contiguous():view(-1)
    for j = 1, flat:size(1) do
      local orig = flat[j]:item()
      flat[j] = orig + eps
      local plus = core.no_grad(function() return weighted_sum(outputs_of(fn, inputs), weights) end)
      flat[j] = orig - eps
      local minus = core.no_grad(function() return weighted_sum(outputs_of(fn, inputs), weights) end)
      flat[j] = orig
      local numeric = (plus - minus) / (2 * eps)
      local got = a and a[j]:item() or 0
      local err = math.abs(got - numeric) - (atol + rtol * math.abs(numeric))
      if err > worst then worst, where = err, { k, j, got, numeric } end
    end
  end
  if worst > 0 then
    raise(string.format("gradcheck: gradient mismatch for input %d, element %d: autograd %.10g, "
      .. "finite difference %.10g", where[1], where[2], where[3], where[4]))
  end
  return true
end
