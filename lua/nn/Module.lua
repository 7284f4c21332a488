-- nn.Module: the base of every module, and the small class system they use.
--
--   local Linear = Module:extend("Linear", {
--     { "in_features", "integer", min = 1 },
--     { "out_features", "integer", min = 1 },
--     { "bias", "boolean", default = true },
--     { "dtype", "dtype" },
--   })
--   function Linear:init(args) ... end       -- args: checked, defaults filled
--   function Linear:forward(x) ... end
--   function Linear:extra_repr() ... end
--
-- A class is callable: Linear(3, 4), Linear(3, 4, {bias = false}) and
-- Linear{in_features = 3, out_features = 4} all reach init with the same args.
local lucid = require("lucid")
local args = require("lucid.args")
local raise = require("lucid.args").raise
local check_methods = args.check_methods

local Module = {}
Module.__name = "Module"
Module.__args = {}

-- ---- arguments ------------------------------------------------------------

local function type_ok(kind, v)
  if kind == "integer" then return math.type(v) == "integer" end
  if kind == "number" then return type(v) == "number" end
  if kind == "boolean" then return type(v) == "boolean" end
  if kind == "string" then return type(v) == "string" end
  if kind == "table" then return type(v) == "table" end
  if kind == "dtype" then
    return v == lucid.float32 or v == lucid.float64 or v == "float32" or v == "float64"
  end
  if kind == "device" then return v == "cpu" end
  if kind == "any" then return true end
  error("Module: unknown argument kind " .. tostring(kind))
end

local function describe(v)
  if type(v) == "string" then return string.format("'%s'", v) end
  if type(v) == "table" and v.name then return tostring(v) end
  return math.type(v) or type(v)
end

local function check_arg(cls, spec, v)
  local name, kind = spec[1], spec[2]
  if v == nil then
    if spec.required ~= false and spec.default == nil and not spec.optional then
      raise(string.format("%s: missing argument '%s'", cls.__name, name))
    end
    return spec.default
  end
  if kind == "device" and v ~= "cpu" then
    raise(string.format("%s: device %s is unavailable: lucid runs on the CPU ('cpu')",
      cls.__name, describe(v)))
  end
  if not type_ok(kind, v) then
    local want = kind == "dtype" and "lucid.float32 or lucid.float64" or ((kind:match("^[aeiou]") and "an " or "a ") .. kind)
    raise(string.format("%s: %s must be %s, got %s", cls.__name, name, want, describe(v)))
  end
  if spec.choices then
    local ok = false
    for _, c in ipairs(spec.choices) do ok = ok or c == v end
    if not ok then
      local quoted = {}
      for _, c in ipairs(spec.choices) do quoted[#quoted + 1] = "'" .. tostring(c) .. "'" end
      raise(string.format("%s: %s must be %s, got %s", cls.__name, name,
        table.concat(quoted, " or "), describe(v)))
    end
  end
  -- A range spec: min (closed), and max (closed) or below (open); NaN is
  -- outside every range. finite: no range, but not NaN or an infinity.
  local ranged = spec.min or spec.max or spec.below
  if ranged and (v ~= v or spec.min and v < spec.min or spec.max and v > spec.max
      or spec.below and v >= spec.below) then
    local hi = spec.max and tostring(spec.max) .. "]" or spec.below and tostring(spec.below) .. ")"
    local range = hi and string.format("in [%s, %s", tostring(spec.min), hi)
      or string.format("at least %s", tostring(spec.min))
    raise(string.format("%s: %s must be %s, got %s", cls.__name, name, range, tostring(v)))
  end
  if spec.finite and (v ~= v or v == math.huge or v == -math.huge) then
    raise(string.format("%s: %s must be a finite number, got %s", cls.__name, name, tostring(v)))
  end
  if kind == "dtype" and type(v) == "string" then return lucid[v] end
  return v
end

-- The three call forms, reduced to one table of checked arguments. A plain
-- table can be a positional value only where a spec takes a table.
local function parse_args(cls, ...)
  local specs = cls.__args
  local names, plain = {}, 1
  for i, spec in ipairs(specs) do
    names[i] = spec[1]
    if spec[2] == "table" or spec[2] == "any" then plain = i + 1 end
  end
  local raw = args.parse(cls.__name, names, plain, ...)
  local checked = {}
  for _, spec in ipairs(specs) do checked[spec[1]] = check_arg(cls, spec, raw[spec[1]]) end
  return checked
end

-- ---- classes --------------------------------------------------------------

local function construct(cls, ...)
  local self = setmetatable({}, cls)
  rawset(self, "_parameters", {})
  rawset(self, "_buffers", {})
  rawset(self, "_modules", {})
  rawset(self, "_order", { parameters = {}, buffers = {}, modules = {} })
  rawset(self, "_kind", {}) -- registered name -> "_parameters", "_buffers" or "_modules"
  rawset(self, "training", true)
  if cls.__positional then
    self:init(...) -- a class made without an argument list takes init's own arguments
  else
    self:init(parse_args(cls, ...))
  end
  return self
end

-- Instances are called like functions; classes are called to construct.
-- Hooks (below) run around forward when the module has any.
local run_hooked

local function call_forward(self, ...)
  if rawget(self, "_hooks") == nil then return self:forward(...) end
  return run_hooked(self, ...)
end

local function tostring_module(self) return self:__repr("") end

-- A module instance (as opposed to a class or any other table).
function Module.is_module(v)
  return type(v) == "table" and rawget(v, "_modules") ~= nil
end

-- Registered members live in _parameters, _buffers and _modules, not as raw
-- fields, so that reading self.weight finds them and assigning to a field
-- works as PyTorch's __setattr__: a module assigned to a new name becomes a
-- child (self.fc = nn.Linear(2, 3) in init), and assigning to a registered
-- name replaces (or, with nil, empties) that parameter, buffer or child.
local function member_index(cls)
  return function(self, k)
    local where = rawget(self, "_kind")[k]
    if where then return rawget(self, where)[k] end
    return cls[k]
  end
end

local MEMBER = { _parameters = "a tensor", _buffers = "a tensor", _modules = "a module" }

local function member_newindex(self, k, v)
  local where = rawget(self, "_kind")[k]
  if where then
    local ok = v == nil or (where == "_modules" and Module.is_module(v)) or
      (where ~= "_modules" and lucid.is_tensor(v))
    if not ok then
      raise(string.format("%s: %s must be %s or nil, got %s", self.__name, k, MEMBER[where], type(v)))
    end
    if where == "_parameters" and v ~= nil and not v.requires_grad then v.requires_grad = true end
    rawget(self, where)[k] = v
  elseif Module.is_module(v) then
    self:add_module(k, v)
  elseif lucid.is_tensor(v) and require("nn.Parameter").is_parameter(v) then
    self:register_parameter(k, v) -- self.w = nn.Parameter(t)
  else
    rawset(self, k, v)
  end
end

-- The arguments of an init called directly (Foo.init(self, a), as a
-- subclass's init calls its parent's): checked again as the constructor
-- checks them, since construct's own call passes checked ones anyway.
local function recheck_args(self, a)
  local cls = getmetatable(self)
  local checked = {}
  for k, v in pairs(a) do checked[k] = v end
  for _, spec in ipairs(rawget(cls, "__args") or {}) do checked[spec[1]] = check_arg(cls, spec, a[spec[1]]) end
  return checked
end

-- Module:extend(name, args): a subclass with declared constructor arguments
-- (init(self, args) gets them checked, by name); without `args`, init(self,
-- ...) gets the constructor's arguments as they were passed, as in Python.
function Module:extend(name, args)
  local cls = {
    __name = name,
    __args = args or {},
    __positional = args == nil,
    __call = call_forward,
    __tostring = tostring_module,
    __newindex = member_newindex,
  }
  cls.__index = member_index(cls)
  setmetatable(cls, { __index = self, __call = construct, __tostring = function() return name end })
  return check_methods(cls, args ~= nil and recheck_args)
end

function Module:init() end

function Module:forward()
  raise(self.__name .. ": forward is not implemented")
end

-- ---- registration ---------------------------------------------------------

local function remember(self, kind, name)
  rawset(self, name, nil) -- a plain field of that name would hide the member
  self._kind[name] = "_" .. kind
  local order = self._order[kind]
  for _, n in ipairs(order) do
    if n == name then return end
  end
  order[#order + 1] = name
end

-- Registers tensor t (or nil) under name in self._parameters or _buffers.
local function register_tensor(self, kind, name, t)
  if type(name) ~= "string" or name == "" or name:find(".", 1, true) then
    raise(string.format("%s: register_%s: name must be a non-empty string without dots, got %s",
      self.__name, kind == "parameters" and "parameter" or "buffer", type(name) == "string" and string.format("%q", name) or type(name)))
  end
  if t ~= nil and not lucid.is_tensor(t) then
    raise(string.format("%s: %s '%s' must be a tensor or nil, got %s", self.__name,
      kind == "parameters" and "parameter" or "buffer", name, type(t)))
  end
  self["_" .. kind][name] = t
  remember(self, kind, name)
  return t
end

-- A parameter is a leaf tensor that requires grad; nil registers an absent
-- one (a disabled bias), which still reads as nil.
function Module:register_parameter(name, t)
  if lucid.is_tensor(t) and not t.requires_grad then t.requires_grad = true end
  return register_tensor(self, "parameters", name, t)
end

function Module:register_buffer(name, t) return register_tensor(self, "buffers", name, t) end

-- Unregisters a parameter, buffer or child (PyTorch's `del module.name`);
-- the name then reads as a plain field.
function Module:_remove_member(name)
  local where = self._kind[name]
  if where == nil then return end
  self[where][name] = nil
  self._kind[name] = nil
  local order = self._order[where:sub(2)]
  for i, n in ipairs(order) do
    if n == name then table.remove(order, i) break end
  end
end

function Module:add_module(name, m)
  name = tostring(name)
  self._modules[name] = m
  remember(self, "modules", name)
  return m
end

-- ---- traversal ------------------------------------------------------------

function Module:named_children()
  local i, order = 0, self._order.modules
  return function()
    repeat
      i = i + 1
      local name = order[i]
      if name == nil then return nil end
      local m = self._modules[name]
      if m then return name, m end
    until false
  end
end

-- The values of a (name, value) iterator, as an array.
local function values(iter)
  local list = {}
  for _, v in iter do list[#list + 1] = v end
  return list
end

function Module:children() return values(self:named_children()) end

-- Every module in the tree, self first, each once, with dotted names.
function Module:named_modules()
  local list, seen = {}, {}
  local function walk(m, prefix)
    if seen[m] then return end
    seen[m] = true
    list[#list + 1] = { prefix, m }
    for name, child in m:named_children() do
      walk(child, prefix == "" and name or (prefix .. "." .. name))
    end
  end
  walk(self, "")
  local i = 0
  return function()
    i = i + 1
    if list[i] then return list[i][1], list[i][2] end
  end
end

function Module:modules() return values(self:named_modules()) end

local function named_members(self, kind)
  local list, seen = {}, {}
  for prefix, m in self:named_modules() do
    local store = kind == "parameters" and m._parameters or m._buffers
    for _, name in ipairs(m._order[kind]) do
      local t = store[name]
      if t ~= nil and not seen[t] then
        seen[t] = true
        list[#list + 1] = { prefix == "" and name or (prefix .. "." .. name), t }
      end
    end
  end
  local i = 0
  return function()
    i = i + 1
    if list[i] then return list[i][1], list[i][2] end
  end
end

-- for name, p in m:named_parameters() do ... end, in registration order.
function Module:named_parameters() return named_members(self, "parameters") end

function Module:named_buffers() return named_members(self, "buffers") end

function Module:parameters() return values(self:named_parameters()) end

function Module:buffers() return values(self:named_buffers()) end

-- m:get_submodule("a.b.1"): the module at a dotted path of child names
-- ("" is m itself), as named_modules() names them.
function Module:get_submodule(target)
  if type(target) ~= "string" then
    raise(string.format("%s: get_submodule: target must be a string, got %s", self.__name, type(target)))
  end
  local m, path = self, ""
  if target == "" then return m end
  for item in (target .. "."):gmatch("([^.]*)%.") do
    local child = m._modules[item]
    if not Module.is_module(child) then
      raise(string.format("%s: get_submodule: %s has no submodule `%s`", self.__name,
        path == "" and self.__name or path, item))
    end
    path = path == "" and item or (path .. "." .. item)
    m = child
  end
  return m
end

-- m:get_parameter("fc.weight"): the parameter at a dotted path.
function Module:get_parameter(target)
  if type(target) ~= "string" then
    raise(string.format("%s: get_parameter: target must be a string, got %s", self.__name, type(target)))
  end
  local prefix, name = target:match("^(.*)%.([^.]*)$")
  if not prefix then prefix, name = "", target end
  local m = self:get_submodule(prefix)
  local p = m._parameters[name]
  if p == nil then
    raise(string.format("%s: get_parameter: %s has no parameter `%s`", self.__name,
      prefix == "" and self.__name or prefix, name))
  end
  return p
end

-- ---- modes and gradients --------------------------------------------------

-- m:requires_grad_([flag = true]): sets requires_grad on every parameter
-- (freezing them with false); returns m.
function Module:requires_grad_(flag)
  if flag == nil then flag = true end
  if type(flag) ~= "boolean" then
    raise(string.format("%s: requires_grad_: requires_grad must be a boolean, got %s", self.__name, type(flag)))
  end
  for _, p in ipairs(self:parameters()) do p.requires_grad = flag end
  return self
end

function Module:train(mode)
  if mode == nil then mode = true end
  if type(mode) ~= "boolean" then
    raise(string.format("%s: train: mode must be a boolean, got %s", self.__name, type(mode)))
  end
  for _, m in ipairs(self:modules()) do rawset(m, "training", mode) end
  return self
end

function Module:eval() return self:train(false) end

-- Zeroes gradients in place (PyTorch 1.13's default, set_to_none = false);
-- set_to_none = true drops them instead.
function Module:zero_grad(set_to_none)
  for _, p in ipairs(self:parameters()) do
    if p.grad then
      if set_to_none then p.grad = nil else p.grad:zero_() end
    end
  end
end

function Module:apply(fn)
  if not args.is_callable(fn) then
    raise(string.format("%s: apply: fn must be a function, got %s", self.__name, type(fn)))
  end
  for _, child in ipairs(self:children()) do child:apply(fn) end
  fn(self)
  return self
end

-- ---- state ----------------------------------------------------------------

-- A table of dotted name -> tensor (parameters and buffers), detached: they
-- share memory with the module.
function Module:state_dict()
  local sd = {}
  for name, p in self:named_parameters() do sd[name] = p:detach() end
  for name, b in self:named_buffers() do sd[name] = b:detach() end
  return sd
end

-- m:load_state_dict(sd [, strict]) or (sd, {strict = false}): sd, a table
-- with string keys, is outside the options (it would read as one).
function Module:load_state_dict(sd, ...)
  local strict = args.parse(self.__name .. ": load_state_dict", { "strict" }, 1, ...).strict
  if strict == nil then strict = true end
  if type(sd) ~= "table" then
    raise(string.format("%s: load_state_dict: expected a table, got %s", self.__name, type(sd)))
  end
  local own = {}
  for name, p in self:named_parameters() do own[name] = p end
  for name, b in self:named_buffers() do own[name] = b end
  local missing, unexpected = {}, {}
  for name in pairs(own) do
    if sd[name] == nil then missing[#missing + 1] = name end
  end
  for name, v in pairs(sd) do
    if own[name] == nil then unexpected[#unexpected + 1] = tostring(name) end
  end
  table.sort(missing)
  table.sort(unexpected)
  if strict and (#missing > 0 or #unexpected > 0) then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = "missing keys: " .. table.concat(missing, ", ") end
    if #unexpected > 0 then parts[#parts + 1] = "unexpected keys: " .. table.concat(unexpected, ", ") end
    raise(string.format("%s: load_state_dict: %s", self.__name, table.concat(parts, "; ")))
  end
  lucid.no_grad(function()
    for name, t in pairs(own) do
      local v = sd[name]
      if v ~= nil then
        if not lucid.is_tensor(v) then
          raise(string.format("%s: load_state_dict: '%s' must be a tensor, got %s", self.__name, name, type(v)))
        end
        if v.shape ~= t.shape then
          raise(string.format("%s: load_state_dict: '%s' has shape %s, expected %s",
            self.__name, name, tostring(v.shape), tostring(t.shape)))
        end
        t:copy_(v)
      end
    end
  end)
  return { missing_keys = missing, unexpected_keys = unexpected }
end

-- Converts every floating point parameter and buffer in place (the tensors
-- keep their identity, so optimizers holding them stay valid).
function Module:to(dtype)
  if dtype == "cpu" then return self end
  if dtype == "float32" or dtype == "float64" then dtype = lucid[dtype] end
  if dtype ~= lucid.float32 and dtype ~= lucid.float64 then
    raise(string.format("%s: to: dtype must be lucid.float32 or lucid.float64, got %s",
      self.__name, describe(dtype)))
  end
  lucid.no_grad(function()
    for _, t in ipairs(self:parameters()) do lucid._C.set_data(t, t:to(dtype)) end
    for _, t in ipairs(self:buffers()) do
      if t.dtype.is_floating_point then lucid._C.set_data(t, t:to(dtype)) end
    end
  end)
  return self
end

function Module:double() return self:to(lucid.float64) end

function Module:float() return self:to(lucid.float32) end

-- ---- hooks ----------------------------------------------------------------
--
-- As PyTorch's module hooks; each register_* returns a handle whose
-- handle:remove() unregisters the hook. Inputs are given to hooks as an
-- array (with n, the argument count); an output as the value forward
-- returned, or an array when it returned several.
--   forward pre-hook  hook(module, input) -> nil, or a new input (an array,
--                     or one value)
--   forward hook      hook(module, input, output) -> nil, or a new output
--   backward hook     hook(module, grad_input, grad_output) -> nil, or new
--                     grad_input; arrays of the gradients with respect to
--                     the tensor inputs and outputs (nil where there is none),
--                     called when the gradients of the inputs are computed

local function hooks_of(self)
  local h = rawget(self, "_hooks")
  if h == nil then
    h = { pre = {}, forward = {}, backward = {} }
    rawset(self, "_hooks", h)
  end
  return h
end

local function register_hook(self, kind, fname, hook)
  if type(hook) ~= "function" then
    raise(string.format("%s: %s: hook must be a function, got %s", self.__name, fname, type(hook)))
  end
  local list = hooks_of(self)[kind]
  local entry = { fn = hook }
  list[#list + 1] = entry
  return {
    remove = function()
      for i, e in ipairs(list) do
        if e == entry then table.remove(list, i) break end
      end
      local h = rawget(self, "_hooks")
      if h and #h.pre == 0 and #h.forward == 0 and #h.backward == 0 then rawset(self, "_hooks", nil) end
    end,
  }
end

function Module:register_forward_pre_hook(hook)
  return register_hook(self, "pre", "register_forward_pre_hook", hook)
end

function Module:register_forward_hook(hook)
  return register_hook(self, "forward", "register_forward_hook", hook)
end

function Module:register_full_backward_hook(hook)
  return register_hook(self, "backward", "register_full_backward_hook", hook)
end

-- A hook's non-nil result as an argument list.
local function as_list(v)
  if type(v) == "table" and getmetatable(v) == nil then
    if v.n == nil then v.n = #v end
    return v
  end
  return table.pack(v)
end

-- Identity nodes around forward carry the backward hooks: one over the
-- tensor outputs records grad_output, one over the tensor inputs calls the
-- hooks with grad_input (or, when no input needs a gradient, the output
-- node calls them with grad_input all nil).
local function tensor_slots(list)
  local slots = {}
  for i = 1, list.n do
    if lucid.is_tensor(list[i]) then slots[#slots + 1] = i end
  end
  return slots
end

local function call_backward_hooks(self, grad_input, grad_output)
  local hooks = rawget(self, "_hooks")
  for _, e in ipairs(hooks and hooks.backward or {}) do
    local r = e.fn(self, grad_input, grad_output)
    if r ~= nil then
      if type(r) ~= "table" or getmetatable(r) ~= nil then
        raise(string.format("%s: a backward hook must return nil or an array of gradients, got %s",
          self.__name, type(r)))
      end
      grad_input = r
    end
  end
  return grad_input
end

local function wrap_inputs(self, input, record)
  local slots = tensor_slots(input)
  local any = false
  for _, i in ipairs(slots) do any = any or input[i].requires_grad end
  record.inputs_hooked = any
  if not any then return input end
  local F = lucid.autograd.Function {
    name = "BackwardHookFunctionBackward",
    forward = function(_, ...) return ... end,
    backward = function(_, ...)
      local gi = table.pack(...)
      gi = call_backward_hooks(self, gi, record.grad_output or {})
      return table.unpack(gi, 1, #slots)
    end,
  }
  local ts = {}
  for k, i in ipairs(slots) do ts[k] = input[i] end
  local wrapped = table.pack(F.apply(table.unpack(ts, 1, #slots)))
  local out = table.pack(table.unpack(input, 1, input.n))
  for k, i in ipairs(slots) do out[i] = wrapped[k] end
  return out
end

local function wrap_outputs(self, out, record)
  local slots = tensor_slots(out)
  local any = false
  for _, i in ipairs(slots) do any = any or out[i].requires_grad end
  if not any then return out end
  local F = lucid.autograd.Function {
    name = "BackwardHookFunctionBackward",
    forward = function(_, ...) return ... end,
    backward = function(_, ...)
      record.grad_output = table.pack(...)
      if not record.inputs_hooked then
        local none = { n = record.n_inputs }
        call_backward_hooks(self, none, record.grad_output)
      end
      return ...
    end,
  }
  local ts = {}
  for k, i in ipairs(slots) do ts[k] = out[i] end
  local wrapped = table.pack(F.apply(table.unpack(ts, 1, #slots)))
  for k, i in ipairs(slots) do out[i] = wrapped[k] end
  return out
end

run_hooked = function(self, ...)
  local hooks = rawget(self, "_hooks")
  local input = table.pack(...)
  for _, e in ipairs(hooks.pre) do
    local r = e.fn(self, input)
    if r ~= nil then input = as_list(r) end
  end
  local record = { n_inputs = #tensor_slots(input) }
  local backward = #hooks.backward > 0 and lucid.is_grad_enabled()
  if backward then input = wrap_inputs(self, input, record) end
  local out = table.pack(self:forward(table.unpack(input, 1, input.n)))
  for _, e in ipairs(hooks.forward) do
    local r = e.fn(self, input, out.n == 1 and out[1] or out)
    if r ~= nil then out = out.n == 1 and table.pack(r) or as_list(r) end
  end
  if backward then out = wrap_outputs(self, out, record) end
  return table.unpack(out, 1, out.n)
end

-- ---- printing -------------------------------------------------------------

function Module:extra_repr() return "" end

-- A value as PyTorch prints it in a module's repr: True/False, 0.5, 1e-05
-- (a float as Python's repr: the shortest form that reads back the same).
function Module.repr_value(v)
  if type(v) == "boolean" then return v and "True" or "False" end
  if math.type(v) ~= "float" or v ~= v or v == math.huge or v == -math.huge then return tostring(v) end
  local s
  for p = 1, 17 do
    s = string.format("%." .. p .. "g", v)
    if tonumber(s) == v then break end
  end
  local e = tonumber(s:match("e([-+]%d+)$") or "0")
  if s:find("e") and e >= -4 and e < 16 then s = string.format("%.17f", v):gsub("0+$", "") end
  if not s:find("[.e]") then s = s .. ".0" end
  return (s:gsub("%.$", ".0"))
end

-- Nests like PyTorch's print of a model.
function Module:__repr(indent)
  local extra = self:extra_repr()
  local kids = {}
  for name, child in self:named_children() do kids[#kids + 1] = { name, child } end
  if #kids == 0 then return string.format("%s(%s)", self.__name, extra) end
  local inner = indent .. "  "
  local lines = { self.__name .. "(" }
  if extra ~= "" then lines[#lines + 1] = inner .. extra end
  for _, kv in ipairs(kids) do
    lines[#lines + 1] = string.format("%s(%s): %s", inner, kv[1], kv[2]:__repr(inner))
  end
  lines[#lines + 1] = indent .. ")"
  return table.concat(lines, "\n")
end

-- ---- helpers for subclasses -----------------------------------------------

-- The options every module with parameters shares.
Module.dtype_args = {
  { "device", "device", optional = true },
  { "dtype", "dtype", optional = true },
}

-- A list of argument specs given to fname (nil: none), checked.
function Module.arg_specs(fname, list)
  if list ~= nil and type(list) ~= "table" then
    raise(string.format("%s: the extra arguments must be a list of argument specs, got %s", fname, type(list)))
  end
  return list or {}
end

-- Appends the shared device/dtype arguments to an argument list.
function Module.with_dtype(args)
  if type(args) ~= "table" then
    raise(string.format("Module.with_dtype: argument 1 must be a list of argument specs, got %s", type(args)))
  end
  for _, spec in ipairs(Module.dtype_args) do args[#args + 1] = spec end
  return args
end

-- A new parameter tensor drawn from U(-bound, bound).
function Module.uniform_parameter(sizes, bound, dtype)
  if type(bound) ~= "number" then
    raise(string.format("Module.uniform_parameter: argument 2 (bound) must be a number, got %s", type(bound)))
  end
  local t = lucid.empty(sizes, { dtype = dtype or lucid.float32 })
  t:uniform_(-bound, bound)
  t.requires_grad = true
  return t
end

args.check_methods(Module)

return Module
