-- nn.SELU([inplace = false]): F.selu as a module.
return require("nn._Activation")("SELU", "selu", {}, true)
