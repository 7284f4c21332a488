-- nn.Softplus([beta = 1, threshold = 20]): F.softplus as a module.
return require("nn._Activation")("Softplus", "softplus", { { "beta", "number", 1 }, { "threshold", "number", 20 } }, false)
