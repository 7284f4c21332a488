-- lucid: tensors, autograd, random numbers. The C module lucid.core does the
-- work; this file adds what reads better in Lua: printing, autograd.Function,
-- gradcheck, and the nn link.
local core = require("lucid.core")

local M = core
M._VERSION = "lucid 0.1"

-- lucid._C holds the private entry points (bindings/lcore.c). Some of its
-- fields are made on first read: distributed, the MPI side of
-- lucid.distributed, a C module of its own (lucid/_distributed.so, built when
-- MPI is found, so that lucid itself never loads MPI); optable and
-- reducetable, the op tables' rows for the specs and the fixture generator
-- (a few hundred tables: every collector cycle traverses the whole Lua heap,
-- and a loop of tensor temporaries runs one every few ops, so the heap a
-- program starts with stays small).
local lazy_private = {
  distributed = function() return require("lucid._distributed") end,
  optable = M._C.build_optable,
  reducetable = M._C.build_reducetable,
}
setmetatable(M._C, {
  __index = function(t, k)
    local build = lazy_private[k]
    if not build then return nil end
    local v = build()
    rawset(t, k, v)
    return v
  end,
})

local format = require("lucid.format")
local Tensor = debug.getregistry()["lucid.Tensor"]
Tensor.__tostring = format.tensor

M.autograd.Function = require("lucid.function")
M.autograd.gradcheck = require("lucid.gradcheck")
M.linalg = require("lucid.linalg")

-- lucid.load also reads PyTorch's torch.save files (zip archives, told by
-- their first bytes); lucid.save writes one with {format = "torch"}.
local args = require("lucid.args")
local core_load, core_save = M.load, M.save

function M.load(path, ...)
  if type(path) == "string" then
    local f = io.open(path, "rb")
    local magic = f and f:read(4)
    if f then f:close() end
    if magic == "\x80\x02\x8a\x0a" then -- the pickled magic number of torch.save before 1.6
      args.raise("load: " .. path .. " is in PyTorch's legacy (pre-1.6) format, which lucid does "
        .. "not read: load it in PyTorch and torch.save it again (the zip format)")
    end
    if magic == "PK\3\4" then
      local formats = require("lucid.formats.torch")
      local bytes = require("lucid.formats.file").read(path, "load")
      return args.call(formats.load, bytes, "load")
    end
  end
  return args.call(core_load, path, ...)
end

function M.save(...)
  -- obj may be a table with string keys: the options come only third
  if select(3, ...) == nil then return args.call(core_save, ...) end -- the core names what is missing
  local a = args.parse("save", { "obj", "f", "*", "format" }, 3, ...)
  local obj, path, format = a.obj, a.f, a.format or "lucid"
  if format == "torch" then
    local bytes = args.call(require("lucid.formats.torch").dump, obj, "save")
    return args.call(require("lucid.formats.file").write, path, bytes, "save")
  elseif format ~= "lucid" then
    args.raise("save: format must be 'lucid' or 'torch', got " .. tostring(format))
  end
  return args.call(core_save, obj, path)
end

-- lucid.nn (require("nn")), lucid.optim and the format modules load on first
-- use, so that they can require lucid and start-up stays fast.
local lazy = { nn = "nn", optim = "lucid.optim", safetensors = "lucid.safetensors", npy = "lucid.npy",
  plot = "lucid.plot", utils = "lucid.utils", datasets = "lucid.datasets" }
setmetatable(M, {
  __index = function(t, k)
    local path = lazy[k]
    if path then
      local mod = require(path)
      rawset(t, k, mod)
      return mod
    end
  end,
  -- what __index loads, for completion (lucid.repl)
  __lazy = function()
    local names = {}
    for k in pairs(lazy) do names[#names + 1] = k end
    table.sort(names)
    return names
  end,
})

return M
