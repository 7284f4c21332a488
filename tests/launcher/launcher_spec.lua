-- The launcher, build/bin/lucid, run as a separate process: command line,
-- exit statuses, and the REPL through a pseudo-terminal.
--
-- Run from the project root with `busted tests/launcher`. LUCID_BIN points
-- the tests at another build of the launcher (e.g. build-launcher/bin/lucid).

local process = require("process")
local q, slurp, spit = process.q, process.slurp, process.spit

local ROOT = process.ROOT
local SCRIPTS = ROOT .. "/tests/launcher/scripts"
local BIN = process.BIN
local BANNER = "lucid 0.1 (Lua 5.4)"

-- Runs the launcher with a shell-quoted argument string and optional stdin;
-- returns stdout, stderr and the exit status.
local function run(args, stdin)
  return process.run(q(BIN) .. " " .. (args or ""), stdin)
end

local function lines(s)
  local t = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do t[#t + 1] = line end
  return t
end

-- Index of the first line equal to `want` at or after line `from`, or nil.
-- Leading prompts are ignored: without readline nothing echoes the input,
-- so results follow the prompt on the same line.
local function find_line(ls, want, from)
  for i = from or 1, #ls do
    if ls[i] == want or ls[i]:gsub("^[> ]*> ", "") == want then return i end
  end
end

local function has_pty()
  local ok = os.execute("command -v script >/dev/null 2>&1")
  return ok == true or ok == 0 -- Lua 5.2+ or 5.1
end

-- Runs the REPL in a pseudo-terminal (util-linux `script`), feeding it
-- `steps`: strings to type, or numbers of seconds to wait (for Ctrl-C, which
-- the terminal turns into SIGINT as soon as it is typed). Returns the lines
-- printed after the banner (escape sequences and CRs removed), the history
-- file's text and the exit status. `history` is the history file's text at
-- start. `timeout` ends a session that a bad input left waiting at the prompt.
local function repl(steps, args, history)
  local home = os.tmpname()
  os.remove(home)
  os.execute("mkdir -p " .. q(home))
  if history then -- a history file left by an earlier session
    local f = assert(io.open(home .. "/.lucid_history", "w"))
    f:write(history)
    f:close()
  end
  local feed = {}
  for _, step in ipairs(steps) do
    if type(step) == "number" then
      feed[#feed + 1] = "sleep " .. step
    else
      feed[#feed + 1] = "printf '%s' " .. q(step)
    end
  end
  local out, code = os.tmpname(), os.tmpname()
  local cmd = string.format(
    "(%s) | HOME=%s TERM=dumb timeout 10 script -qec %s /dev/null >%s 2>&1; echo $? >%s",
    table.concat(feed, "; "), q(home), q(q(BIN) .. " " .. (args or "")), q(out), q(code))
  os.execute(cmd)
  local text = slurp(out):gsub("\r", ""):gsub("\27%[[%d;?]*%a", ""):gsub("\7", "")
  local history = slurp(home .. "/.lucid_history")
  os.execute("rm -rf " .. q(home))
  local start = text:find(BANNER, 1, true)
  return lines(start and text:sub(start) or ""), history, tonumber(slurp(code)), text
end

describe("lucid launcher", function()
  setup(function()
    local f = io.open(BIN, "rb")
    assert(f, "launcher not built: " .. BIN .. " (set LUCID_BIN to override)")
    f:close()
  end)

  describe("command line", function()
    it("prints the version with -v", function()
      local out, _, code = run("-v")
      assert.are.equal(BANNER .. "\n", out)
      assert.are.equal(0, code)
    end)

    it("prints usage with -h", function()
      local out, _, code = run("-h")
      assert.truthy(out:find("usage: lucid", 1, true))
      assert.truthy(out:find("-e stat", 1, true))
      assert.are.equal(0, code)
    end)

    it("prints usage with --help and the version with --version", function()
      local out, _, code = run("--help")
      assert.truthy(out:find("^usage: lucid"), out)
      assert.truthy(out:find("--version", 1, true), out)
      assert.are.equal(0, code)
      out, _, code = run("--version")
      assert.are.equal(BANNER .. "\n", out)
      assert.are.equal(0, code)
      local _, err
      _, err, code = run("--nope")
      assert.truthy(err:find("unrecognized option '--nope'", 1, true), err)
      assert.are.equal(1, code)
    end)

    it("runs LUA_INIT_5_4, else LUA_INIT, before -e, as lua5.4 does; -E skips it", function()
      local out, err, code = run("-e 'print(seen)'")
      assert.are.equal("nil\n", out, err)
      out, err, code = process.run("LUA_INIT='seen = type(lucid)' " .. q(BIN) .. " -e 'print(seen)'")
      assert.are.equal("table\n", out, err)
      assert.are.equal(0, code)
      out = process.run("LUA_INIT='seen = 1' LUA_INIT_5_4='seen = 2' " .. q(BIN) .. " -e 'print(seen)'")
      assert.are.equal("2\n", out)
      local init = spit("seen = 'from a file'")
      out = process.run("LUA_INIT=@" .. q(init) .. " " .. q(BIN) .. " -e 'print(seen)'")
      os.remove(init)
      assert.are.equal("from a file\n", out)
      out = process.run("LUA_INIT='seen = 1' " .. q(BIN) .. " -E -e 'print(seen)'")
      assert.are.equal("nil\n", out)
      out, err, code = process.run("LUA_INIT='error(\"bad init\")' " .. q(BIN) .. " -e 'print(1)'")
      assert.are.equal("", out)
      assert.truthy(err:find("LUA_INIT:1: bad init", 1, true), err)
      assert.are.equal(1, code)
    end)

    it("rejects an unknown option with usage and status 1", function()
      local out, err, code = run("-Z")
      assert.are.equal("", out)
      assert.truthy(err:find("unrecognized option '-Z'", 1, true))
      assert.truthy(err:find("usage:", 1, true))
      assert.are.equal(1, code)
    end)

    it("runs -e code", function()
      local out, err, code = run("-e " .. q("print(1 + 2)"))
      assert.are.equal("3\n", out)
      assert.are.equal("", err)
      assert.are.equal(0, code)
    end)

    it("runs several -e in order, sharing globals", function()
      local out, _, code = run("-e 'x = 20' -e 'x = x + 1' -e 'print(x)' -e'print(\"joined\")'")
      assert.are.equal("21\njoined\n", out)
      assert.are.equal(0, code)
    end)

    it("defines the lucid and nn globals as tables", function()
      local out, err, code = run("-e " .. q("print(type(lucid), type(nn))"))
      assert.are.equal("table\ttable\n", out, err)
      assert.are.equal(0, code)
    end)

    it("finds the project's modules with no LUA_PATH", function()
      local out, _, code = run("-E -e " .. q("print(package.searchpath('lucid', package.path))"))
      assert.truthy(out:find("/lua/lucid/init.lua\n", 1, true), out)
      assert.are.equal(0, code)
    end)

    it("runs a script with the arg table and ... set as lua does", function()
      local script = SCRIPTS .. "/args.lua"
      local out, err, code = run("-e 'x=1' " .. q(script) .. " a 'b c' -e")
      assert.are.equal(0, code, err)
      assert.are.same({
        "-3\t" .. BIN,
        "-2\t-e",
        "-1\tx=1",
        "0\t" .. script,
        "1\ta",
        "2\tb c",
        "3\t-e",
        "...\t3\ta\tb c\t-e",
        "",
      }, lines(out))
    end)

    it("runs stdin with -, passing the arguments", function()
      local out, _, code = run("- x y", "print(arg[0], ...)")
      assert.are.equal("-\tx\ty\n", out)
      assert.are.equal(0, code)
    end)

    it("runs stdin as a script when it is not a terminal", function()
      local out, _, code = run("", "print('from stdin', type(lucid))")
      assert.are.equal("from stdin\ttable\n", out)
      assert.are.equal(0, code)
    end)

    it("exits 1 with the message and a traceback on stderr on error", function()
      local out, err, code = run(q(SCRIPTS .. "/fail.lua"))
      assert.are.equal("", out)
      assert.truthy(err:find("^lucid: [^\n]*fail%.lua:2: fixture failure\n"), err)
      assert.truthy(err:find("stack traceback:", 1, true))
      assert.truthy(err:find("in local 'inner'", 1, true) or err:find("inner", 1, true))
      assert.are.equal(1, code)
    end)

    it("exits 1 when -e code fails, and stops there", function()
      local out, err, code = run("-e 'error(\"boom\")' -e 'print(\"not reached\")'")
      assert.are.equal("", out)
      assert.truthy(err:find("lucid: (command line):1: boom", 1, true), err)
      assert.are.equal(1, code)
    end)

    it("reports a syntax error and a missing script with status 1", function()
      local _, err, code = run("-e 'x = = 1'")
      assert.truthy(err:find("^lucid: %(command line%):1:"), err)
      assert.are.equal(1, code)
      _, err, code = run(q(SCRIPTS .. "/no_such_script.lua"))
      assert.truthy(err:find("cannot open", 1, true), err)
      assert.are.equal(1, code)
    end)

    it("honours the status given to os.exit", function()
      local out, _, code = run(q(SCRIPTS .. "/exit.lua") .. " 7")
      assert.are.equal("before exit\n", out)
      assert.are.equal(7, code)
      _, _, code = run("-e 'os.exit(true)'")
      assert.are.equal(0, code)
      _, _, code = run("-e 'os.exit(false)'")
      assert.are.equal(1, code)
    end)
  end)

  describe("REPL", function()
    local pty = has_pty()
    local pit = pty and it or pending

    pit("prints the value of an expression", function()
      local out, _, code = repl({ "1+2\n", "'a', nil, 3\n" })
      assert.are.equal(BANNER, out[1])
      assert.truthy(find_line(out, "3"), table.concat(out, "\n"))
      assert.truthy(find_line(out, "a\tnil\t3"))
      assert.are.equal(0, code)
    end)

    pit("continues an incomplete statement on the next lines", function()
      local out = repl({ "for i=1,2 do\n", "print(i * 10)\n", "end\n" })
      local text = table.concat(out, "\n")
      assert.truthy(text:find(">> print(i * 10)", 1, true), text)
      local first = find_line(out, "10")
      assert.truthy(first, text)
      assert.are.equal("20", out[first + 1])
    end)

    pit("survives an error and goes on", function()
      local out = repl({ "error('boom')\n", "6*7\n" })
      local text = table.concat(out, "\n")
      local err = find_line(out, "stdin:1: boom")
      assert.truthy(err, text)
      assert.truthy(find_line(out, "42", err), text)
    end)

    pit("prints tables readably", function()
      local out = repl({
        "{1,2,3}\n",
        "{b='x', a=1}\n",
        "{{{{{1}}}}}\n",
        "setmetatable({}, {__tostring = function() return 'custom' end})\n",
      })
      local text = table.concat(out, "\n")
      assert.truthy(find_line(out, "{1, 2, 3}"), text)
      assert.truthy(find_line(out, '{a = 1, b = "x"}'), text)
      assert.truthy(find_line(out, "{{{{...}}}}"), text)
      assert.truthy(find_line(out, "custom"), text)
    end)

    pit("prints tensors as tensors and modules as their tree", function()
      local out = repl({
        "lucid.ones(2, 3)\n",
        "nn.Sequential(nn.Linear(2, 3), nn.GRU(3, 4, {num_layers = 2}))\n",
      })
      local text = table.concat(out, "\n")
      assert.truthy(find_line(out, "[ lucid.FloatTensor of size (2, 3) ]"), text)
      assert.truthy(find_line(out, "Sequential("), text)
      assert.truthy(find_line(out, "  (0): Linear(in_features=2, out_features=3, bias=True)"), text)
      assert.truthy(find_line(out, "  (1): GRU(3, 4, num_layers=2)"), text)
    end)

    pit("cuts long tables with ...", function()
      local out = repl({ "(function() local t = {} for i = 1, 100 do t[i] = i end return t end)()\n" })
      local text = table.concat(out, "\n")
      assert.truthy(text:find("{1, 2, 3, 4,[^\n]*, %.%.%.}"), text)
    end)

    pit("completes globals, fields and methods with Tab", function()
      local out = repl({
        "zzrec = {zeros = 'found'}\n",
        "zzr\t.ze\t\n",
        "zzs = 'abc'\n",
        "zzs:up\t()\n",
      })
      local text = table.concat(out, "\n")
      assert.truthy(find_line(out, "found"), text)
      assert.truthy(find_line(out, "ABC"), text)
    end)

    pit("interrupts a running chunk with Ctrl-C and keeps going", function()
      local out = repl({ 0.2, "while true do end\n", 0.3, "\3", 0.2, "1+1\n" })
      local text = table.concat(out, "\n")
      local stop = nil
      for i, line in ipairs(out) do
        if line:find("interrupted!", 1, true) then stop = i end
      end
      assert.truthy(stop, text)
      assert.truthy(find_line(out, "2", stop), text)
    end)

    pit("keeps history in ~/.lucid_history", function()
      local _, history = repl({ "x = 1\n", "x + 41\n" })
      assert.truthy(history:find("x = 1\n", 1, true), history)
      assert.truthy(history:find("x + 41\n", 1, true), history)
    end)

    pit("keeps a multi-line entry as one history entry across sessions", function()
      local _, history = repl({ "for i = 1, 2 do\n", "print(i * 10)\n", "end\n" })
      assert.are.equal("for i = 1, 2 do\\nprint(i * 10)\\nend\n", history)
      -- a new session recalls it with Ctrl-P (previous entry) and runs it whole
      local out = repl({ "\16\n" }, nil, history)
      local text = table.concat(out, "\n")
      local first = find_line(out, "10")
      assert.truthy(first, text)
      assert.are.equal("20", out[first + 1], text)
      assert.falsy(text:find("<eof>", 1, true), text)
      -- backslashes survive the round trip
      _, history = repl({ "s = 'a\\\\n'\n" })
      out = repl({ "\16\n", "#s\n" }, nil, history)
      assert.truthy(find_line(out, "3"), table.concat(out, "\n"))
    end)

    pit("completes lazily loaded modules, tensor fields, and no private names", function()
      local out = repl({
        "nn.GRUC\t\n",
        "lucid.optim.RMS\t\n",
        "x = lucid.zeros(2, 3)\n",
        "x.sha\t\n",
        "x.requires_g\t\n",
        "lucid._VER\t\n",
      })
      local text = table.concat(out, "\n")
      assert.truthy(text:find("nn.GRUCell\n", 1, true) or text:find("nn.GRUCell$"), text)
      assert.truthy(text:find("lucid.optim.RMSprop", 1, true), text)
      assert.truthy(find_line(out, "(2, 3)"), text)
      assert.truthy(find_line(out, "false"), text)
      assert.truthy(find_line(out, "lucid._VER"), text) -- typed as is: nil, nothing printed
      assert.falsy(text:find("_VERSION", 1, true), text)
    end)

    pit("prints the documentation entry with ?name and help(x)", function()
      local out = repl({ "?lucid.zeros\n", "help(nn.GRU)\n", "?no_such_name\n" })
      local text = table.concat(out, "\n")
      assert.truthy(find_line(out, "docs/tensors.md"), text)
      assert.truthy(text:find("| `lucid.zeros(sizes…)`, `ones`, `empty` |", 1, true), text)
      assert.truthy(find_line(out, "docs/recurrent.md"), text)
      assert.truthy(text:find("    nn.GRU(input_size, hidden_size", 1, true), text)
      assert.truthy(find_line(out, "help: no documentation entry for 'no_such_name'"), text)
    end)

    pit("prints a vector on one row, a state_dict as a tree, groups from 1", function()
      local out = repl({
        "lucid.arange(1000)\n",
        "nn.Linear(2, 1):state_dict()\n",
        "lucid.optim.SGD(nn.Linear(2, 1):parameters(), {lr = 0.1})\n",
      })
      local text = table.concat(out, "\n")
      local row = find_line(out, "  0   1   2 ... 997 998 999")
      assert.truthy(row, text)
      assert.are.equal("[ lucid.LongTensor of size (1000) ]", out[row + 1])
      local open = find_line(out, "{")
      assert.truthy(open, text)
      assert.are.equal("  bias =", out[open + 1])
      assert.truthy(out[open + 2]:find("^    %s*%-?%d%.%d+$"), out[open + 2])
      assert.are.equal("    [ lucid.FloatTensor of size (1) ]", out[open + 3])
      assert.are.equal("  weight =", out[open + 4])
      assert.truthy(find_line(out, "Parameter Group 1"), text)
    end)

    pit("runs a script first with -i", function()
      local out = repl({ "from_script\n" }, "-i " .. q(SCRIPTS .. "/interactive.lua"))
      assert.truthy(find_line(out, "set by interactive.lua"), table.concat(out, "\n"))
    end)

    pit("exits cleanly on Ctrl-D", function()
      local out, _, code = repl({ "6 * 7\n", "\4" })
      assert.truthy(find_line(out, "42"), table.concat(out, "\n"))
      assert.are.equal(0, code)
    end)
  end)
end)
