-- nn.ELU([alpha = 1.0, inplace = false]): F.elu as a module.
return require("nn._Activation")("ELU", "elu", { { "alpha", "number", 1.0 } }, true)
