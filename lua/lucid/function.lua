-- lucid.autograd.Function{forward = f, backward = b}: a custom op that is one
-- node in the graph. forward(ctx, ...) runs without recording; backward(ctx,
-- grad_outputs...) returns one gradient (or nil) per input of forward.
local core = require("lucid.core")
local raise = require("lucid.args").raise

local Ctx = {}
Ctx.__index = Ctx

-- Saved tensors are detached so the node does not keep its own outputs'
-- history alive (which would be a reference cycle through the registry).
function Ctx:save_for_backward(...)
  local saved = table.pack(...)
  for i = 1, saved.n do
    if core.is_tensor(saved[i]) then saved[i] = saved[i]:detach() end
  end
  self.saved_tensors = saved
end

local function Function(def)
  assert(type(def) == "table", "Function: expected a table with forward and backward")
  if type(def.forward) ~= "function" then raise("Function: forward must be a function") end
  if type(def.backward) ~= "function" then raise("Function: backward must be a function") end
  local name = def.name or "FunctionBackward"
  local F = {}
  function F.apply(...)
    local inputs = table.pack(...)
    local ctx = setmetatable({ needs_input_grad = {} }, Ctx)
    for i = 1, inputs.n do
      local x = inputs[i]
      ctx.needs_input_grad[i] = core.is_tensor(x) and x.requires_grad or false
    end
    local results = table.pack(core.no_grad(def.forward, ctx, ...))
    local outs = {}
    for i = 1, results.n do
      if core.is_tensor(results[i]) then
        results[i] = results[i]:detach() -- a fresh tensor to carry the new node
        outs[#outs + 1] = results[i]
      end
    end
    core._C.function_node(name, function(...)
      return def.backward(ctx, ...)
    end, inputs, inputs.n, outs)
    return table.unpack(results, 1, results.n)
  end
  return F
end

return Function
