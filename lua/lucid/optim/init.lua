-- lucid.optim: optimizers mirroring torch.optim (PyTorch 1.13). Each one is a
-- class called with the parameters and options:
--
--   local opt = lucid.optim.SGD(model:parameters(), {lr = 0.1, momentum = 0.9})
--   opt:zero_grad(); loss:backward(); opt:step()
--
-- The updates run in C (core/optim.c), in place and without autograd. Each
-- optimizer is its own file (lucid/optim/<Name>.lua), loaded on first use;
-- lucid.optim.lr_scheduler holds the learning-rate schedulers.
return require("lucid.lazy")({}, "lucid.optim")
