-- nn.CELU([alpha = 1.0, inplace = false]): F.celu as a module.
return require("nn._Activation")("CELU", "celu", { { "alpha", "number", 1.0 } }, true)
