-- lr_scheduler.LRScheduler: what the schedulers share, as PyTorch 1.13's
-- _LRScheduler. A scheduler is made with
--
--   local StepLR = LRScheduler:extend("StepLR", {"step_size", "gamma"}, {gamma = 0.1})
--   function StepLR:get_lr() ... end     -- the chainable form: new lrs from the groups'
--
-- names: PyTorch's positional order after the optimizer (last_epoch and
-- verbose are appended); the three call forms of lucid.args all work.
-- init(a) (optional) checks and stores a's fields before the first step.
local args = require("lucid.args")
local raise = args.raise

local LRScheduler = {}
LRScheduler.__index = LRScheduler
LRScheduler.__name = "LRScheduler"

local function copy(v)
  if type(v) ~= "table" then return v end
  local c = {}
  for k, x in pairs(v) do c[k] = copy(x) end
  return c
end
LRScheduler._copy = copy

local function construct(cls, ...)
  local names = { "optimizer" }
  for _, n in ipairs(cls._names) do names[#names + 1] = n end
  names[#names + 1] = "last_epoch"
  names[#names + 1] = "verbose"
  local a = args.parse(cls.__name, names, #names + 1, ...)
  for k, v in pairs(cls._defaults) do
    if a[k] == nil then a[k] = copy(v) end
  end
  local self = setmetatable({}, cls)
  self:_attach(a)
  return self
end

function LRScheduler:extend(name, names, defaults)
  local cls = setmetatable({ __name = name, _names = names or {}, _defaults = defaults or {} },
    { __index = self, __call = construct, __tostring = function() return "lucid.optim.lr_scheduler." .. name end })
  cls.__index = cls
  cls.__tostring = LRScheduler.__tostring
  return args.check_methods(cls, true)
end

function LRScheduler:_error(fmt, ...)
  raise(self.__name .. ": " .. string.format(fmt, ...))
end

-- The optimizer argument, checked: one owner of that check.
function LRScheduler.check_optimizer(name, opt)
  if type(name) ~= "string" then
    raise(string.format("LRScheduler.check_optimizer(name, opt): name must be a string, got %s", type(name)))
  end
  if type(opt) ~= "table" or type(opt.param_groups) ~= "table" or type(opt.step) ~= "function" then
    raise(string.format("%s: optimizer must be a lucid.optim optimizer, got %s", name,
      type(opt) == "table" and "a table without param_groups" or type(opt)))
  end
  return opt
end

-- A number checked to be one, for options.
function LRScheduler:_number(a, key)
  if type(a[key]) ~= "number" then
    self:_error("%s must be a number, got %s", key, type(a[key]))
  end
  return a[key]
end

function LRScheduler:_integer(a, key, min)
  local v = a[key]
  if math.type(v) ~= "integer" or (min and v < min) then
    self:_error("%s must be an integer%s, got %s", key, min and (" >= " .. min) or "", tostring(v))
  end
  return v
end

-- One value per group: v itself or an array of #groups values.
function LRScheduler:_per_group(name, v)
  local n = #self.optimizer.param_groups
  if type(v) == "table" then
    if #v ~= n then self:_error("expected %d values for %s, got %d", n, name, #v) end
    return copy(v)
  end
  local out = {}
  for i = 1, n do out[i] = v end
  return out
end

-- The base constructor: optimizer, initial_lr, init(a), the first step.
function LRScheduler:_attach(a)
  self.optimizer = LRScheduler.check_optimizer(self.__name, a.optimizer)
  local last_epoch = a.last_epoch or -1
  if math.type(last_epoch) ~= "integer" then
    self:_error("last_epoch must be an integer, got %s", tostring(last_epoch))
  end
  self.verbose = a.verbose or false
  if self.init then self:init(a) end
  self:_start(last_epoch)
end

-- PyTorch's _LRScheduler.__init__ after the subclass's fields.
function LRScheduler:_start(last_epoch)
  for i, group in ipairs(self.optimizer.param_groups) do
    if last_epoch == -1 then
      if group.initial_lr == nil then group.initial_lr = group.lr end
    elseif group.initial_lr == nil then
      self:_error("param 'initial_lr' is not specified in param_groups[%d] when resuming an optimizer", i)
    end
  end
  self.base_lrs = {}
  for i, group in ipairs(self.optimizer.param_groups) do self.base_lrs[i] = group.initial_lr end
  self.last_epoch = last_epoch
  self:_initial_step()
end

function LRScheduler:_initial_step()
  self._step_count = 0
  self:step()
end

-- Advances one epoch (or, deprecated in PyTorch, jumps to `epoch`, using the
-- closed form where there is one) and writes the new lrs into the groups.
function LRScheduler:step(epoch)
  self._step_count = self._step_count + 1
  local values
  if epoch == nil then
    self.last_epoch = self.last_epoch + 1
    values = self:get_lr()
  else
    if type(epoch) ~= "number" then self:_error("step: epoch must be a number, got %s", type(epoch)) end
    self.last_epoch = epoch
    values = self._closed_form_lr and self:_closed_form_lr() or self:get_lr()
  end
  self:_set_lrs(values)
end

function LRScheduler:_set_lrs(values)
  for i, group in ipairs(self.optimizer.param_groups) do
    group.lr = values[i]
    if self.verbose then print(string.format("Adjusting learning rate of group %d to %.4e.", i - 1, values[i])) end
  end
  self._last_lr = {}
  for i, group in ipairs(self.optimizer.param_groups) do self._last_lr[i] = group.lr end
end

function LRScheduler:get_lr() self:_error("get_lr is not implemented") end

-- The lrs the last step set, one per group (an array of numbers).
function LRScheduler:get_last_lr() return copy(self._last_lr) end

-- Every field but the optimizer (and functions, which cannot be saved).
function LRScheduler:state_dict()
  local sd = {}
  for k, v in pairs(self) do
    if k ~= "optimizer" and type(v) ~= "function" and not (type(v) == "table" and getmetatable(v)) then
      sd[k] = copy(v)
    end
  end
  return sd
end

-- The state_dict argument of load_state_dict, checked: one owner of that check.
function LRScheduler:_check_state_dict(sd)
  if type(sd) ~= "table" then self:_error("load_state_dict: expected a table, got %s", type(sd)) end
  return sd
end

function LRScheduler:load_state_dict(sd)
  for k, v in pairs(self:_check_state_dict(sd)) do self[k] = copy(v) end
end

-- The lrs of the groups as they are, for the "no change" branches.
function LRScheduler:_group_lrs(f)
  local out = {}
  for i, group in ipairs(self.optimizer.param_groups) do out[i] = f and f(group.lr, i) or group.lr end
  return out
end

function LRScheduler:__tostring()
  return string.format("%s(last_epoch=%s, lr=%s)", self.__name, tostring(self.last_epoch),
    table.concat(self:_group_lrs(), ", "))
end

args.check_methods(LRScheduler)

return LRScheduler
