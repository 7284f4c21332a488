-- lucid.optim.Optimizer: what every optimizer shares, as torch.optim.Optimizer
-- (PyTorch 1.13): parameter groups, per-parameter state, zero_grad,
-- state_dict / load_state_dict and add_param_group. Subclasses are made with
-- Optimizer:extend(name, spec) and supply `_update(group)`, which runs the C
-- update kernel on every parameter of the group that has a gradient.
--
-- Differences from PyTorch, chosen for Lua:
--  * opt.state[p] is keyed by the parameter tensor as given to the optimizer;
--    state "step" is a number, not a tensor.
--  * state_dict() returns copies of the state tensors (a snapshot that later
--    steps do not change); load_state_dict copies them again.
--  * A parameter listed twice in one group is an error (PyTorch only warns).
--  * Group options are checked like constructor options, also at each step.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = args.raise

local Optimizer = {}
Optimizer.__index = Optimizer
Optimizer.__name = "Optimizer"

local REQUIRED = setmetatable({}, { __tostring = function() return "<required parameter>" end })
Optimizer.required = REQUIRED

local is_tensor = lucid.is_tensor

local function typename(v)
  if is_tensor(v) then return "tensor" end
  return type(v)
end

local function fmt(v)
  if type(v) == "number" then
    if math.type(v) == "float" and v == math.floor(v) and v == v and math.abs(v) < 1e15 then
      return string.format("%.1f", v)
    end
    return tostring(v)
  end
  if type(v) == "table" and not is_tensor(v) then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = fmt(x) end
    return "(" .. table.concat(parts, ", ") .. ")"
  end
  return tostring(v)
end
Optimizer._fmt = fmt

local function copy_value(v)
  if type(v) == "table" and not is_tensor(v) then
    local c = {}
    for k, x in pairs(v) do c[k] = copy_value(x) end
    return c
  end
  return v
end

-- ---------------------------------------------------------------- classes

-- Optimizer:extend(name, spec) -> class. spec fields:
--   order    option names in PyTorch's positional order (after params)
--   defaults option -> default value, or Optimizer.required
--   types    option -> "number" | "boolean" | "betas"
--   ranges   {{option, what, lo [, hi [, hi_open]]}, ...}: PyTorch's
--            "Invalid <what>: v" checks, lo <= v (<= or < hi)
--   check    function(self, group) raising PyTorch's other errors for bad values
--   update   function(self, group) doing one step for the group
function Optimizer:extend(name, spec)
  if type(name) ~= "string" or type(spec) ~= "table" then
    raise(string.format("Optimizer:extend(name, spec) takes a class name and a spec table, got %s and %s",
      type(name), type(spec)))
  end
  local cls = {
    __name = name,
    _order = spec.order,
    _defaults = spec.defaults,
    _types = spec.types,
    _ranges = spec.ranges,
    _spec_check = spec.check,
    _update = spec.update,
  }
  cls.__index = cls
  cls.__tostring = Optimizer.__tostring
  setmetatable(cls, {
    __index = self,
    __call = function(c, ...) return c.new(c, ...) end,
    __tostring = function() return "lucid.optim." .. name end,
  })
  return args.check_methods(cls)
end

function Optimizer:_error(fmtstr, ...)
  raise(self.__name .. ": " .. string.format(fmtstr, ...))
end

-- The constructor's names for lucid.args: params, the options PyTorch takes
-- by position, then ("*") the keyword-only ones.
local function arg_names(cls)
  local names, listed = { "params" }, {}
  for _, o in ipairs(cls._order) do
    names[#names + 1] = o
    listed[o] = true
  end
  local rest = {}
  for o in pairs(cls._defaults) do
    if not listed[o] then rest[#rest + 1] = o end
  end
  table.sort(rest)
  names[#names + 1] = "*"
  for _, o in ipairs(rest) do names[#names + 1] = o end
  return names
end

-- Splits the constructor's arguments (the three forms of lucid.args:
-- Opt(params, lr, ...), Opt(params, {lr = ...}), Opt{params = ..., lr = ...})
-- into params and a table of the options given.
local function parse_args(cls, ...)
  local a = args.parse(cls.__name, arg_names(cls), 2, ...)
  local params = a.params
  a.params = nil
  return params, a
end

function Optimizer.new(cls, ...)
  if type(cls) ~= "table" or rawget(cls, "_defaults") == nil or not args.is_instance(cls, Optimizer) then
    raise("Optimizer.new(cls, ...): cls must be an optimizer class such as lucid.optim.SGD (or call SGD(...))")
  end
  local params, opts = parse_args(cls, ...)
  local self = setmetatable({}, cls)
  local defaults = {}
  for k, v in pairs(cls._defaults) do defaults[k] = v end
  for k, v in pairs(opts) do defaults[k] = copy_value(v) end
  self.defaults = defaults
  self.state = {}
  self.param_groups = {}
  self._keys = {} -- tensor key -> true, for parameters already in a group
  -- the defaults themselves must be valid (a required one may still be
  -- missing: every group must then give it)
  self:_check_types(defaults, "", true)
  self:_check(defaults)

  if is_tensor(params) then params = { params } end
  if type(params) ~= "table" then
    self:_error("params argument should be an array of tensors or of parameter groups, got %s",
      typename(params))
  end
  if next(params) == nil then self:_error("got an empty parameter list") end
  if #params == 0 then
    self:_error("params argument should be an array of tensors or of parameter groups, got a table without array items (pass model:parameters() for a module)")
  end
  if is_tensor(params[1]) then
    self:add_param_group({ params = params })
  else
    for i = 1, #params do
      if type(params[i]) ~= "table" or is_tensor(params[i]) then
        self:_error("params item %d should be a parameter group table, got %s", i, typename(params[i]))
      end
      self:add_param_group(params[i])
    end
  end
  return self
end

-- Checks the types of option values in t; `where` says which group.
function Optimizer:_check_types(t, where, allow_required)
  for key, kind in pairs(self._types) do
    local v = t[key]
    if v == REQUIRED and allow_required then
      -- checked when a group is added
    elseif kind == "betas" then
      if type(v) ~= "table" or is_tensor(v) or type(v[1]) ~= "number" or type(v[2]) ~= "number"
        or #v ~= 2 then
        self:_error("%s must be a table of two numbers, got %s%s", key,
          type(v) == "table" and fmt(v) or typename(v), where)
      end
    elseif type(v) ~= kind then
      self:_error("%s must be a %s, got %s%s", key, kind, typename(v), where)
    end
  end
end

-- Adds a group {params = tensor or array of tensors, <option> = value...};
-- options it does not give take the optimizer's defaults.
function Optimizer:add_param_group(group)
  if type(group) ~= "table" or is_tensor(group) then
    self:_error("add_param_group: param group must be a table, got %s", typename(group))
  end
  local index = #self.param_groups + 1
  local where = string.format(" (parameter group %d)", index)
  local params = group.params
  if is_tensor(params) then params = { params } end
  if type(params) ~= "table" then
    self:_error("parameter group %d: params must be a tensor or an array of tensors, got %s",
      index, typename(params))
  end
  local list, seen = {}, {}
  local n = #params
  if next(params) ~= nil and n == 0 then
    self:_error("parameter group %d: params must be an array of tensors", index)
  end
  for i = 1, n do
    local p = params[i]
    if not is_tensor(p) then
      self:_error("can only optimize tensors, but parameter %d of group %d is a %s", i, index, typename(p))
    end
    if not p.is_leaf then self:_error("can't optimize a non-leaf tensor (parameter %d of group %d)", i, index) end
    if p.dtype ~= lucid.float32 and p.dtype ~= lucid.float64 then
      self:_error("can only optimize float32 or float64 tensors, but parameter %d of group %d is %s",
        i, index, p.dtype.name)
    end
    local key = lucid._C.tensor_key(p)
    if seen[key] then
      self:_error("parameter %d of group %d appears more than once in the group", i, index)
    end
    if self._keys[key] then self:_error("some parameters appear in more than one parameter group") end
    seen[key] = true
    list[i] = p
  end
  local g = {}
  for k, v in pairs(group) do
    if k ~= "params" then g[k] = copy_value(v) end
  end
  for k, v in pairs(self.defaults) do
    if g[k] == nil then
      if v == REQUIRED then
        self:_error("parameter group didn't specify a value of required optimization parameter %s", k)
      end
      g[k] = copy_value(v)
    end
  end
  self:_check_types(g, where)
  self:_check(g, where)
  g.params = list
  for key in pairs(seen) do self._keys[key] = true end
  self.param_groups[index] = g
end

-- ---------------------------------------------------------------- stepping

-- opt:step([closure]): one update of every parameter with a gradient. The
-- closure, if given, re-evaluates the model (with grad mode on) and returns
-- the loss, which step returns.
function Optimizer:step(closure)
  local loss
  if closure ~= nil then
    if type(closure) ~= "function" then
      self:_error("step: closure must be a function, got %s", typename(closure))
    end
    loss = lucid.enable_grad(closure)
  end
  for i, group in ipairs(self.param_groups) do
    local where = string.format(" (parameter group %d)", i)
    self:_check_types(group, where)
    self:_check(group, where)
    self:_update(group)
  end
  return loss
end

-- The gradient of p ready for a kernel (contiguous, p's dtype), or nil.
function Optimizer:_grad_of(p)
  local g = p.grad
  if g == nil then return nil end
  if g.dtype ~= p.dtype then
    self:_error("a parameter of dtype %s has a gradient of dtype %s",
      p.dtype.name, g.dtype.name)
  end
  if not g:is_contiguous() then g = g:contiguous() end
  return g
end

-- Runs kernel(a), a lucid._C update kernel and its named arguments, with
-- a.param replaced by a contiguous tensor holding its values, written back to
-- the parameter afterwards, when the parameter itself is not contiguous.
function Optimizer._on_contiguous(kernel, a)
  local p = a.param
  if p:is_contiguous() then return kernel(a) end
  a.param = p:contiguous()
  local r = kernel(a)
  lucid.no_grad(function() p:copy_(a.param) end)
  return r
end

-- The state of p, made on its first step: `step = 0` and a zero tensor
-- shaped like p for each name in tensors (a value in `init` replaces zero).
function Optimizer:_state_of(p, tensors, init)
  local st = self.state[p]
  if st == nil or st.step == nil then
    st = { step = 0 }
    for _, name in ipairs(tensors) do
      local t = Optimizer._zeros_like(p)
      if init and init[name] then t:fill_(init[name]) end
      st[name] = t
    end
    self.state[p] = st
  end
  return st
end

-- The class's checks of a group's values: its ranges ("Invalid <what>: v"
-- unless lo <= v, and v <= hi or v < hi with hi_open), then its own check.
function Optimizer:_check(g, where)
  for _, r in ipairs(self._ranges or {}) do
    local key, what, lo, hi, hi_open = r[1], r[2], r[3], r[4], r[5]
    local v = g[key]
    if v ~= REQUIRED then
      local ok = v >= lo and (hi == nil or (hi_open and v < hi) or (not hi_open and v <= hi))
      if not ok then self:_error("Invalid %s: %s%s", what, fmt(v), where or "") end
    end
  end
  if self._spec_check then self:_spec_check(g, where) end
end

-- for p, g in self:_with_grads(group): the group's parameters that have a
-- gradient, with the gradient ready for a kernel.
function Optimizer:_with_grads(group)
  local i, params = 0, group.params
  return function()
    while true do
      i = i + 1
      local p = params[i]
      if p == nil then return nil end
      local g = self:_grad_of(p)
      if g ~= nil then return p, g end
    end
  end
end

-- A new state tensor of zeros shaped like p.
function Optimizer._zeros_like(p) return lucid.zeros(p.shape, { dtype = p.dtype }) end

-- opt:zero_grad([set_to_none]) or opt:zero_grad{set_to_none = }: zeroes the
-- gradients in place, PyTorch 1.13's default; set_to_none drops them instead.
function Optimizer:zero_grad(...)
  local set_to_none = args.parse(self.__name .. ": zero_grad", { "set_to_none" }, 1, ...).set_to_none
  if set_to_none ~= nil and type(set_to_none) ~= "boolean" then
    self:_error("zero_grad: set_to_none must be a boolean, got %s", typename(set_to_none))
  end
  for _, group in ipairs(self.param_groups) do
    for _, p in ipairs(group.params) do
      local g = p.grad
      if g ~= nil then
        if set_to_none then
          p.grad = nil
        else
          if g.grad_fn ~= nil then
            g = g:detach()
            p.grad = g
          elseif g.requires_grad then
            g.requires_grad = false
          end
          lucid.no_grad(function() g:zero_() end)
        end
      end
    end
  end
end

-- ---------------------------------------------------------------- state dicts

-- A copy of a parameter's state: its tensors through clone(v, key), also
-- inside arrays (LBFGS keeps arrays of history vectors).
local function copy_state(st, clone)
  local c = {}
  for k, v in pairs(st) do
    if is_tensor(v) then
      c[k] = clone(v, k)
    elseif type(v) == "table" then
      c[k] = copy_state(v, function(t) return clone(t, nil) end)
    else
      c[k] = v
    end
  end
  return c
end

-- {state = {[i] = {...}}, param_groups = {{<options>, params = {i, ...}}}}
-- with parameters numbered 1, 2, ... across the groups in order.
function Optimizer:state_dict()
  local state, groups, index = {}, {}, 0
  local function clone(t) return t:detach():clone() end
  for gi, group in ipairs(self.param_groups) do
    local g = {}
    for k, v in pairs(group) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    local ids = {}
    for i, p in ipairs(group.params) do
      index = index + 1
      ids[i] = index
      local st = self.state[p]
      if st ~= nil and next(st) ~= nil then state[index] = copy_state(st, clone) end
    end
    g.params = ids
    groups[gi] = g
  end
  return { state = state, param_groups = groups }
end


-- Restores options and state saved by state_dict() into this optimizer, whose
-- groups must have the same sizes. State tensors are copied (converted to
-- their parameter's dtype), so training resumes exactly.
function Optimizer:load_state_dict(sd)
  local name = "load_state_dict"
  if type(sd) ~= "table" or type(sd.param_groups) ~= "table" or type(sd.state) ~= "table" then
    self:_error("%s: expected a table with fields state and param_groups, got %s", name,
      type(sd) == "table" and "a table without them" or typename(sd))
  end
  local groups, saved = self.param_groups, sd.param_groups
  if #groups ~= #saved then
    self:_error("%s: loaded state dict has a different number of parameter groups (%d, expected %d)",
      name, #saved, #groups)
  end
  local id_map = {}
  for gi, sg in ipairs(saved) do
    if type(sg) ~= "table" or type(sg.params) ~= "table" then
      self:_error("%s: parameter group %d has no params list", name, gi)
    end
    if #sg.params ~= #groups[gi].params then
      self:_error("%s: loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group %d: %d parameters, expected %d)",
        name, gi, #sg.params, #groups[gi].params)
    end
    for i, id in ipairs(sg.params) do id_map[id] = groups[gi].params[i] end
  end
  -- new groups: the saved options with this optimizer's parameters
  local new_groups = {}
  for gi, sg in ipairs(saved) do
    local g = {}
    for k, v in pairs(sg) do
      if k ~= "params" then g[k] = copy_value(v) end
    end
    -- options the saved group lacks (an older optimizer) keep their values
    for k, v in pairs(groups[gi]) do
      if g[k] == nil and k ~= "params" then g[k] = copy_value(v) end
    end
    local where = string.format(" (%s, parameter group %d)", name, gi)
    self:_check_types(g, where)
    self:_check(g, where)
    g.params = groups[gi].params
    new_groups[gi] = g
  end
  local new_state = {}
  for k, st in pairs(sd.state) do
    local id = tonumber(k)
    local p = id and (id_map[id] or id_map[math.tointeger(id)] or id_map[tostring(k)]) or id_map[k]
    if p == nil then
      self:_error("%s: state has an entry for parameter %s, which no parameter group lists", name, tostring(k))
    end
    if type(st) ~= "table" or is_tensor(st) then
      self:_error("%s: state of parameter %s must be a table, got %s", name, tostring(k), typename(st))
    end
    new_state[p] = copy_state(st, function(v, key)
      if key == "step" then return v end
      -- state shaped like p, except an optimizer's own flat vectors (LBFGS)
      if not self._flat_state and v.shape ~= p.shape then
        self:_error("%s: state of parameter %s has a tensor of shape %s but the parameter has shape %s",
          name, tostring(k), tostring(v.shape), tostring(p.shape))
      end
      return v:detach():to(p.dtype):clone() -- a copy of its own, contiguous
    end)
    local step = new_state[p].step
    if step ~= nil then
      local s = type(step) == "number" and math.tointeger(step) or nil
      if s == nil and is_tensor(step) and step:numel() == 1 then s = math.tointeger(step:item()) end
      if s == nil or s < 0 then
        self:_error("%s: state of parameter %s has step %s, expected a non-negative integer",
          name, tostring(k), tostring(step))
      end
      new_state[p].step = s
    end
  end
  self.param_groups = new_groups
  self.state = new_state
end

-- PyTorch's repr: the options of each group.
function Optimizer:__tostring()
  local lines = { self.__name .. " (" }
  for i, group in ipairs(self.param_groups) do
    lines[#lines + 1] = "Parameter Group " .. i
    local keys = {}
    for k in pairs(group) do
      if k ~= "params" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do lines[#lines + 1] = "    " .. k .. ": " .. fmt(group[k]) end
  end
  lines[#lines + 1] = ")"
  return table.concat(lines, "\n")
end

args.check_methods(Optimizer)

return Optimizer
