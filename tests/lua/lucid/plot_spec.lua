-- lucid.plot (through gnuplot) and lucid.utils.Logger.
local lucid = require("lucid")
local process = require("process")

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

describe("lucid.plot", function()
  it("draws series as text for the terminal, with title, labels and a legend", function()
    local text = lucid.plot({ train = lucid.arange(1, 30):log(), valid = { 3, 2, 1 } },
      { title = "losses", xlabel = "step", print = false, height = 20 })
    assert.truthy(text:find("losses", 1, true))
    assert.truthy(text:find("step", 1, true))
    assert.truthy(text:find("train", 1, true) and text:find("valid", 1, true))
    local lines = 0
    for _ in text:gmatch("\n") do lines = lines + 1 end
    assert.are.equal(20, lines)
  end)

  it("writes PNG and SVG files, log axes too", function()
    local png, svg = os.tmpname() .. ".png", os.tmpname() .. ".svg"
    assert.are.equal(png, lucid.plot({ { x = { 1, 10, 100 }, y = { 1, 0.1, 0.01 }, label = "decay" } },
      { output = png, logx = true, logy = true }))
    lucid.plot(lucid.randn(50), { output = svg, smooth = 5 })
    assert.are.equal("\137PNG", read(png):sub(1, 4))
    assert.truthy(read(svg):find("<svg", 1, true))
    os.remove(png)
    os.remove(svg)
  end)

  it("smooths with a trailing moving average", function()
    assert.are.same({ 1, 1.5, 2.5, 3.5 }, lucid.plot._smooth({ 1, 2, 3, 4 }, 2))
  end)

  it("names the function and the argument on bad input", function()
    assert.has_error(function() lucid.plot(lucid.zeros(2, 2)) end,
      "plot: data must be a 1-D tensor, got shape (2, 2)")
    assert.has_error(function() lucid.plot({ 1, 2 }, { output = "x.jpg" }) end,
      "plot: output must end in .png or .svg, got 'x.jpg'")
    assert.has_error(function() lucid.plot({ 1, 2 }, { smooth = 0 }) end,
      "plot: smooth must be a positive integer (points to average), got 0")
    assert.has_error(function() lucid.plot({ { x = { 1 }, y = { 1, 2 } } }) end,
      "plot: series  has 1 x values and 2 y values")
  end)

  it("says which package to install when gnuplot is missing", function()
    local out, err = process.run("PATH=/nonexistent " .. process.LUCID
      .. " -e 'local ok, e = pcall(lucid.plot, {1, 2}); io.write(e)'")
    assert.are.equal("plot: gnuplot is not installed: install Debian's gnuplot-nox (apt-get install gnuplot-nox)",
      (out:gsub("^[^:]*:%d+: ", "")), err)
  end)
end)

describe("lucid.utils.Logger", function()
  it("records scalars per step and writes them as CSV", function()
    local path = os.tmpname()
    local log = lucid.utils.Logger(path)
    log:log{ loss = 2.5 }
    log:log{ loss = 1.25, acc = lucid.tensor(0.5) }
    log:log{ step = 10, acc = 0.75 }
    assert.are.equal("step,loss,acc\n1,2.5,\n2,1.25,0.5\n10,,0.75\n", read(path))
    assert.are.same({ x = { 2, 10 }, y = { 0.5, 0.75 }, label = "acc" }, log:series("acc"))
    os.remove(path)
  end)

  it("plots its scalars", function()
    local log = lucid.utils.Logger()
    for i = 1, 20 do log:add{ loss = 1 / i } end
    local text = log:plot{ print = false }
    assert.truthy(text:find("loss", 1, true) and text:find("step", 1, true))
  end)

  it("checks what it is given", function()
    local log = lucid.utils.Logger()
    assert.has_error(function() log:log{ loss = "high" } end, "Logger.log: loss must be a number, got string")
    assert.has_error(function() log:log{ step = 1.5, loss = 1 } end, "Logger.log: step must be an integer, got 1.5")
    assert.has_error(function() lucid.utils.Logger(5) end, "Logger: path must be a file name, got number")
  end)
end)
