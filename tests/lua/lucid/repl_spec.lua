-- lucid.repl: what the launcher's REPL prints, completes and finds in docs/
-- (tests/launcher/launcher_spec.lua drives the same through a terminal).
local lucid = require("lucid")
local nn = require("nn")
local repl = require("lucid.repl")

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

describe("lucid.repl", function()
  describe("format", function()
    it("prints values tab-separated, strings quoted only inside tables", function()
      assert.are.equal('a\t1\tnil\t{1, 2, name = "s\\n", [3.5] = true}',
        repl.format("a", 1, nil, { 1, 2, name = "s\n", [3.5] = true }))
      assert.are.equal("{{{{...}}}}", repl.format({ { { { { 1 } } } } }))
    end)

    it("prints a table of tensors as a tree, each tensor below its key", function()
      local text = repl.format({ w = lucid.tensor({ 1, 2 }), n = 3, inner = { lucid.tensor(5) } })
      assert.are.equal(table.concat({
        "{",
        "  inner = {",
        "    [1] =",
        "      5",
        "      [ lucid.LongTensor of size () ]",
        "  }",
        "  n = 3",
        "  w =",
        "    1 2",
        "    [ lucid.LongTensor of size (2) ]",
        "}",
      }, "\n"), text)
    end)

    it("prints modules in a table below their keys too", function()
      assert.are.equal(table.concat({
        "{",
        "  act = Tanh()",
        "  net =",
        "    Sequential(",
        "      (0): Linear(in_features=2, out_features=1, bias=True)",
        "    )",
        "}",
      }, "\n"), repl.format({ net = nn.Sequential(nn.Linear(2, 1)), act = nn.Tanh() }))
    end)
  end)

  describe("complete", function()
    -- completion walks the globals, where the launcher puts lucid and nn
    local saved
    setup(function()
      saved = { lucid = rawget(_G, "lucid"), nn = rawget(_G, "nn") }
      _G.lucid, _G.nn = lucid, nn
    end)
    teardown(function() _G.lucid, _G.nn = saved.lucid, saved.nn end)

    it("offers names of lazily loaded modules before their first use", function()
      local names = set(repl.complete("nn.GRU"))
      assert.is_true(names["nn.GRU"] and names["nn.GRUCell"])
      assert.is_true(set(repl.complete("lucid.op"))["lucid.optim"])
      assert.is_true(set(repl.complete("nn.utils.r"))["nn.utils.rnn"])
      assert.is_true(set(repl.complete("nn.functional.li"))["nn.functional.linear"])
    end)

    it("offers a tensor's fields and methods, and only methods after ':'", function()
      _G.repl_spec_x = lucid.zeros(2)
      local dot, colon = set(repl.complete("repl_spec_x.")), set(repl.complete("repl_spec_x:"))
      _G.repl_spec_x = nil
      for _, field in ipairs({ "shape", "dtype", "grad", "requires_grad" }) do
        assert.is_true(dot["repl_spec_x." .. field], field)
        assert.is_nil(colon["repl_spec_x:" .. field], field)
      end
      assert.is_true(dot["repl_spec_x.matmul"] and colon["repl_spec_x:matmul"])
    end)

    it("offers a module's parameters, children and methods, and walks into them", function()
      _G.repl_spec_m = nn.Sequential(nn.Linear(2, 3))
      _G.repl_spec_m:add_module("rnn", nn.GRU(3, 4))
      local dot = set(repl.complete("repl_spec_m.rnn.we"))
      local colon = set(repl.complete("repl_spec_m:state"))
      local deep = set(repl.complete("repl_spec_m.rnn.weight_ih_l0:num"))
      _G.repl_spec_m = nil
      assert.is_true(dot["repl_spec_m.rnn.weight_ih_l0"] and dot["repl_spec_m.rnn.weight_hh_l0"])
      assert.is_true(colon["repl_spec_m:state_dict"])
      assert.is_true(deep["repl_spec_m.rnn.weight_ih_l0:numel"])
    end)

    it("never offers private names", function()
      for _, prefix in ipairs({ "lucid.", "lucid._", "nn.Module:", "" }) do
        for _, c in ipairs(repl.complete(prefix)) do
          assert.is_nil(c:match("[.:]_") or c:match("^_"), c)
        end
      end
    end)

    it("offers nothing inside lucid._C, the private entry points", function()
      assert.is_function(lucid._C.rnn_layer)
      assert.are.same({}, repl.complete("lucid._C."))
      assert.are.same({}, repl.complete("lucid._C.rnn"))
      assert.is_true(#repl.complete("_G.string.") > 0) -- _G is no private name
    end)
  end)

  describe("doc", function()
    it("finds the entry of a function, method or module in docs/", function()
      local where, text, code = repl.doc("lucid.zeros")
      assert.are.equal("docs/tensors.md", where)
      assert.are.equal("lucid.zeros(sizes…)", code)
      assert.truthy(text:find("## Creation", 1, true))
      where, _, code = repl.doc("nn.functional.linear")
      assert.are.equal("docs/nn.md", where)
      assert.are.equal("F.linear(input, weight [, bias])", code)
      where, text = repl.doc("nn.functional")
      assert.truthy(text:find("^## `nn.functional`"), text)
      assert.is_nil(repl.doc("no_such_name_anywhere"))
    end)

    it("help(value) finds the value's name, an instance its class's", function()
      local printed = {}
      local print0 = _G.print
      _G.print = function(s) printed[#printed + 1] = s end
      repl.help(nn.GRU)
      repl.help(lucid.cat)
      repl.help(lucid.zeros(1).matmul)
      repl.help(nn.Linear(2, 3)) -- an instance: its class's entry
      _G.print = print0
      assert.truthy(printed[1]:find("^docs/recurrent.md\n"), printed[1])
      assert.truthy(printed[2]:find("`lucid.cat(list, dim)`", 1, true), printed[2])
      assert.truthy(printed[3]:find("`x:matmul(y)`", 1, true), printed[3])
      assert.truthy(printed[4]:find("| `nn.Linear(in_features, out_features", 1, true), printed[4])
    end)
  end)
end)
