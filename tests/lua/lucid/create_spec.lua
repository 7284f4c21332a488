-- Creation (core/create.c, bindings/lcreate.c) against PyTorch; the *_like and
-- new_* families; diagonal as a view; gradients; errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck

describe("creation functions against PyTorch", function()
  cases.each("create", it)
end)

describe("creation functions: the *_like, new_* and as_tensor families", function()
  local x = lucid.ones(2, 3, { dtype = lucid.float64 })
  it("keep the input's shape and dtype unless told", function()
    for _, f in ipairs({ "empty_like", "rand_like", "randn_like" }) do
      local y = x[f](x)
      assert.are.same({ 2, 3 }, { y:size(1), y:size(2) }, f)
      assert.are.equal(lucid.float64, y.dtype, f)
    end
    assert.are.equal(lucid.float32, x:rand_like({ dtype = lucid.float32 }).dtype)
    local r = x:randint_like(3, 6)
    assert.are.equal(lucid.float64, r.dtype)
    assert.is_true(r:min():item() >= 3 and r:max():item() <= 5)
  end)
  it("new_* take a size and x's dtype", function()
    assert.are.same({ 0, 0 }, x:new_zeros(2):tolist())
    assert.are.same({ { 1, 1 } }, x:new_ones({ 1, 2 }):tolist())
    assert.are.same({ 5, 5 }, x:new_full({ 2 }, 5):tolist())
    assert.are.equal(lucid.float64, x:new_empty(3).dtype)
    assert.are.equal(lucid.int64, x:new_zeros(2, { dtype = lucid.int64 }).dtype)
    local t = x:new_tensor({ 1, 2 })
    assert.are.equal(lucid.float64, t.dtype)
    local w = lucid.ones(2):requires_grad_()
    local c = x:new_tensor(w)
    assert.is_false(c.requires_grad)
    assert.is_false(c:is_same_storage(w))
  end)
  it("as_tensor shares a tensor of the same dtype and converts others", function()
    assert.are.equal(x, lucid.as_tensor(x))
    assert.are.equal(lucid.float32, lucid.as_tensor(x, { dtype = lucid.float32 }).dtype)
    assert.are.same({ 1, 2 }, lucid.as_tensor({ 1, 2 }):tolist())
  end)
  it("diagonal is a view, diag of a matrix a copy", function()
    local m = lucid.zeros(3, 3)
    assert.is_true(m:diagonal():is_same_storage(m))
    assert.is_false(m:diag():is_same_storage(m))
    local g = lucid.meshgrid(lucid.arange(2), lucid.arange(3))
    assert.are.equal(2, #g)
  end)
end)

describe("creation functions: gradients (float64 gradcheck)", function()
  local fns = {
    tril = function(x) return x:tril(-1) end,
    triu = function(x) return x:t():triu(1) end,
    diagonal = function(x) return x:diagonal(1) end,
    diag = function(x) return x:diag() end,
    diag_embed = function(x) return x:diag_embed(-1) end,
    meshgrid = function(x) return lucid.meshgrid(x:select(1, 1), x:select(2, 2))[2] end,
  }
  for name, f in pairs(fns) do
    it(name, function()
      assert.is_true(gradcheck(f, { lucid.rand({ 3, 4 }, { dtype = lucid.float64 }):requires_grad_() }))
    end)
  end
end)

describe("creation functions: errors", function()
  it("name the function and the argument", function()
    H.raises(function() lucid.linspace(0, 1, -1) end, "linspace: steps must be at least 0, got -1")
    H.raises(function() lucid.linspace(0, 1) end, "linspace: steps must be an integer, got no value")
    H.raises(function() lucid.zeros(3):tril() end, "tril: expected a tensor of at least 2 dims, got 1")
    H.raises(function() lucid.zeros(2, 2, 2):diag() end, "diag: expected a 1-D or 2-D tensor, got 3 dims")
    H.raises(function() lucid.zeros(3, 3):diagonal(0, 1, 1) end, "diagonal: expected two different dims")
    H.raises(function() lucid.meshgrid(lucid.zeros(2, 2)) end, "meshgrid: tensor 1 must be 0- or 1-D, got 2 dims")
    H.raises(function() lucid.meshgrid(lucid.zeros(2), { indexing = "yx" }) end, "meshgrid: indexing must be 'ij' or 'xy', got yx")
    H.raises(function() lucid.zeros(2):full_like() end, "full_like: fill_value must be a number, got no value")
  end)
end)
