-- lucid.optim: optimizers mirroring torch.optim (PyTorch 1.13). Each one is a
-- class called with the parameters and options:
--
--   local opt = lucid.optim.SGD(model:parameters(), {lr = 0.1, momentum = 0.9})
--   opt:zero_grad(); loss:backward(); opt:step()
--
-- The updates run in C (core/optim.c), in place and without autograd.
local M = {}

M.Optimizer = require("lucid.optim.Optimizer")
M.SGD = require("lucid.optim.SGD")
M.Adam = require("lucid.optim.Adam")
M.AdamW = require("lucid.optim.AdamW")
M.RMSprop = require("lucid.optim.RMSprop")
M.Adagrad = require("lucid.optim.Adagrad")
M.Adadelta = require("lucid.optim.Adadelta")
M.Adamax = require("lucid.optim.Adamax")
M.NAdam = require("lucid.optim.NAdam")
M.RAdam = require("lucid.optim.RAdam")
M.LBFGS = require("lucid.optim.LBFGS")
M.lr_scheduler = require("lucid.optim.lr_scheduler")

return M
