-- nn.Parameter(data [, requires_grad = true]): a tensor marked as a module
-- parameter. It shares data's memory (detached from data's history), is a
-- leaf, and requires grad; assigned to a module field (self.w =
-- nn.Parameter(t)) it registers as a parameter, as in PyTorch.
-- nn.Parameter.is_parameter(t) tells whether t was made so.
local lucid = require("lucid")
local args = require("lucid.args")

local Parameter = {}

local marked = setmetatable({}, { __mode = "k" })

function Parameter.is_parameter(t) return marked[t] == true end

local function new(_, ...)
  local a = args.parse("Parameter", { "data", "requires_grad" }, 2, ...)
  if not lucid.is_tensor(a.data) then
    args.raise(string.format("Parameter: data must be a tensor, got %s", type(a.data)))
  end
  if a.requires_grad ~= nil and type(a.requires_grad) ~= "boolean" then
    args.raise(string.format("Parameter: requires_grad must be a boolean, got %s", type(a.requires_grad)))
  end
  local p = a.data:detach()
  if a.requires_grad ~= false then
    if not p.dtype.is_floating_point then
      args.raise(string.format("Parameter: only float tensors can require grad, got %s", p.dtype.name))
    end
    p.requires_grad = true
  end
  marked[p] = true
  return p
end

return setmetatable(Parameter, { __call = new })
