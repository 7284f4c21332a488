-- The runner of tests/fixtures/ops.lua (made by tests/fixtures/gen/gen_ops.py):
-- each case of an area becomes one test calling lucid[op](inputs..., args...,
-- opts) and comparing every returned tensor with PyTorch's. The cases are in
-- lucid's terms already (1-based dims and indices).
local lucid = require("lucid")
local H = require("helpers")

local M = {}

local cases

-- The cases of one area ("sort", "scan", ...).
function M.cases(area)
  cases = cases or H.load_fixture("ops")
  local picked = {}
  for _, c in ipairs(cases) do
    if c.area == area then picked[#picked + 1] = c end
  end
  return picked
end

local function describe_case(c)
  local shapes = {}
  for i, x in ipairs(c.inputs) do shapes[i] = H.shape_str(x.shape) .. " " .. x.dtype end
  return string.format("%s of %s%s equals PyTorch's (%s)", c.op, table.concat(shapes, ", "),
    c.transpose and " seen transposed" or "", c.name)
end

-- A call pattern's entry: {input = k} is input k, a list of those a table
-- of inputs, anything else itself.
local function resolve(v, xs)
  if type(v) ~= "table" then return v end
  if v.input then return xs[v.input] end
  if v[1] and type(v[1]) == "table" and v[1].input then
    local list = {}
    for i, e in ipairs(v) do list[i] = xs[e.input] end
    return list
  end
  return v
end

-- A call pattern's arguments; an options table's values are resolved too.
local function resolve_call(call, xs)
  local args = {}
  for i, v in ipairs(call) do
    if type(v) == "table" and not v.input and not v[1] and not H.is_fixture(v) then
      local o = {}
      for k, e in pairs(v) do o[k] = resolve(e, xs) end
      args[i] = o
    else
      args[i] = resolve(v, xs)
    end
  end
  return args
end

function M.run(c)
  local xs, args = {}, {}
  for i, spec in ipairs(c.inputs) do
    local x = H.tensor_from_fixture(spec)
    if c.transpose and x:dim() >= 2 then x = x:transpose(-1, -2) end
    xs[i] = x
  end
  if c.call then
    args = resolve_call(c.call, xs)
  else
    for i, x in ipairs(xs) do args[i] = x end
    for _, a in ipairs(c.args) do args[#args + 1] = a end
    if c.opts then args[#args + 1] = c.opts end
  end
  local fn = lucid
  for part in c.op:gmatch("[^.]+") do fn = fn[part] end -- "linalg.solve"
  local r = table.pack(fn(table.unpack(args)))
  if r.n ~= #c.expected then
    error(string.format("%s returned %d values, expected %d", c.op, r.n, #c.expected))
  end
  for i, e in ipairs(c.expected) do
    if H.is_fixture(e) then
      H.assert_close(r[i], e, nil, nil, c.op .. " result " .. i)
    else -- an array table of tensors (unbind, tensor_split, broadcast_tensors)
      if type(r[i]) ~= "table" or #r[i] ~= #e then
        error(string.format("%s result %d: expected a table of %d tensors, got %s", c.op, i, #e,
          type(r[i]) == "table" and #r[i] .. " entries" or type(r[i])))
      end
      for k, ek in ipairs(e) do H.assert_close(r[i][k], ek, nil, nil, c.op .. " result " .. i .. "[" .. k .. "]") end
    end
  end
end

-- A gradient case (area "..._grad", made by gen_ops.py's add_grad): the
-- float inputs require grad, the result times the cotangent is summed and
-- backpropagated, and each float input's gradient is compared with PyTorch's.
function M.run_grad(c)
  local xs, leaves = {}, {}
  for i, spec in ipairs(c.inputs) do
    xs[i] = H.tensor_from_fixture(spec)
    if xs[i]:is_floating_point() then
      xs[i]:requires_grad_()
      leaves[#leaves + 1] = xs[i]
    end
  end
  local fn = lucid
  for part in c.op:gmatch("[^.]+") do fn = fn[part] end
  local out = fn(table.unpack(resolve_call(c.call, xs)))
  local loss = (out * H.tensor_from_fixture(c.cotangent)):sum()
  loss:backward()
  if #c.expected ~= #leaves then
    error(string.format("%s: %d gradients expected, %d inputs require grad", c.name, #c.expected, #leaves))
  end
  for i, e in ipairs(c.expected) do
    local got = leaves[i].grad or lucid.zeros_like(leaves[i])
    H.assert_close(got, e, nil, nil, c.op .. " gradient " .. i)
  end
end

local function each_case(area, it, label, run)
  local picked = M.cases(area)
  assert(#picked > 0, "no fixture cases for area " .. area)
  for _, c in ipairs(picked) do
    it(label(c), function() run(c) end)
  end
end

-- One test per case of the area, made by the caller's `it` (busted's
-- functions live in the spec file's environment, not in this module's).
function M.each(area, it) each_case(area, it, describe_case, M.run) end

-- One test per gradient case of the area.
function M.each_grad(area, it)
  each_case(area, it, function(c) return c.op .. " gradients equal PyTorch's (" .. c.name .. ")" end, M.run_grad)
end

return M
