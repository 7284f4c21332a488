-- nn.LogSoftmax(dim): log_softmax along dim, as nn.Softmax (which see).
local Softmax = require("nn.Softmax")

local LogSoftmax = Softmax:extend("LogSoftmax", Softmax.__args)
LogSoftmax.method = "log_softmax"

return LogSoftmax
