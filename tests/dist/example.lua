-- examples/ddp_char_lm.lua trains with 2 ranks: the loss falls and rank 0's
-- checkpoint loads into the plain model's keys.
-- Usage: lucid tests/dist/example.lua <lucid binary> <mpirun> <source dir>
local lucid_bin, mpirun, src = arg[1], arg[2], arg[3]
local ckpt = os.tmpname()
local p = assert(io.popen(("%s --oversubscribe --bind-to none -np 2 %s %s/examples/ddp_char_lm.lua "
  .. "--steps 60 --report 20 --hidden 64 --layers 1 --corpus %s/README.md --checkpoint %s 2>&1")
  :format(mpirun, lucid_bin, src, src, ckpt)))
local out = p:read("a")
assert(p:close(), "the example failed:\n" .. out)
local first, last = out:match("loss ([%d.]+) %-> ([%d.]+); checkpoint")
assert(first and tonumber(last) < tonumber(first) - 0.5, "the loss falls:\n" .. out)
local saved = lucid.load(ckpt)
os.remove(ckpt)
assert(saved.model["rnn.weight_hh_l0"] and not saved.model["module.rnn.weight_hh_l0"],
  "the checkpoint holds the plain model's keys")
print(("ddp_char_lm: loss %s -> %s with 2 ranks"):format(first, last))
