-- lucid.optim.lr_scheduler: learning-rate schedules, as
-- torch.optim.lr_scheduler (PyTorch 1.13), one file per scheduler, loaded on
-- first use:
--
--   local sched = lucid.optim.lr_scheduler.StepLR(opt, {step_size = 30, gamma = 0.1})
--   for epoch = 1, 100 do train(); opt:step(); sched:step() end
--
-- Epoch counts are PyTorch's: last_epoch starts at -1 and the constructor's
-- own step makes it 0 (a LambdaLR lambda sees 0, 1, 2, ...).
return require("lucid.lazy")({}, "lucid.optim.lr_scheduler")
