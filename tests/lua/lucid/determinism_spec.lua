-- lucid.use_deterministic_algorithms(true): the same bits at 1, 2 and 3 threads for
-- matrix products, recurrent training steps and reductions (docs/threads.md).
local lucid = require("lucid")
local nn = require("nn")

-- Runs f at 1, 2 and 3 threads in deterministic mode; each run's flat results must be
-- bit-identical (tolist of float64 values, compared with ==).
local function same_at_every_count(f)
  local was_n, was_det = lucid.get_num_threads(), lucid.are_deterministic_algorithms_enabled()
  local runs = {}
  lucid.use_deterministic_algorithms(true)
  for n = 1, 3 do
    lucid.set_num_threads(n)
    lucid.manual_seed(7)
    runs[n] = f()
  end
  lucid.set_num_threads(was_n)
  lucid.use_deterministic_algorithms(was_det)
  for n = 2, 3 do
    for k, t in ipairs(runs[1]) do
      assert.are.same(t:double():view(-1):tolist(), runs[n][k]:double():view(-1):tolist())
    end
  end
end

describe("deterministic algorithms", function()
  it("is off by default and switched by a boolean", function()
    assert.is_false(lucid.are_deterministic_algorithms_enabled())
    lucid.use_deterministic_algorithms(true)
    assert.is_true(lucid.are_deterministic_algorithms_enabled())
    lucid.use_deterministic_algorithms(false)
    assert.is_false(lucid.are_deterministic_algorithms_enabled())
    assert.has_error(function() lucid.use_deterministic_algorithms(1) end)
  end)

  it("matmul and its gradients", function()
    same_at_every_count(function()
      local a = lucid.randn(300, 257, { requires_grad = true })
      local b = lucid.randn(257, 301, { requires_grad = true })
      local y = a:matmul(b)
      y:sin():sum():backward()
      return { y, a.grad, b.grad }
    end)
  end)

  for _, name in ipairs({ "RNN", "GRU", "LSTM", "bidirectional GRU" }) do
    it(name .. " training steps", function()
      same_at_every_count(function()
        -- bidirectional: the directions' loops on their own threads at 2
        local bi = name:match("^bidirectional (.*)")
        local m = nn[bi or name](64, 128, { num_layers = 2, batch_first = true, bidirectional = bi ~= nil })
        local opt = lucid.optim.Adam(m:parameters(), { lr = 0.01 })
        local x = lucid.randn(32, 20, 64)
        for _ = 1, 2 do
          opt:zero_grad()
          local out = m(x)
          out:pow(2):mean():backward()
          opt:step()
        end
        local ps = m:parameters()
        return { ps[1], ps[2], ps[#ps], (m(x)) }
      end)
    end)
  end

  it("reductions", function()
    same_at_every_count(function()
      local x = lucid.randn(512, 300)
      return { x:sum(), x:sum(1), x:sum(2), x:mean(), x:softmax(2), x:log_softmax(1), x:max(2) }
    end)
  end)
end)
