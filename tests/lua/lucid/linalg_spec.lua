-- Linear algebra (core/products.c, einsum.c, lapack.c; lua/lucid/linalg.lua):
-- products, einsum, trace, cross, matrix_power, solve, inv, det, cholesky,
-- qr and the norms against PyTorch; gradients; errors.
local lucid = require("lucid")
local H = require("helpers")
local cases = require("op_cases")

local gradcheck = lucid.autograd.gradcheck
local F64 = { dtype = lucid.float64 }

describe("linear algebra against PyTorch", function()
  cases.each("linalg", it)
end)

describe("linear algebra: gradients (float64 gradcheck)", function()
  local function leaf(...) return (lucid.rand({ ... }, F64) - 0.5):requires_grad_() end
  local function spd(x) return x:matmul(x:t()) + lucid.eye(x:size(1), F64) * 3 end
  local one = {
    einsum_trace = { { 3, 3 }, function(x) return lucid.einsum("ii", x) end },
    einsum_diag_sum = { { 3, 3, 2 }, function(x) return lucid.einsum("iij->j", x) end },
    einsum_ellipsis = { { 2, 3, 4 }, function(x) return lucid.einsum("...ij->...ji", x) end },
    trace = { { 3, 4 }, function(x) return x:trace() end },
    matrix_power = { { 3, 3 }, function(x) return (x + lucid.eye(3, F64) * 2):matrix_power(3) end },
    matrix_power_neg = { { 3, 3 }, function(x) return (x + lucid.eye(3, F64) * 2):matrix_power(-2) end },
    inv = { { 3, 3 }, function(x) return lucid.linalg.inv(x + lucid.eye(3, F64) * 2) end },
    det = { { 3, 3 }, function(x) return lucid.linalg.det(x + lucid.eye(3, F64) * 2) end },
    det_batched = { { 2, 3, 3 }, function(x) return lucid.linalg.det(x + lucid.eye(3, F64) * 2) end },
    cholesky = { { 3, 3 }, function(x) return lucid.linalg.cholesky(spd(x)) end },
    qr_q = { { 5, 3 }, function(x) return (lucid.linalg.qr(x)) end },
    qr_r = { { 4, 4 }, function(x) local _, r = lucid.linalg.qr(x); return r end },
    vector_norm_3 = { { 3, 4 }, function(x) return lucid.linalg.vector_norm(x, 3, 2) end },
    matrix_norm_1 = { { 3, 4 }, function(x) return lucid.linalg.matrix_norm(x, 1) end },
    norm_fro = { { 3, 4 }, function(x) return lucid.linalg.norm(x) end },
  }
  for name, c in pairs(one) do
    it(name, function() assert.is_true(gradcheck(c[2], { leaf(table.unpack(c[1])) })) end)
  end
  local two = {
    mm = { { 3, 4 }, { 4, 2 }, function(a, b) return a:mm(b) end },
    bmm = { { 2, 3, 4 }, { 2, 4, 2 }, function(a, b) return a:bmm(b) end },
    einsum_3 = { { 2, 3 }, { 3, 4 }, function(a, b) return lucid.einsum("bn,nm,bm->b", a, b, a:matmul(b)) end },
    einsum_outer_sum = { { 3, 4 }, { 3, 4 }, function(a, b) return lucid.einsum("ij,ij->i", a, b) end },
    addmm = { { 3, 2 }, { 3, 4 }, function(c, a) return lucid.addmm(c, a, a:t():narrow(2, 1, 2), { beta = 0.5, alpha = 2 }) end },
    cross = { { 4, 3 }, { 4, 3 }, function(a, b) return a:cross(b, 2) end },
    solve = { { 3, 3 }, { 3, 2 }, function(a, b) return lucid.linalg.solve(a + lucid.eye(3, F64) * 2, b) end },
    solve_vector = { { 3, 3 }, { 3 }, function(a, b) return lucid.linalg.solve(a + lucid.eye(3, F64) * 2, b) end },
  }
  for name, c in pairs(two) do
    it(name, function() assert.is_true(gradcheck(c[3], { leaf(table.unpack(c[1])), leaf(table.unpack(c[2])) })) end)
  end
end)

describe("linear algebra: extreme arguments", function()
  it("matrix_power takes any int64 exponent (math.mininteger used to loop forever)", function()
    local y = lucid.eye(2):matrix_power(math.mininteger) -- inverse of I, squared 63 times
    assert.are.same({ { 1, 0 }, { 0, 1 } }, y:tolist())
  end)
end)

describe("linear algebra: errors", function()
  it("name the function and what was expected", function()
    H.raises(function() lucid.mm(lucid.zeros(3), lucid.zeros(3, 3)) end, "mm: the first operand must be 2-D, got shape (3)")
    H.raises(function() lucid.bmm(lucid.zeros(2, 3, 4), lucid.zeros(3, 4, 5)) end, "bmm: batch sizes differ: 2 and 3")
    H.raises(function() lucid.einsum("ij,jk", lucid.zeros(2, 3)) end, "einsum: the equation has subscripts for 2 operands, got 1")
    H.raises(function() lucid.einsum("ij", lucid.zeros(2)) end, "einsum: subscripts 'ij' name 2 dims for an operand of 1")
    H.raises(function() lucid.einsum("ij,jk", lucid.zeros(2, 3), lucid.zeros(4, 5)) end, "einsum: subscript 'j' has sizes 3 and 4")
    H.raises(function() lucid.einsum(5) end, "einsum: equation must be a string, got number")
    H.raises(function() lucid.linalg.inv(lucid.zeros(2, 2)) end, "inv: the matrix is singular")
    H.raises(function() lucid.linalg.cholesky(-lucid.eye(2)) end, "cholesky: the matrix is not positive-definite")
    H.raises(function() lucid.linalg.solve(lucid.eye(3), lucid.zeros(2)) end, "solve: B of shape (2) does not fit A of shape (3, 3)")
    H.raises(function() lucid.linalg.det(lucid.zeros(2, 3)) end, "det: expected square matrices")
    H.raises(function() lucid.linalg.inv(lucid.eye(2):long()) end, "inv: expected a float32 or float64 tensor, got int64")
    H.raises(function() lucid.linalg.matrix_norm(lucid.eye(2), "nuc") end, "matrix_norm: ord must be 'fro', 1, -1, inf or -inf")
    H.raises(function() lucid.linalg.vector_norm(lucid.eye(2), 2, 3) end, "vector_norm: dim 3 out of range for a 2-D tensor")
    H.raises(function() lucid.cross(lucid.zeros(2, 2), lucid.zeros(2, 2)) end, "cross: no dim of size 3")
  end)
end)
