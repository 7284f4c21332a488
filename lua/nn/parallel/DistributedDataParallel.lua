-- nn.parallel.DistributedDataParallel(module, opts): the module, trained by
-- every rank on its share of the batch, with gradients averaged across ranks
-- during the backward pass, as PyTorch's DDP.
--
-- Parameters are grouped in buckets (bucket_cap_mb, 25 by default; the first
-- one small, 1 MB, so communication starts early), in reverse registration
-- order, roughly the order in which a backward finishes their gradients.
-- When the autograd engine reports a gradient final (a post-accumulate-grad
-- hook), it is copied into its bucket; a full bucket is averaged with an
-- asynchronous all_reduce while the backward goes on. Buckets are launched
-- strictly in order, so every rank issues the same collectives in the same
-- order. At the end of the backward the averages are copied back into .grad.
--
-- The engine tells, as each backward starts, which leaves it will reach, so
-- parameters that a step does not use are known at once and reduced as zeros
-- (or as the gradient they already hold): nothing waits for them, whatever
-- find_unused_parameters says.
local lucid = require("lucid")
local dist = require("lucid.distributed")
local Module = require("nn.Module")
local raise = require("lucid.args").raise

local DDP = Module:extend("DistributedDataParallel", {
  { "module", "any" },
  { "device_ids", "any", optional = true },
  { "output_device", "any", optional = true },
  { "dim", "integer", default = 1 },
  { "broadcast_buffers", "boolean", default = true },
  { "bucket_cap_mb", "number", default = 25 },
  { "find_unused_parameters", "boolean", default = false },
})

local FIRST_BUCKET_MB = 1

-- Every rank must hold the same parameters in the same order: compare each
-- rank's list of sizes with rank 0's.
local function check_shapes(params)
  local sizes = { #params }
  for _, p in ipairs(params) do
    sizes[#sizes + 1] = p:numel()
    sizes[#sizes + 1] = p:dim()
  end
  local mine = lucid.tensor(sizes, { dtype = lucid.int64 })
  local count = lucid.tensor({ mine:numel() }, { dtype = lucid.int64 })
  local most = count:clone()
  dist.all_reduce(most, { op = "max" })
  dist.all_reduce(count, { op = "min" })
  local same = count:item() == most:item()
  if same then
    local theirs = mine:clone()
    dist.broadcast(theirs, 0)
    same = theirs:eq(mine):sum():item() == mine:numel()
  end
  local all_same = lucid.tensor({ same and 1 or 0 }, { dtype = lucid.int64 })
  dist.all_reduce(all_same, { op = "min" })
  if all_same:item() == 0 then
    raise(("DistributedDataParallel: rank %d's parameters differ in number or shape from rank "
      .. "0's (or another rank's): every rank must build the same model"):format(dist.get_rank()))
  end
end

-- Buckets of parameters of one dtype, up to cap bytes each, in reverse order.
local function make_buckets(params, cap_mb)
  local buckets, open = {}, {}
  for i = #params, 1, -1 do
    local p = params[i]
    local b = open[p.dtype]
    local cap = (#buckets == 0 and math.min(FIRST_BUCKET_MB, cap_mb) or cap_mb) * 2 ^ 20
    if not b or b.bytes >= cap then
      b = { params = {}, offsets = {}, size = 0, bytes = 0, dtype = p.dtype }
      buckets[#buckets + 1] = b
      open[p.dtype] = b
    end
    b.params[#b.params + 1] = p
    b.offsets[#b.offsets + 1] = b.size
    b.size = b.size + p:numel()
    b.bytes = b.bytes + p:numel() * (p.dtype == lucid.float32 and 4 or 8)
  end
  for _, b in ipairs(buckets) do b.buffer = lucid.zeros(b.size, { dtype = b.dtype }) end
  return buckets
end

function DDP:init(a)
  if not Module.is_module(a.module) then
    raise("DistributedDataParallel: module must be an nn module, got " .. type(a.module))
  end
  if not dist.is_initialized() then
    raise("DistributedDataParallel: call lucid.distributed.init_process_group first")
  end
  if a.bucket_cap_mb <= 0 then
    raise("DistributedDataParallel: bucket_cap_mb must be positive, got " .. a.bucket_cap_mb)
  end
  self.module = a.module
  rawset(self, "_broadcast_buffers", a.broadcast_buffers)
  rawset(self, "find_unused_parameters", a.find_unused_parameters)
  local params = {}
  for _, p in ipairs(a.module:parameters()) do
    if p.requires_grad then params[#params + 1] = p end
  end
  check_shapes(params)
  lucid.no_grad(function()
    for _, p in ipairs(params) do dist.broadcast(p, 0) end
    for _, b in ipairs(a.module:buffers()) do dist.broadcast(b, 0) end
  end)
  local buckets = make_buckets(params, a.bucket_cap_mb)
  local where = {} -- parameter -> {bucket, slot}
  for bi, b in ipairs(buckets) do
    for slot, p in ipairs(b.params) do where[p] = { bi, slot } end
  end
  rawset(self, "_buckets", buckets)
  rawset(self, "_where", where)
  rawset(self, "_sync", true)
  rawset(self, "_pass", nil)
  local handles = {}
  for _, p in ipairs(params) do
    handles[#handles + 1] = p:register_post_accumulate_grad_hook(function(t) self:_ready(t) end)
  end
  handles[#handles + 1] = lucid.autograd.register_backward_hooks{
    on_start = function(leaves) self:_start(leaves) end,
    on_finish = function(ok) self:_finish(ok) end,
  }
  rawset(self, "_handles", handles)
end

-- A backward starts: if it reaches our parameters, reduce this pass.
function DDP:_start(leaves)
  if not self._sync then return end
  local reached, ours = {}, false
  for _, leaf in ipairs(leaves) do
    if self._where[leaf] then reached[leaf], ours = true, true end
  end
  if not ours then return end
  local pass = { pending = {}, next = 1, works = {} }
  rawset(self, "_pass", pass)
  for bi, b in ipairs(self._buckets) do pass.pending[bi] = #b.params end
  for p in pairs(self._where) do
    if not reached[p] then self:_ready(p) end -- unused this step
  end
end

-- p's gradient is final for this pass: into its bucket; launch what is full.
function DDP:_ready(p)
  local pass = self._pass
  if not pass then return end
  local bi, slot = table.unpack(self._where[p])
  local b = self._buckets[bi]
  local part = b.buffer:narrow(1, b.offsets[slot] + 1, p:numel())
  if p.grad then part:copy_(p.grad:reshape(-1)) else part:zero_() end
  pass.pending[bi] = pass.pending[bi] - 1
  while pass.next <= #self._buckets and pass.pending[pass.next] == 0 do
    local buffer = self._buckets[pass.next].buffer
    pass.works[pass.next] = dist.all_reduce(buffer, { op = "avg", async_op = true })
    pass.next = pass.next + 1
  end
end

-- The backward ends: wait for the averages and write them into .grad.
function DDP:_finish(ok)
  local pass = self._pass
  if not pass then return end
  rawset(self, "_pass", nil)
  for bi = 1, pass.next - 1 do pass.works[bi]:wait() end
  if not ok then return end
  if pass.next <= #self._buckets then
    raise("DistributedDataParallel: the backward ended before every gradient was reduced")
  end
  for _, b in ipairs(self._buckets) do
    for slot, p in ipairs(b.params) do
      local avg = b.buffer:narrow(1, b.offsets[slot] + 1, p:numel()):view(p.shape)
      if p.grad then p.grad:copy_(avg) else p.grad = avg:clone() end
    end
  end
end

function DDP:forward(...)
  if self._broadcast_buffers and self.training then
    lucid.no_grad(function()
      for _, b in ipairs(self.module:buffers()) do dist.broadcast(b, 0) end
    end)
  end
  return self.module(...)
end

-- no_sync(fn, ...): runs fn (forward and backward passes) with gradients
-- accumulated locally; the next synchronised backward averages the sum.
function DDP:no_sync(fn, ...)
  if type(fn) ~= "function" then
    raise("DistributedDataParallel.no_sync: argument 1 must be a function, got " .. type(fn))
  end
  local was = self._sync
  rawset(self, "_sync", false)
  local r = table.pack(pcall(fn, ...))
  rawset(self, "_sync", was)
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

-- The wrapped module's state, without a "module." prefix, so checkpoints
-- load into the plain module.
function DDP:state_dict(...) return self.module:state_dict(...) end
function DDP:load_state_dict(...) return self.module:load_state_dict(...) end

-- Stops reducing (removes the hooks); the module stays usable alone.
function DDP:remove_hooks()
  for _, h in ipairs(self._handles) do h.remove() end
  rawset(self, "_handles", {})
end

return DDP
