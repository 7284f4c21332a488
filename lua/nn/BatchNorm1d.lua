-- nn.BatchNorm1d(num_features [, eps = 1e-5, momentum = 0.1, affine = true,
-- track_running_stats = true]): F.batch_norm on (N, C) or (N, C, L) input.
-- Training normalises by the batch's statistics and updates the buffers
-- running_mean, running_var and num_batches_tracked; eval mode uses the
-- running ones. momentum = false is PyTorch's momentum=None: the running
-- statistics are then the cumulative average of every batch's.
local lucid = require("lucid")
local Module = require("nn.Module")
local F = require("nn.functional")
local raise = require("lucid.args").raise

local BatchNorm1d = Module:extend("BatchNorm1d", Module.with_dtype({
  { "num_features", "integer", min = 1 },
  { "eps", "number", default = 1e-5, min = 0 },
  { "momentum", "any", default = 0.1 },
  { "affine", "boolean", default = true },
  { "track_running_stats", "boolean", default = true },
}))

function BatchNorm1d:init(a)
  if a.momentum ~= false and type(a.momentum) ~= "number" then
    raise(string.format("%s: momentum must be a number or false (a cumulative average), got %s",
      self.__name, type(a.momentum)))
  end
  local c, opts = a.num_features, { dtype = a.dtype or lucid.float32 }
  self.num_features, self.eps, self.momentum = c, a.eps, a.momentum
  self.affine, self.track_running_stats = a.affine, a.track_running_stats
  self:register_parameter("weight", a.affine and lucid.ones(c, opts) or nil)
  self:register_parameter("bias", a.affine and lucid.zeros(c, opts) or nil)
  local track = a.track_running_stats
  self:register_buffer("running_mean", track and lucid.zeros(c, opts) or nil)
  self:register_buffer("running_var", track and lucid.ones(c, opts) or nil)
  self:register_buffer("num_batches_tracked", track and lucid.tensor(0, { dtype = lucid.int64 }) or nil)
end

function BatchNorm1d:reset_running_stats()
  if not self.track_running_stats then return end
  self.running_mean:zero_()
  self.running_var:fill_(1)
  self.num_batches_tracked:zero_()
end

function BatchNorm1d:forward(x)
  if lucid.is_tensor(x) and (x:dim() == 2 or x:dim() == 3) and x:size(2) ~= self.num_features then
    raise(string.format("%s: input has %d channels, expected num_features %d", self.__name, x:size(2),
      self.num_features))
  end
  if lucid.is_tensor(x) and x:dim() ~= 2 and x:dim() ~= 3 then
    raise(string.format("%s: expected 2-D or 3-D input, got %d-D", self.__name, x:dim()))
  end
  local factor = self.momentum or 0
  local use_batch = self.training or not self.track_running_stats
  if self.training and self.track_running_stats then
    self.num_batches_tracked:add_(1)
    if self.momentum == false then factor = 1 / self.num_batches_tracked:item() end
  end
  local update = self.training and self.track_running_stats
  return F._batch_norm(self.__name, {
    input = x, running_mean = (update or not use_batch) and self.running_mean or nil,
    running_var = (update or not use_batch) and self.running_var or nil,
    weight = self.weight, bias = self.bias, training = use_batch, momentum = factor, eps = self.eps })
end

function BatchNorm1d:extra_repr()
  return string.format("%d, eps=%s, momentum=%s, affine=%s, track_running_stats=%s", self.num_features,
    Module.repr_value(self.eps), self.momentum == false and "None" or Module.repr_value(self.momentum),
    Module.repr_value(self.affine), Module.repr_value(self.track_running_stats))
end

return BatchNorm1d
