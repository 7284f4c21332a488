-- nn.utils.parameters_to_vector / vector_to_parameters, as
-- torch.nn.utils.convert_parameters (PyTorch 1.13).
local lucid = require("lucid")
local raise = require("lucid.args").raise

local M = {}

-- params as a Lua array of tensors (a tensor alone is one parameter).
local function tensor_list(fname, params)
  if lucid.is_tensor(params) then return { params } end
  if type(params) ~= "table" or getmetatable(params) ~= nil then
    raise(string.format("%s: parameters must be a tensor or an array of tensors (model:parameters()), got %s",
      fname, type(params)))
  end
  for i, p in ipairs(params) do
    if not lucid.is_tensor(p) then
      raise(string.format("%s: parameters[%d] must be a tensor, got %s", fname, i, type(p)))
    end
    if p.dtype ~= params[1].dtype then
      raise(string.format("%s: parameters[%d] has dtype %s, parameters[1] has %s", fname, i, p.dtype.name,
        params[1].dtype.name))
    end
  end
  return params
end

-- One 1-D tensor of every parameter's values in order (differentiable, as PyTorch's).
function M.parameters_to_vector(parameters)
  local list = tensor_list("parameters_to_vector", parameters)
  if #list == 0 then raise("parameters_to_vector: expected at least one parameter") end
  local views = {}
  for i, p in ipairs(list) do views[i] = p:reshape(-1) end
  return lucid.cat(views, 1)
end

-- Copies consecutive slices of vec into the parameters, in place.
function M.vector_to_parameters(vec, parameters)
  local fname = "vector_to_parameters"
  if not lucid.is_tensor(vec) or vec:dim() ~= 1 then
    raise(string.format("%s: expected vec to be a 1-D tensor, got %s", fname,
      lucid.is_tensor(vec) and (vec:dim() .. "-D tensor") or type(vec)))
  end
  local list = tensor_list(fname, parameters)
  local total = 0
  for _, p in ipairs(list) do total = total + p:numel() end
  if total ~= vec:numel() then
    raise(string.format("%s: vec has %d elements, the parameters %d", fname, vec:numel(), total))
  end
  local offset = 0
  lucid.no_grad(function()
    for _, p in ipairs(list) do
      local n = p:numel()
      p:copy_(vec:narrow(1, offset + 1, n):view_as(p))
      offset = offset + n
    end
  end)
end

return M
