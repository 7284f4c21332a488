-- tools/gen_annotations.lua: the LuaLS annotation files cover the whole live
-- public API, with the signatures docs/ gives, and the build's copy is the
-- current one (so the installed files cannot go stale).
local process = require("process")
local q, read = process.q, process.read

local lucid = require("lucid")
local nn = require("nn")

-- Runs the generator (with the launcher) into a fresh folder.
local function generate()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  local _, err, code = process.run(string.format("cd %s && %s tools/gen_annotations.lua %s",
    q(process.ROOT), process.LUCID, q(dir)))
  assert.are.equal(0, code, err)
  local files = { lucid = read(dir .. "/lucid.lua"), nn = read(dir .. "/nn.lua") }
  os.execute("rm -rf " .. q(dir))
  return files
end

local function has(text, line) return text:find("\n" .. line, 1, true) ~= nil end

describe("tools/gen_annotations.lua", function()
  local files
  setup(function() files = generate() end)

  it("writes two meta files that load as Lua", function()
    assert.truthy(files.lucid:find("^%-%-%-@meta lucid\n"))
    assert.truthy(files.nn:find("^%-%-%-@meta nn\n"))
    assert.truthy(load(files.lucid, "=lucid.lua"))
    assert.truthy(load(files.nn, "=nn.lua"))
  end)

  it("annotates every public lucid function and Tensor method", function()
    local count = 0
    for k, v in pairs(lucid) do
      if type(v) == "function" and k:sub(1, 1) ~= "_" then
        assert.truthy(has(files.lucid, "function lucid." .. k .. "("), "lucid." .. k)
        count = count + 1
      end
    end
    for k, v in pairs(lucid.Tensor) do
      if type(v) == "function" and k:sub(1, 1) ~= "_" then
        assert.truthy(has(files.lucid, "function Tensor:" .. k .. "("), "Tensor:" .. k)
        count = count + 1
      end
    end
    assert.is_true(count > 100)
    assert.falsy(files.lucid:find("function lucid._", 1, true))
    -- nothing of lucid._C, the private entry points (kernels, spec tables)
    assert.is_function(lucid._C.adam_step)
    for _, private in ipairs({ "_C", "adam_step", "rnn_layer", "optable", "set_data" }) do
      assert.falsy(files.lucid:find(private, 1, true), private)
    end
    for _, field in ipairs({ "shape integer[]", "dtype lucid.dtype", "grad lucid.Tensor?", "requires_grad boolean" }) do
      assert.truthy(has(files.lucid, "---@field " .. field), field)
    end
  end)

  it("annotates every nn class, nn.functional and the optimizers", function()
    for _, name in ipairs(getmetatable(nn).__lazy()) do
      local v = nn[name]
      if type(v) == "table" and getmetatable(v) and getmetatable(v).__call then
        assert.truthy(files.nn:find("\n%-%-%-@class nn%." .. name .. "[ \n]"), "nn." .. name)
      end
    end
    for k, v in pairs(nn.functional) do
      if type(v) == "function" and k:sub(1, 1) ~= "_" then
        assert.truthy(has(files.nn, "function nn.functional." .. k .. "("), "F." .. k)
      end
    end
    for _, k in ipairs({ "SGD", "Adam", "AdamW" }) do
      assert.truthy(has(files.lucid, "---@class lucid.optim." .. k .. " : lucid.optim.Optimizer"), k)
    end
    assert.truthy(has(files.lucid, "function lucid.optim.Optimizer:step("))
  end)

  it("takes signatures from docs/", function()
    assert.truthy(has(files.nn, "---@class nn.GRU : nn.RNNBase\n---@overload fun(input_size: integer, "
      .. "hidden_size: integer, num_layers?: any, bias?: any, batch_first?: any, dropout?: any, "
      .. "bidirectional?: any): nn.GRU"), files.nn:match("\n[^\n]*nn.GRU[^\n]*"))
    assert.truthy(has(files.nn, "---@param input lucid.Tensor\n---@param weight lucid.Tensor\n"
      .. "---@param bias? any\n---@return lucid.Tensor\nfunction nn.functional.linear(input, weight, bias) end"))
    assert.truthy(has(files.lucid, "--- lucid.zeros(sizes…) (docs/tensors.md)\n---@param ... any\n"
      .. "---@return lucid.Tensor\nfunction lucid.zeros(...) end"))
    assert.truthy(has(files.lucid, "---@return number\nfunction Tensor:item() end"))
  end)

  it("matches the build's copy, which make install installs", function()
    for name, text in pairs(files) do
      local built = read(process.ROOT .. "/build/types/" .. name .. ".lua")
      assert.are.equal(text, built, "build/types/" .. name .. ".lua is stale: run make")
    end
  end)
end)
