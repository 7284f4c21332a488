-- Shape functions (core/shape.c, bindings/lshape.c) against PyTorch: which of
-- them are views, their gradients and their errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck

describe("shape functions against PyTorch", function()
  cases.each("shape", it)
end)

describe("shape functions: views where PyTorch returns views", function()
  local x = lucid.zeros(2, 3, 4)
  local views = {
    flatten = function() return x:flatten() end,
    unflatten = function() return x:unflatten(3, { 2, 2 }) end,
    unbind = function() return x:unbind(2)[2] end,
    movedim = function() return x:movedim(1, 3) end,
    swapaxes = function() return x:swapaxes(1, 2) end,
    swapdims = function() return x:swapdims(1, 2) end,
    squeeze = function() return x:view(2, 1, 12):squeeze({ 2 }) end,
    tensor_split = function() return x:tensor_split(2, 3)[2] end,
    hsplit = function() return x:hsplit(3)[1] end,
    vsplit = function() return x:vsplit(2)[1] end,
    broadcast_to = function() return x:broadcast_to(5, 2, 3, 4) end,
    broadcast_tensors = function() return lucid.broadcast_tensors(x, lucid.zeros(4))[1] end,
    reshape_as = function() return x:reshape_as(lucid.zeros(6, 4)) end,
  }
  for name, f in pairs(views) do
    it(name .. " shares the input's memory", function() assert.is_true(f():is_same_storage(x)) end)
  end
  local copies = {
    flip = function() return x:flip(1) end, roll = function() return x:roll(1, 1) end,
    tile = function() return x:tile(1, 1, 1) end, rot90 = function() return x:rot90() end,
    narrow_copy = function() return x:narrow_copy(1, 1, 1) end,
    repeat_interleave = function() return x:repeat_interleave(1) end,
  }
  for name, f in pairs(copies) do
    it(name .. " copies", function() assert.is_false(f():is_same_storage(x)) end)
  end
end)

describe("shape functions: gradients (float64 gradcheck)", function()
  local fns = {
    flip = function(x) return x:flip({ 1, 2 }) end,
    roll = function(x) return x:roll({ 1, -2 }, { 1, 2 }) end,
    tile = function(x) return x:tile(2, 1, 2) end,
    repeat_interleave = function(x) return x:repeat_interleave(lucid.tensor({ 2, 0, 1 }), 1) end,
    rot90 = function(x) return x:rot90(3) end,
    flatten = function(x) return x:t():flatten() end,
    movedim = function(x) return x:movedim(1, 2) end,
    unbind = function(x) return x:unbind(2)[3] end,
    tensor_split = function(x) return x:tensor_split({ 2 }, 2)[2] end,
    hstack = function(x) return lucid.hstack({ x, x:t():t() }) end,
    dstack = function(x) return lucid.dstack({ x, x }) end,
    column_stack = function(x) return lucid.column_stack({ x, x:select(2, 1) }) end,
    broadcast_tensors = function(x) return lucid.broadcast_tensors(x, x:select(1, 1))[2] end,
    narrow_copy = function(x) return x:narrow_copy(2, 2, 2) end,
  }
  for name, f in pairs(fns) do
    it(name, function()
      local x = lucid.rand({ 3, 4 }, { dtype = lucid.float64 }):requires_grad_()
      assert.is_true(gradcheck(f, { x }))
    end)
  end
end)

describe("shape functions: errors", function()
  local x = lucid.zeros(2, 3)
  it("name the function and what was wrong", function()
    H.raises(function() x:flip(3) end, "flip: dim 3 out of range")
    H.raises(function() x:flip({ 1, 1 }) end, "flip: dim 1 appears more than once")
    H.raises(function() x:flip() end, "flip: dims must be given")
    H.raises(function() x:roll({ 1, 2 }, 1) end, "roll: shifts and dims must have as many entries, got 2 and 1")
    H.raises(function() x:tile(2) end, "tile: expected at least 2 repetitions (one per dim), got 1")
    H.raises(function() x:unflatten(2, { 2, 2 }) end, "unflatten: sizes (2, 2) do not multiply to the size 3 of dim 2")
    H.raises(function() x:flatten(2, 1) end, "flatten: start_dim 2 comes after end_dim 1")
    H.raises(function() x:movedim({ 1, 1 }, { 1, 2 }) end, "movedim: dim 1 is repeated in source")
    H.raises(function() x:hsplit(2) end, "hsplit: the size 3 of dim 2 is not divisible by 2 sections")
    H.raises(function() lucid.zeros(3):vsplit(1) end, "vsplit: expected a tensor of at least 2 dims, got 1")
    H.raises(function() x:rot90(1, { 1, 1 }) end, "rot90: the two dims must differ")
    H.raises(function() lucid.vstack(x) end, "vstack: tensors must be a table of tensors")
    H.raises(function() x:repeat_interleave(lucid.tensor({ 1, 2 }), 2) end,
      "repeat_interleave: repeats must be an integer or a 1-D int64 tensor of 3 entries")
    H.raises(function() x:repeat_interleave(-1) end, "repeat_interleave: repeats must be at least 0, got -1")
    H.raises(function() lucid.broadcast_tensors(x, lucid.zeros(4)) end, "broadcast_tensors")
  end)
end)
