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

-- Singular vectors are defined up to the sign of each pair (u_i, v_i): each
-- of lucid's pairs is turned to point the way PyTorch's does, then both are
-- compared; of full_matrices' extra vectors (any basis of the complement)
-- only the orthonormality is checked.
describe("svd against PyTorch", function()
  for _, c in ipairs(cases.cases("svd")) do
    it(c.name, function()
      local a = H.tensor_from_fixture(c.inputs[1])
      if c.transpose and a:dim() >= 2 then a = a:transpose(-1, -2) end
      local u, s, vh = lucid.linalg.svd(a, c.opts or c.args[1])
      H.assert_close(s, c.expected[2], nil, nil, "S")
      local k = s:size(-1)
      local U, Vh = H.tensor_from_fixture(c.expected[1]), H.tensor_from_fixture(c.expected[3])
      assert.are.same(U.shape, u.shape)
      assert.are.same(Vh.shape, vh.shape)
      if k > 0 then
        local uk, vk = u:narrow(-1, 1, k), vh:narrow(-2, 1, k)
        local sign = (uk * U:narrow(-1, 1, k)):sum(-2, true):sign()       -- (..., 1, k): +-1
        H.assert_close(uk * sign, U:narrow(-1, 1, k), nil, 1e-5, "U")
        H.assert_close(vk * sign:transpose(-1, -2), Vh:narrow(-2, 1, k), nil, 1e-5, "Vh")
      end
      local tol = a.dtype == lucid.float64 and 1e-12 or 1e-5
      local m, n = u:size(-1), vh:size(-2)
      H.assert_close(u:transpose(-1, -2):matmul(u), lucid.eye(m, { dtype = a.dtype }):expand(u:transpose(-1, -2):matmul(u).shape), 0, tol, "U^T U")
      H.assert_close(vh:matmul(vh:transpose(-1, -2)), lucid.eye(n, { dtype = a.dtype }):expand(vh:matmul(vh:transpose(-1, -2)).shape), 0, tol, "Vh Vh^T")
    end)
  end
end)

describe("linear algebra: gradients against PyTorch", function()
  cases.each_grad("linalg_grad", it)
end)

describe("svd, svdvals, the singular norms and wide qr: float64 gradcheck", function()
  lucid.manual_seed(5)
  local function leaf(...) return lucid.randn({ ... }, F64):requires_grad_() end
  for _, shape in ipairs({ { 4, 3 }, { 3, 5 }, { 3, 3 }, { 2, 3, 4 } }) do
    local label = table.concat(shape, "x")
    it("svd " .. label .. ": U diag(w) Vh, U U^T, Vh^T Vh and S (sign-invariant functions)", function()
      local k = math.min(shape[#shape], shape[#shape - 1])
      local w = lucid.randn(k, F64)
      for _, full in ipairs({ false, true }) do
        local function parts(x)
          local u, s, vh = lucid.linalg.svd(x, full)
          return u:narrow(-1, 1, k), s, vh:narrow(-2, 1, k)
        end
        assert.is_true(gradcheck(function(x) local u, _, vh = parts(x); return (u * w):matmul(vh) end, { leaf(table.unpack(shape)) }))
        assert.is_true(gradcheck(function(x) local u = parts(x); return u:matmul(u:transpose(-1, -2)) end, { leaf(table.unpack(shape)) }))
        assert.is_true(gradcheck(function(x) local _, s, vh = parts(x); return vh:transpose(-1, -2):matmul(vh) * s:sum() end, { leaf(table.unpack(shape)) }))
      end
      assert.is_true(gradcheck(function(x) return lucid.linalg.svdvals(x) end, { leaf(table.unpack(shape)) }))
    end)
    it("matrix_norm 'nuc', 2, -2 and norm " .. label, function()
      for _, ord in ipairs({ "nuc", 2, -2 }) do
        assert.is_true(gradcheck(function(x) return lucid.linalg.matrix_norm(x, ord) end, { leaf(table.unpack(shape)) }))
      end
      assert.is_true(gradcheck(function(x) return lucid.linalg.norm(x, "nuc", { 1, -1 }, true) end, { leaf(table.unpack(shape)) }))
    end)
  end
  it("qr of wide matrices (fewer rows than columns), batched too", function()
    for _, shape in ipairs({ { 3, 5 }, { 2, 3, 4 }, { 1, 3 } }) do
      assert.is_true(gradcheck(function(x) return (lucid.linalg.qr(x)) end, { leaf(table.unpack(shape)) }))
      assert.is_true(gradcheck(function(x) local _, r = lucid.linalg.qr(x); return r end, { leaf(table.unpack(shape)) }))
      assert.is_true(gradcheck(function(x) local q, r = lucid.linalg.qr(x); return q:matmul(r:narrow(-1, 1, 1)) + r:sum() end, { leaf(table.unpack(shape)) }))
    end
  end)
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
    H.raises(function() lucid.linalg.matrix_norm(lucid.eye(2), 3) end,
      "matrix_norm: ord must be 'fro', 'nuc', 1, -1, 2, -2, inf or -inf, got 3")
    H.raises(function() lucid.linalg.svd(lucid.zeros(3)) end, "svd: expected matrices (a tensor of at least 2 dims), got shape (3)")
    H.raises(function() lucid.linalg.svdvals(lucid.eye(2):long()) end, "svdvals: expected a float32 or float64 tensor, got int64")
    H.raises(function() lucid.linalg.svd(lucid.eye(2), { full_matrices = "no" }) end,
      "svd: full_matrices must be a boolean, got string")
    H.raises(function() lucid.linalg.svd(lucid.tensor({ { 0 / 0, 1 }, { 1, 1 } })) end,
      "svd: the input contains non-finite values (inf or NaN)")
    H.raises(function() lucid.linalg.vector_norm(lucid.eye(2), 2, 3) end, "vector_norm: dim 3 out of range for a 2-D tensor")
    H.raises(function() lucid.cross(lucid.zeros(2, 2), lucid.zeros(2, 2)) end, "cross: no dim of size 3")
  end)
end)
