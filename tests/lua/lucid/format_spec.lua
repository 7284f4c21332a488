-- tostring(x) (API.md "Tensors": out): values in aligned columns, a Torch7
-- style footer naming the type and size, large tensors summarised with "...".
local lucid = require("lucid")

local function lines_of(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  return out
end

local function last_line(s)
  local l = lines_of(s)
  return l[#l]
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

describe("tostring of tensors", function()
  it("ends with a footer naming dtype and shape: [ lucid.FloatTensor of size (5, 3, 20) ]", function()
    local s = tostring(lucid.zeros(5, 3, 20))
    assert.are.equal("[ lucid.FloatTensor of size (5, 3, 20) ]", last_line(s))
    assert.are.equal("[ lucid.DoubleTensor of size (2, 2) ]", last_line(tostring(lucid.ones(2, 2, { dtype = lucid.float64 }))))
    assert.are.equal("[ lucid.LongTensor of size (3) ]", last_line(tostring(lucid.arange(3))))
  end)

  it("prints a 3-D tensor as one matrix block per leading index", function()
    local s = tostring(lucid.zeros(5, 3, 20))
    for i = 1, 5 do assert.is_not_nil(s:find("(" .. i .. ",.,.) = ", 1, true), "block " .. i) end
    assert.are.equal(5, count(s, "%(%d,%.,%.%) = "))
    -- 5 blocks of 3 rows of 20 zeros
    local rows = 0
    for _, l in ipairs(lines_of(s)) do
      if l:match("^0%.") then
        rows = rows + 1
        assert.are.equal(20, count(l, "0%."))
      end
    end
    assert.are.equal(15, rows)
  end)

  it("prints values with four decimals aligned in columns", function()
    local s = tostring(lucid.tensor({ { 1.5, -2.25 }, { 3, 4 } }))
    assert.are.same({ " 1.5000 -2.2500", " 3.0000  4.0000", "[ lucid.FloatTensor of size (2, 2) ]" }, lines_of(s))
  end)

  it("prints whole numbers with a trailing dot and int64 as integers", function()
    assert.are.same({ "1. 2.", "[ lucid.FloatTensor of size (1, 2) ]" }, lines_of(tostring(lucid.tensor({ { 1.0, 2.0 } }))))
    assert.are.same({ " -5 123", "[ lucid.LongTensor of size (2) ]" }, lines_of(tostring(lucid.tensor({ -5, 123 }))))
    local big = (1 << 62) + 1
    assert.is_not_nil(tostring(lucid.tensor({ big })):find(tostring(big), 1, true))
  end)

  it("prints float64 values with the DoubleTensor footer", function()
    local s = tostring(lucid.tensor({ 0.125, 2 }, { dtype = lucid.float64 }))
    assert.are.same({ "0.1250 2.0000", "[ lucid.DoubleTensor of size (2) ]" }, lines_of(s))
  end)

  it("uses scientific notation for tiny or huge magnitudes", function()
    local s = tostring(lucid.tensor({ 1e-6, 1 }, { dtype = lucid.float64 }))
    assert.are.same({ "1.0000e-06 1.0000e+00", "[ lucid.DoubleTensor of size (2) ]" }, lines_of(s))
    assert.is_not_nil(tostring(lucid.tensor({ 123456.5 }, { dtype = lucid.float64 })):find("1.2346e+05", 1, true))
  end)

  it("prints nan and infinities", function()
    local s = tostring(lucid.tensor({ 0 / 0, 1 / 0, -1 / 0, 1.5 }))
    assert.are.same({ "   nan    inf   -inf 1.5000", "[ lucid.FloatTensor of size (4) ]" }, lines_of(s))
  end)

  it("prints a 0-dim tensor as its value and size ()", function()
    assert.are.same({ "3.5000", "[ lucid.FloatTensor of size () ]" }, lines_of(tostring(lucid.tensor(3.5))))
    assert.are.same({ "7", "[ lucid.LongTensor of size () ]" }, lines_of(tostring(lucid.tensor(7))))
  end)

  it("prints a vector on one row, summarised when wider than 80 columns", function()
    assert.are.same({ "0 1 2 3 4", "[ lucid.LongTensor of size (5) ]" }, lines_of(tostring(lucid.arange(5))))
    assert.are.same({ "  0   1   2 ... 997 998 999", "[ lucid.LongTensor of size (1000) ]" },
      lines_of(tostring(lucid.arange(1000))))
    local row = lines_of(tostring(lucid.arange(27)))[1] -- 27 * 3 - 1 = 80 columns: whole
    assert.are.equal(80, #row)
    assert.is_nil(row:find("...", 1, true))
    assert.is_not_nil(lines_of(tostring(lucid.arange(28)))[1]:find(" 2 ... 25 ", 1, true))
  end)

  it("prints an empty tensor as just the footer", function()
    assert.are.equal("[ lucid.FloatTensor of size (0) ]", tostring(lucid.zeros(0)))
    assert.are.equal("[ lucid.DoubleTensor of size (0) ]", tostring(lucid.tensor({}, { dtype = lucid.float64 })))
  end)

  it("summarises large tensors with ... keeping the first and last three entries", function()
    local s = tostring(lucid.arange(2000))
    assert.are.same({ "   0    1    2 ... 1997 1998 1999", "[ lucid.LongTensor of size (2000) ]" }, lines_of(s))
    local m = lines_of(tostring(lucid.arange(10000):view(100, 100)))
    assert.are.equal(8, #m) -- 3 rows, ..., 3 rows, footer
    assert.are.equal("...", m[4])
    assert.is_not_nil(m[1]:find("^%s*0%s+1%s+2 %.%.%. %s*97%s+98%s+99$"), m[1])
    assert.is_not_nil(m[7]:find("^9900 9901 9902 %.%.%. 9997 9998 9999$"), m[7])
    assert.are.equal("[ lucid.LongTensor of size (100, 100) ]", m[8])
    -- a small tensor is printed in full
    assert.is_nil(tostring(lucid.zeros(10, 100)):find("...", 1, true))
  end)

  it("prints non-contiguous tensors by their logical order", function()
    local s = tostring(lucid.tensor({ { 1, 2 }, { 3, 4 } }):t())
    assert.are.same({ "1 3", "2 4", "[ lucid.LongTensor of size (2, 2) ]" }, lines_of(s))
  end)

  it("marks tensors that require grad or have a grad_fn in the footer", function()
    local x = lucid.ones(2, { requires_grad = true })
    assert.are.equal("[ lucid.FloatTensor of size (2), requires_grad ]", last_line(tostring(x)))
    assert.matches("^%[ lucid%.FloatTensor of size %(2%), grad_fn=%w+ %]$", last_line(tostring(x * 2)))
  end)

  it("tostring of dtypes and shapes", function()
    assert.are.equal("lucid.float32", tostring(lucid.float32))
    assert.are.equal("lucid.int64", tostring(lucid.int64))
    assert.are.equal("(5, 3, 8)", tostring(lucid.zeros(5, 3, 8).shape))
  end)
end)
