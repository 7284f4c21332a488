-- Data-parallel scaling: the LSTM of bench/cases.txt (L=100, N=64, I=H=512)
-- trained by 2 ranks of 1 thread each (N=32 per rank, gradients averaged by
-- DistributedDataParallel) against 1 process of 2 threads on the same global
-- batch. Rounds alternate (A B A B), each run in its own processes; the
-- figure is the median over rounds of ddp samples/s / single samples/s.
--
--   lucid bench/ddp_scaling.lua [rounds]          (make bench-ddp)
local L, N, I, H, WARM, STEPS = 100, 64, 512, 512, 2, 8

if arg[1] == "worker" then
  local ranks = tonumber(arg[2])
  local dist
  if ranks > 1 then
    dist = require("lucid.distributed")
    dist.init_process_group{ timeout = 600 }
  end
  local n = N // ranks
  lucid.manual_seed(0)
  local lstm = nn.LSTM(I, H)
  local model = dist and nn.parallel.DistributedDataParallel(lstm) or lstm
  local opt = lucid.optim.Adam(model:parameters(), { lr = 1e-3 })
  local x = lucid.randn(L, n, I)
  local t0
  for step = 1, WARM + STEPS do
    if step == WARM + 1 then
      if dist then dist.barrier() end
      t0 = lucid.clock()
    end
    opt:zero_grad()
    local out = model(x)
    out:pow(2):mean():backward()
    opt:step()
  end
  if dist then dist.barrier() end
  if not dist or dist.get_rank() == 0 then
    io.write(("samples_per_s %.6g\n"):format(STEPS * N / (lucid.clock() - t0)))
  end
  return
end

local rounds = tonumber(arg[1]) or 3
local self = debug.getinfo(1, "S").source:sub(2)
local bin = arg[-1]
local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  p:close()
  local v = tonumber(out:match("samples_per_s (%S+)"))
  if not v then error("bench run failed:\n" .. out) end
  return v
end
local env = "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
local ratios, ddp_all, one_all = {}, {}, {}
for r = 1, rounds do
  local ddp = run(("%s OMP_NUM_THREADS=1 mpirun --oversubscribe --bind-to none -np 2 %s %s worker 2")
    :format(env, bin, self))
  local one = run(("OMP_NUM_THREADS=2 %s %s worker 1"):format(bin, self))
  ratios[r], ddp_all[r], one_all[r] = ddp / one, ddp, one
  io.write(("round %d: 2 ranks x 1 thread %.1f samples/s, 1 process x 2 threads %.1f samples/s, ratio %.3f\n")
    :format(r, ddp, one, ddp / one))
end
table.sort(ratios)
io.write(("ddp_scaling: median ratio %.3f over %d rounds (target at least 0.9)\n")
  :format(ratios[(rounds + 1) // 2], rounds))
