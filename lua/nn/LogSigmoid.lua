-- nn.LogSigmoid(): F.logsigmoid as a module.
return require("nn._Activation")("LogSigmoid", "logsigmoid", {}, false)
