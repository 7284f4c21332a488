-- lucid.datasets: the data Debian packages ship, parsed into tensors.
local lucid = require("lucid")

local function lines_of(path)
  local n = 0
  for _ in io.lines(path) do n = n + 1 end
  return n
end

describe("lucid.datasets", function()
  local d = lucid.datasets

  it("reads the fortunes as one text, fortunes separated by blank lines", function()
    local text = d.fortunes()
    assert.is_true(#text > 1000000)
    assert.is_nil(text:find("\n%\n", 1, true))
  end)

  it("reads word lists, gzipped ones too", function()
    local words = d.words()
    assert.are.equal(lines_of("/usr/share/dict/words"), #words)
    local names = d.words{ list = "propernames" }
    assert.are.equal("Aaron", names[1])
    assert.is_true(#names > 1000)
    assert.has_error(function() d.words{ list = "klingon" } end,
      "datasets.words: list must be 'words', 'web2', 'propernames' or 'connectives', got klingon")
  end)

  it("reads sunspots and CO2 as tensors, with NaN where CO2 is missing", function()
    local s = d.sunspots()
    assert.are.equal(lines_of("/usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv") - 1,
      s.year:size(1))
    assert.are.same({ 1700, 1701 }, s.year:narrow(1, 1, 2):tolist())
    assert.are.same({ 5, 11 }, s.activity:narrow(1, 1, 2):tolist())
    local c = d.co2()
    assert.are.equal(19580329, c.date[1]:item())
    assert.are.equal(316.1, c.co2[1]:item())
    local nan = c.co2:ne(c.co2):sum():item()
    assert.is_true(nan > 0 and nan < c.co2:numel() / 10)
  end)

  it("reads Seattle's weather: features, 1-based labels and their classes", function()
    local w = d.seattle_weather()
    assert.are.equal(1461, w.features:size(1))
    assert.are.equal(4, w.features:size(2))
    assert.are.same({ "drizzle", "fog", "rain", "snow", "sun" }, w.classes)
    assert.are.equal("2012/01/01", w.dates[1])
    assert.are.equal(1, w.labels[1]:item()) -- drizzle
    assert.are.equal(1, w.labels:min():item())
    assert.are.equal(5, w.labels:max():item())
    assert.is_true(math.abs(w.features[2][1]:item() - 10.9) < 1e-5) -- precipitation, 2 Jan 2012
  end)

  it("parses once: a second call returns the same value", function()
    assert.are.equal(d.sunspots(), d.sunspots())
  end)

  it("names the package to install when its file is missing", function()
    assert.has_error(function() d._need("sunspots", "/nonexistent/sunspots.csv", "python3-statsmodels") end,
      "datasets.sunspots: /nonexistent/sunspots.csv is missing: install Debian's python3-statsmodels "
        .. "(apt-get install python3-statsmodels)")
  end)
end)
