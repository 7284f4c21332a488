-- Tensor memory: the bindings tell Lua's collector about tensor bytes, so
-- loops that drop large tensors stay bounded; graphs are freed after
-- backward; `<close>` frees a tensor at the end of its scope.
local lucid = require("lucid")
local H = require("helpers")

local MB = 1024 * 1024

local function settle()
  collectgarbage()
  collectgarbage()
  return lucid.live_bytes()
end

describe("memory", function()
  it("live_bytes counts tensor data", function()
    local before = settle()
    local x = lucid.zeros(MB // 4 * 8) -- 8 MB of float32
    local during = lucid.live_bytes()
    assert.is_true(during - before >= 8 * MB)
    assert.is_true(during - before < 8 * MB + 64 * 1024)
    x = nil -- luacheck: ignore
    assert.is_true(settle() - before < 64 * 1024)
  end)

  it("views share memory: they add no data bytes", function()
    local x = lucid.zeros(MB) -- 4 MB
    local base = lucid.live_bytes()
    local views = {}
    for i = 1, 100 do views[i] = x:view(1024, 1024):t():narrow(1, 1, 10) end
    assert.is_true(lucid.live_bytes() - base < 100 * 4096)
  end)

  it("a loop creating and dropping 200 tensors of 8 MB stays bounded", function()
    local before = settle()
    local lua_before = collectgarbage("count")
    local peak, lua_peak = 0, 0
    for i = 1, 200 do
      local t = lucid.ones(2 * MB) -- 8 MB
      t:mul_(i)
      peak = math.max(peak, lucid.live_bytes() - before)
      lua_peak = math.max(lua_peak, collectgarbage("count") - lua_before)
    end
    -- without accounting, 200 x 8 MB = 1.6 GB would pile up before a collection
    assert.is_true(peak < 200 * MB, string.format("peak %.1f MB of tensors", peak / MB))
    assert.is_true(lua_peak < 16 * 1024, string.format("Lua heap grew by %.1f KB", lua_peak))
    assert.is_true(settle() - before < MB)
  end)

  it("after backward of a 200-step unrolled loop, live_bytes returns near its start", function()
    local w = lucid.randn(64, 64, { dtype = lucid.float64 }) * 0.1
    w:requires_grad_()
    local x0 = lucid.randn(8, 64, { dtype = lucid.float64 })
    local before = settle()
    do
      local h = x0
      for _ = 1, 200 do h = h:matmul(w):tanh() end
      local loss = h:sum()
      local during = lucid.live_bytes()
      assert.is_true(during - before > 200 * 8 * 64 * 8, "the graph holds the saved activations")
      loss:backward()
    end
    local after = settle()
    local grad_bytes = 64 * 64 * 8
    assert.is_not_nil(w.grad)
    assert.is_true(after - before <= grad_bytes + 64 * 1024,
      string.format("%d bytes still live after backward (grad is %d)", after - before, grad_bytes))
  end)

  it("dropping a graph without backward frees it too", function()
    local w = lucid.randn(32, 32, { dtype = lucid.float64, requires_grad = true })
    local before = settle()
    do
      local h = lucid.ones(4, 32, { dtype = lucid.float64 })
      for _ = 1, 200 do h = (h:matmul(w)):sigmoid() end
    end
    assert.is_true(settle() - before < 64 * 1024)
  end)

  it("a deep chain (20000 steps) is freed without overflowing the C stack", function()
    local x = lucid.ones(1, { dtype = lucid.float64, requires_grad = true })
    local before = settle()
    do
      local h = x
      for _ = 1, 20000 do h = h * 1.0001 end
      h:sum():backward()
    end
    assert.is_true(math.abs(x.grad:item() - 1.0001 ^ 20000) < 1e-6 * 1.0001 ^ 20000)
    assert.is_true(settle() - before < 64 * 1024 + 8)
  end)

  it("`local x <close>` frees the tensor at the end of the scope", function()
    local before = settle()
    local inside
    do
      local x <close> = lucid.zeros(1000000) -- 4 MB
      x:fill_(1)
      inside = lucid.live_bytes()
      assert.are.equal(1000000, x:sum():item())
    end
    local after = lucid.live_bytes() -- no collection: closing released it
    assert.is_true(inside - before >= 4000000)
    -- (the 0-dim sum made inside the scope is still live, a few bytes)
    assert.is_true(inside - after >= 4000000 - 1024, string.format("only %d bytes freed", inside - after))
  end)

  -- a tensor whose <close> scope has ended
  local function closed_tensor()
    local y
    do
      local x <close> = lucid.zeros(10)
      y = x
    end
    return y
  end

  it("a closed tensor raises a clear error when used", function()
    local y = closed_tensor()
    H.err_of(function() return y + 1 end)
    assert.matches("closed tensor", H.err_of(function() return y:sum() end))
  end)

  it("views keep their storage alive after the base is closed", function()
    local v
    do
      local x <close> = lucid.arange(10):double()
      v = x:narrow(1, 3, 2)
    end
    collectgarbage()
    assert.are.same({ 2, 3 }, v:tolist())
  end)

  it("operators on a closed tensor say it is closed", function()
    local y = closed_tensor()
    assert.matches("closed tensor", H.err_of(function() return y + 1 end))
    assert.matches("mul: argument 2 is a closed tensor", H.err_of(function() return 2 * y end))
    assert.matches("add_: argument 2 is a closed tensor", H.err_of(function() return lucid.ones(10):add_(y) end))
  end)
end)

describe("temporaries in loops", function()
  -- Lua's collector does not see tensor memory; lucid's accounting runs it
  -- (steps, and a full collection past a threshold that follows the live
  -- size), so a loop making large temporaries stays bounded even over a big
  -- Lua heap such as busted's.
  it("temporaries of method calls and of operators in a loop are collected as they go", function()
    local x = lucid.ones(MB // 2) -- 2 MB
    local function peak_of(body)
      local before = settle()
      local peak = 0
      for _ = 1, 100 do
        body()
        peak = math.max(peak, lucid.live_bytes() - before)
      end
      return peak
    end
    local p1 = peak_of(function() local y = x:mul(2):add(1):exp():sum(); return y end)
    local p2 = peak_of(function() local y = (x * 2 + 1):exp():sum(); return y end)
    assert.is_true(p1 < 100 * MB and p2 < 100 * MB,
      string.format("peaks %.1f MB (methods) and %.1f MB (operators)", p1 / MB, p2 / MB))
  end)
end)

describe("the collector's pace", function()
  -- A loop of 1e5-element temporaries (400 KB each, dropped at once) steps
  -- the collector per MB of growth, and collects fully past 32 MB more than
  -- was live: tensor memory stays under that bound (over a small heap, a few
  -- MB) and does not creep up over a long run. Without the accounting the
  -- 3000 results (1.2 GB) would pile up.
  it("live tensor memory stays flat over 3000 adds of 1e5 elements", function()
    local x, y = lucid.randn(100000), lucid.randn(100000)
    local before = settle()
    local peaks = { 0, 0, 0 }
    for i = 1, 3000 do
      local z = x + y -- luacheck: ignore
      local third = (i - 1) // 1000 + 1
      peaks[third] = math.max(peaks[third], lucid.live_bytes() - before)
    end
    for k = 1, 3 do
      assert.is_true(peaks[k] < 40 * MB, string.format("peak %.1f MB in thousand %d", peaks[k] / MB, k))
    end
    -- flat: the later thousands peak no higher than the first, within a few results
    assert.is_true(math.max(peaks[2], peaks[3]) <= peaks[1] + 2 * MB,
      string.format("peaks %.1f, %.1f, %.1f MB", peaks[1] / MB, peaks[2] / MB, peaks[3] / MB))
    assert.is_true(settle() - before < 64 * 1024)
  end)

  -- Every cycle traverses the whole Lua heap, so what lucid puts there at
  -- start-up sets the cost of each: the op tables' descriptions (a few
  -- hundred tables, for the specs) are made on first read, not at load.
  it("the op tables' descriptions are built on first read", function()
    local process = require("process")
    local script = process.spit([[
      collectgarbage(); collectgarbage()
      local kb = collectgarbage("count")
      assert(rawget(lucid._C, "optable") == nil and rawget(lucid._C, "reducetable") == nil)
      local ops, reds = lucid._C.optable, lucid._C.reducetable
      assert(rawget(lucid._C, "optable") == ops and lucid._C.optable == ops, "kept after the first read")
      collectgarbage(); collectgarbage()
      print(#ops, #reds, collectgarbage("count") - kb)
    ]])
    local out, err, status = process.run(process.LUCID .. " " .. process.q(script))
    os.remove(script)
    assert.are.equal(0, status, err)
    local n_ops, n_reds, grew = out:match("^(%d+)\t(%d+)\t(%S+)")
    assert.is_true(tonumber(n_ops) > 50 and tonumber(n_reds) > 10, out)
    assert.is_true(tonumber(grew) > 20, "the tables were there before: " .. out)
  end)
end)

-- Out of memory in OpenBLAS or libgomp cannot be caught (OpenBLAS retries its buffer
-- allocation forever, libgomp exits): lucid sets both up when it loads and when the
-- thread count changes, so that later a full memory meets lucid's own allocations,
-- which raise errors (issue 12). Run in a child under `ulimit -v`.
describe("out of memory under an address-space limit", function()
  local process = require("process")
  local function limited(code)
    local script = process.spit(code)
    local out, err, status = process.run("ulimit -v 1500000; timeout 120 " .. process.LUCID .. " " .. process.q(script))
    os.remove(script)
    return out, err, status
  end

  it("a full memory gives errors; products and parallel loops then work or fail cleanly", function()
    if os.getenv("ASAN_OPTIONS") then return pending("ASan's shadow memory does not fit under ulimit -v") end
    local out, err, status = limited([[
      lucid.set_num_threads(2)
      local keep, ok, e = {}, true, nil
      while ok do ok, e = pcall(function() keep[#keep + 1] = lucid.ones(16 * 1024 * 1024) end) end
      assert(e:find("out of memory"), e)
      table.remove(keep); table.remove(keep)
      collectgarbage()
      local a = lucid.randn(600, 600)
      for _ = 1, 3 do
        pcall(function() return a:matmul(a):sum():item() end)
        pcall(function() return (lucid.randn(3000000) * 2):exp():sum():item() end)
      end
      keep = nil
      collectgarbage()
      assert(a:matmul(a):size(1) == 600 and (lucid.randn(3000000) * 2):numel() == 3000000)
      print("survived")
    ]])
    assert.are.equal(0, status, err)
    assert.matches("survived", out)
  end)

  it("set_num_threads refuses a count whose BLAS buffers do not fit, instead of hanging", function()
    if os.getenv("ASAN_OPTIONS") then return pending("ASan's shadow memory does not fit under ulimit -v") end
    local out, err, status = limited([[
      print(pcall(lucid.set_num_threads, 64))
      print(lucid.get_num_threads(), (lucid.randn(300, 300):matmul(lucid.randn(300, 300))):size(1))
    ]])
    assert.are.equal(0, status, err)
    assert.matches("false\t.*set_num_threads: out of memory: 64 threads need about 8704 MB", out)
    assert.matches("\n%d+\t300\n", out)
  end)
end)
