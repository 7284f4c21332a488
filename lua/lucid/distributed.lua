-- lucid.distributed: collectives between processes over MPI, as
-- torch.distributed. Ranks are 0-based, as MPI's. Launch with
-- `mpirun -np N lucid train.lua`; without mpirun the world has one process.
-- The C side (distributed/comm.c) runs every collective on a communication
-- thread of its own, with a timeout that ends the job instead of hanging.
local lucid = require("lucid")
local args = require("lucid.args")

local ok, C = pcall(function() return lucid._C.distributed end)

local M = {}

M.ReduceOp = { SUM = "sum", AVG = "avg", MAX = "max", MIN = "min", PRODUCT = "product" }
local reduce_ops = { sum = true, avg = true, max = true, min = true, product = true }

local state = { rank = 0, size = 1 }

local function need_group(fname)
  if not (ok and C.is_initialized()) then
    args.raise(fname .. ": the default process group is not initialized; call "
      .. "lucid.distributed.init_process_group first")
  end
end

-- init_process_group{backend = "mpi", timeout = seconds}: starts MPI. The
-- timeout (default 1800 s, as PyTorch's) bounds every collective: past it
-- the job ends with a message naming the collective and the ranks that never
-- reached it. LUCID_DISTRIBUTED_DEBUG=1 checks before every collective that
-- all ranks make the same call, and raises an error naming both otherwise.
function M.init_process_group(...)
  local a = args.parse("init_process_group", { "backend", "timeout", "init_method",
    "world_size", "rank" }, 1, ...)
  local backend = a.backend or "mpi"
  if backend ~= "mpi" then
    args.raise("init_process_group: backend must be 'mpi', got " .. tostring(backend))
  end
  if not ok then
    args.raise("init_process_group: lucid was built without MPI (install libopenmpi-dev and "
      .. "rebuild): " .. tostring(C))
  end
  local timeout = a.timeout or 1800
  if type(timeout) ~= "number" or timeout ~= timeout or timeout <= 0 then
    args.raise("init_process_group: timeout must be a positive number of seconds, got "
      .. tostring(timeout))
  end
  local debug = os.getenv("LUCID_DISTRIBUTED_DEBUG")
  local rank, size = args.call(C.init, timeout, debug ~= nil and debug ~= "" and debug ~= "0")
  if a.world_size and a.world_size ~= size then
    args.raise(("init_process_group: world_size is %d (from mpirun), got %s"):format(size,
      tostring(a.world_size)))
  end
  if a.rank and a.rank ~= rank then
    args.raise(("init_process_group: this process is rank %d (from mpirun), got %s"):format(rank,
      tostring(a.rank)))
  end
  state.rank, state.size = rank, size
end

function M.is_available() return ok end
function M.is_initialized() return ok and C.is_initialized() end

function M.get_rank()
  need_group("get_rank")
  return state.rank
end

function M.get_world_size()
  need_group("get_world_size")
  return state.size
end

-- Ends MPI. It cannot be started again in the same process (MPI's rule).
function M.destroy_process_group()
  need_group("destroy_process_group")
  C.finalize()
end

local function check_tensor(fname, t, what)
  if not lucid.is_tensor(t) then
    args.raise(("%s: %s must be a tensor, got %s"):format(fname, what, type(t)))
  end
end

local function check_op(fname, op)
  op = op or "sum"
  if not reduce_ops[op] then
    args.raise(("%s: op must be one of sum, avg, max, min, product, got %s"):format(fname,
      tostring(op)))
  end
  return op
end

-- A collective's result as PyTorch gives it: nil when synchronous, a work
-- handle with wait() and is_completed() when async_op. finish(), if given,
-- runs once the data has arrived (copying results into non-contiguous or
-- listed outputs).
local Work = {}
Work.__index = Work

function Work:wait()
  if not self.done then
    args.call(self.work.wait, self.work)
    self.done = true
    if self.finish then lucid.no_grad(self.finish) end
  end
  return true
end

function Work:is_completed()
  return self.done or self.work:is_completed()
end

local function run(async, work, finish)
  local w = setmetatable({ work = work, finish = finish }, Work)
  if async then return w end
  w:wait()
end

-- A contiguous buffer for t, and what copies it back when it is not t.
local function buffer_of(t)
  if t:is_contiguous() then return t, nil end
  local buf = t:contiguous()
  return buf, function() t:copy_(buf) end
end

-- all_reduce(t, {op = "sum", async_op = false}): every rank's t becomes the
-- reduction of all ranks' t.
function M.all_reduce(...)
  local a = args.parse("all_reduce", { "tensor", "op", "group", "async_op" }, 2, ...)
  need_group("all_reduce")
  check_tensor("all_reduce", a.tensor, "tensor")
  local op = check_op("all_reduce", a.op)
  local buf, back = buffer_of(a.tensor)
  return run(a.async_op, args.call(C.submit, "all_reduce", op, buf, nil, 0, state.size), back)
end

-- broadcast(t, src): every rank's t becomes rank src's.
function M.broadcast(...)
  local a = args.parse("broadcast", { "tensor", "src", "group", "async_op" }, 3, ...)
  need_group("broadcast")
  check_tensor("broadcast", a.tensor, "tensor")
  local src = a.src or 0
  if math.type(src) ~= "integer" or src < 0 or src >= state.size then
    args.raise(("broadcast: src must be a rank from 0 to %d, got %s"):format(state.size - 1,
      tostring(src)))
  end
  local buf, back = buffer_of(a.tensor)
  return run(a.async_op, args.call(C.submit, "broadcast", "sum", buf, nil, src, state.size), back)
end

-- all_gather(list, t): list[r + 1] receives rank r's t (new tensors are made
-- where list has none of t's shape). Returns the list.
function M.all_gather(...)
  local a = args.parse("all_gather", { "tensor_list", "tensor", "group", "async_op" }, 3, ...)
  need_group("all_gather")
  local list, t = a.tensor_list or {}, a.tensor
  if type(list) ~= "table" then
    args.raise("all_gather: tensor_list must be a table, got " .. type(list))
  end
  check_tensor("all_gather", t, "tensor")
  local src = t:contiguous()
  local all = lucid.empty({ state.size * t:numel() }, { dtype = t.dtype })
  local n = t:numel()
  local function finish()
    for r = 1, state.size do
      local part = all:narrow(1, (r - 1) * n + 1, n):view(t.shape)
      if lucid.is_tensor(list[r]) then list[r]:copy_(part) else list[r] = part end
    end
  end
  local w = run(a.async_op, args.call(C.submit, "all_gather", "sum", src, all, 0, state.size),
    finish)
  return w or list
end

-- reduce_scatter(output, input_list, {op =}): output on rank r receives the
-- reduction over ranks of input_list[r + 1].
function M.reduce_scatter(...)
  local a = args.parse("reduce_scatter", { "output", "input_list", "op", "group", "async_op" },
    4, ...)
  need_group("reduce_scatter")
  check_tensor("reduce_scatter", a.output, "output")
  local list = a.input_list
  if type(list) ~= "table" or #list ~= state.size then
    args.raise(("reduce_scatter: input_list must be a list of %d tensors, got %s"):format(
      state.size, type(list) == "table" and #list .. " values" or type(list)))
  end
  local flat = {}
  for r = 1, state.size do
    check_tensor("reduce_scatter", list[r], "input_list[" .. r .. "]")
    if list[r]:numel() ~= a.output:numel() then
      args.raise(("reduce_scatter: input_list[%d] has %d elements, output has %d"):format(r,
        list[r]:numel(), a.output:numel()))
    end
    flat[r] = list[r]:reshape(-1)
  end
  local send = lucid.cat(flat, 1)
  local buf, back = buffer_of(a.output)
  return run(a.async_op, args.call(C.submit, "reduce_scatter", check_op("reduce_scatter", a.op),
    send, buf, 0, state.size), back)
end

function M.barrier(...)
  local a = args.parse("barrier", { "group", "async_op" }, 1, ...)
  need_group("barrier")
  return run(a.async_op, args.call(C.submit, "barrier", "sum", nil, nil, 0, state.size))
end

-- save(obj, path): rank 0 writes, every rank returns once the file is there.
function M.save(obj, path)
  need_group("save")
  if state.rank == 0 then lucid.save(obj, path) end
  M.barrier()
end

return M
