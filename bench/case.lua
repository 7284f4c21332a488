-- Runs one benchmark case with lucid and prints "seconds=<median> peak_kb=<VmHWM>".
--   build/bin/lucid bench/case.lua <case file> <case name>
--   build/bin/lucid bench/case.lua --sgemm <n> ...
-- The second form prints "sgemm n=<n> flops_per_s=<rate>" per size: lucid's
-- own float32 matmul, the yardstick of the recurrent training cases.
local common = dofile("bench/common.lua")
if arg[1] == "--sgemm" then
  for i = 2, #arg do
    local n = math.tointeger(tonumber(arg[i]))
    local a, b = lucid.randn(n, n), lucid.randn(n, n)
    local s = common.time(function() a:matmul(b) end, 1.0)
    print(string.format("sgemm n=%d flops_per_s=%.6g", n, 2 * n ^ 3 / s))
  end
  os.exit(0)
end
local case = common.find(common.read_cases(arg[1]), arg[2])
local run

if case.kind == "seq_train" or case.kind == "seq_infer" then
  local m = nn[case.module](case.I, case.H, {
    num_layers = case.layers or 1,
    bidirectional = case.bidirectional == 1,
    nonlinearity = case.module == "RNN" and (case.relu == 1 and "relu" or "tanh") or nil,
    layer_norm = case.layer_norm == 1 or nil,
  })
  local x = lucid.randn(case.L, case.N, case.I)
  if case.kind == "seq_train" then
    run = function()
      local out = m(x)
      out:sum():backward()
    end
  else
    run = function() lucid.no_grad(m, x) end
  end
elseif case.kind == "cell_loop" then
  local cell = nn[case.module](case.I, case.H)
  local xs = lucid.randn(case.steps, case.N, case.I)
  run = function()
    local h = lucid.zeros(case.N, case.H)
    local total = nil
    for t = 1, case.steps do
      h = cell(xs[t], h)
      total = total and total + h:sum() or h:sum()
    end
    total:backward()
  end
elseif case.kind == "elementwise" then
  local n = case.n
  local function make()
    if case.transposed == 1 then
      local side = math.floor(math.sqrt(n) + 0.5)
      return lucid.randn(side, side):t()
    end
    return lucid.randn(n)
  end
  local x, y = make(), make()
  local mask = x:gt(0)
  local reps = case.reps or 1
  local ops = {
    add = function() return x + y end,
    tanh = function() return x:tanh() end,
    sum = function() return x:sum() end,
    softmax = function() return x:view(-1, 1000):softmax(2) end,
    gt = function() return x:gt(y) end,
    where = function() return lucid.where(mask, x, y) end,
    masked_select = function() return x[mask] end,
  }
  -- the row ops work on rows of 1000 (gather with random positions, einsum
  -- as a product with a 1000 x 8 matrix); a transposed square of n elements
  -- is not a whole number of rows, and no row case is transposed
  local rows = x:numel() % 1000 == 0 and x:reshape(-1, 1000) or nil
  local idx = rows and lucid.randint(1, 1001, rows.shape) or nil
  local w = lucid.randn(1000, 8)
  ops.sort = function() return rows:sort(2) end
  ops.topk = function() return rows:topk(10, 2) end
  ops.cumsum = function() return rows:cumsum(2) end
  ops.gather = function() return rows:gather(2, idx) end
  ops.einsum = function() return lucid.einsum("ij,jk->ik", rows, w) end
  local op = ops[case.op]
  run = function()
    for _ = 1, reps do op() end
  end
elseif case.kind == "flat_memory" then
  -- Resident size over a long training run of a small model: it must stay
  -- flat once the first steps have warmed the caches.
  local m = nn[case.module](case.I, case.H)
  local head = nn.Linear(case.H, 1)
  local params = m:parameters()
  for _, p in ipairs(head:parameters()) do params[#params + 1] = p end
  local opt = lucid.optim.Adam(params, { lr = 1e-3 })
  local x, y = lucid.randn(case.L, case.N, case.I), lucid.randn(case.L, case.N, 1)
  local early
  local t0 = lucid.clock()
  for step = 1, case.steps do
    opt:zero_grad()
    local out = m(x)
    local loss = ((head(out) - y) ^ 2):mean()
    loss:backward()
    opt:step()
    if step == case.steps // 10 then early = select(2, common.memory_kb()) end
  end
  local seconds = lucid.clock() - t0
  local peak, now = common.memory_kb()
  print(string.format("seconds=%.9g peak_kb=%d growth=%.2f", seconds / case.steps, peak,
    100 * (now - early) / early))
  os.exit(0)
elseif case.kind == "data_loader" then
  -- part=load: one batch of a shuffled DataLoader over a TensorDataset of n
  -- rows (features F, an int64 label); part=step: the training step of an
  -- MLP (F -> H -> 10, Adam) that consumes such a batch. Their ratio is how
  -- much faster loading is than training (issue 14 asks for 20x).
  local data = lucid.utils.data
  if case.part == "load" then
    local ds = data.TensorDataset(lucid.randn(case.n, case.F), lucid.randint(1, 11, { case.n }))
    local loader = data.DataLoader(ds, { batch_size = case.N, shuffle = true, seed = 1 })
    local it = loader:iter()
    run = function()
      for _ = 1, case.reps do
        if it() == nil then
          it = loader:iter()
          it()
        end
      end
    end
  else
    local model = nn.Sequential(nn.Linear(case.F, case.H), nn.ReLU(), nn.Linear(case.H, 10))
    local opt = lucid.optim.Adam(model:parameters(), { lr = 1e-3 })
    local loss_fn = nn.CrossEntropyLoss()
    local x, y = lucid.randn(case.N, case.F), lucid.randint(1, 11, { case.N })
    run = function()
      for _ = 1, case.reps do
        opt:zero_grad()
        loss_fn(model(x), y):backward()
        opt:step()
      end
    end
  end
else
  error("bench: unknown kind " .. case.kind)
end

local seconds = common.time(run, 1.0)
local peak = common.memory_kb()
print(string.format("seconds=%.9g peak_kb=%d", seconds / (case.reps or 1), peak))
