-- lucid.linalg: LAPACK functions from C (solve, inv, det, cholesky, qr, svd,
-- svdvals, cross, matrix_power; bindings/llapack.c, lsvd.c, lproducts.c) and the norms, composed of tensor ops so
-- that autograd comes with them.
local core = require("lucid.core")
local args = require("lucid.args")

local M = {}
for name, fn in pairs(core.linalg) do M[name] = fn end

local INF = math.huge

-- dim (nil, a dim or a table of dims) as a sorted array of positive dims.
local function dims_of(fname, x, dim)
  local n = x:dim()
  local list = {}
  if dim == nil then
    for d = 1, n do list[d] = d end
  else
    for _, d in ipairs(type(dim) == "table" and dim or { dim }) do
      if math.type(d) ~= "integer" or d == 0 or d > n or d < -n then
        args.raise(string.format("%s: dim %s out of range for a %d-D tensor", fname, tostring(d), n))
      end
      list[#list + 1] = d > 0 and d or d + n + 1
    end
  end
  table.sort(list)
  return list
end

-- reduce(x, d, keepdim) over each dim of list, the last first.
local function over(x, list, keepdim, reduce)
  for i = #list, 1, -1 do x = reduce(x, list[i], keepdim) end
  return x
end

local function sum(x, d, k) return x:sum(d, k) end
local function max(x, d, k) return (x:max(d, k)) end
local function min(x, d, k) return (x:min(d, k)) end

local function check_float(fname, x)
  if type(x) ~= "userdata" then args.raise(fname .. ": input must be a tensor, got " .. type(x)) end
  if x.dtype ~= core.float32 and x.dtype ~= core.float64 then
    args.raise(string.format("%s: expected a float32 or float64 tensor, got %s", fname, tostring(x.dtype.name)))
  end
end

-- vector_norm(x [, ord=2, dim=nil, keepdim=false]): over all elements, a dim
-- or a table of dims; ord any number, inf, -inf or 0 (the count of non-zeros).
function M.vector_norm(...)
  local a = args.parse("vector_norm", { "input", "ord", "dim", "keepdim" }, 2, ...)
  local x, ord, keep = a.input, a.ord or 2, a.keepdim or false
  check_float("vector_norm", x)
  if type(ord) ~= "number" then args.raise("vector_norm: ord must be a number, got " .. type(ord)) end
  local list = dims_of("vector_norm", x, a.dim)
  if x:dim() == 0 then x, list = x:view(1), { 1 } end
  local ax = x:abs()
  if ord == INF then return over(ax, list, keep, max) end
  if ord == -INF then return over(ax, list, keep, min) end
  if ord == 0 then return over(x:ne(0):to(x.dtype), list, keep, sum) end
  if ord == 1 then return over(ax, list, keep, sum) end
  if ord == 2 then return over(x * x, list, keep, sum):sqrt() end
  return over(ax ^ ord, list, keep, sum) ^ (1 / ord)
end

-- matrix_norm(A [, ord="fro", dim={-2, -1}, keepdim=false]): "fro", 1, -1,
-- inf, -inf, and from the singular values "nuc" (their sum), 2 and -2 (the
-- largest and smallest).
function M.matrix_norm(...)
  local a = args.parse("matrix_norm", { "input", "ord", "dim", "keepdim" }, 2, ...)
  local x, ord, keep = a.input, a.ord or "fro", a.keepdim or false
  check_float("matrix_norm", x)
  if x:dim() < 2 then args.raise(string.format("matrix_norm: expected a tensor of at least 2 dims, got %d", x:dim())) end
  local dim = a.dim or { -2, -1 }
  if type(dim) ~= "table" or #dim ~= 2 then args.raise("matrix_norm: dim must be a table of 2 dims") end
  local list = dims_of("matrix_norm", x, dim)
  local r, c = list[1], list[2]
  if (dim[1] > 0 and dim[1] or dim[1] + x:dim() + 1) > (dim[2] > 0 and dim[2] or dim[2] + x:dim() + 1) then r, c = c, r end
  if r == c then args.raise("matrix_norm: the two dims must differ") end
  if ord == "fro" then return M.vector_norm(x, 2, list, keep) end
  local function reduce2(inner_dim, outer_dim, pick)
    local s = x:abs():sum(inner_dim, true)
    local m = pick(s, outer_dim, true)
    if not keep then m = m:squeeze(math.max(r, c)):squeeze(math.min(r, c)) end
    return m
  end
  if ord == 1 then return reduce2(r, c, max) end
  if ord == -1 then return reduce2(r, c, min) end
  if ord == INF then return reduce2(c, r, max) end
  if ord == -INF then return reduce2(c, r, min) end
  local of_singular = { nuc = "sum", [2] = "amax", [-2] = "amin" }
  if of_singular[ord] then
    -- the matrices' dims last (rows, then columns), then their singular values
    local s = M.svdvals(x:movedim({ r, c }, { -2, -1 }))
    local m = s[of_singular[ord]](s, -1)
    if keep then m = m:unsqueeze(math.min(r, c)):unsqueeze(math.max(r, c)) end
    return m
  end
  args.raise(string.format("matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got %s", tostring(ord)))
end

-- norm(A [, ord, dim, keepdim]): without ord and dim the 2-norm of all
-- elements; a dim (or one) is a vector norm, two dims a matrix norm; with ord
-- alone, 1-D inputs take vector norms and 2-D ones matrix norms.
function M.norm(...)
  local a = args.parse("norm", { "input", "ord", "dim", "keepdim" }, 2, ...)
  local x, ord, dim, keep = a.input, a.ord, a.dim, a.keepdim or false
  check_float("norm", x)
  if type(dim) == "number" or (type(dim) == "table" and #dim == 1) then
    return M.vector_norm(x, ord or 2, dim, keep)
  end
  if type(dim) == "table" and #dim == 2 then return M.matrix_norm(x, ord or "fro", dim, keep) end
  if dim ~= nil then args.raise("norm: dim must be a dim or a table of 1 or 2 dims") end
  if ord == nil then return M.vector_norm(x, 2, nil, keep) end
  if x:dim() == 1 then return M.vector_norm(x, ord, nil, keep) end
  if x:dim() == 2 then return M.matrix_norm(x, ord, nil, keep) end
  args.raise(string.format("norm: with ord and no dim, input must be 1-D or 2-D, got %d dims", x:dim()))
end

return M
