-- nn.Mish([inplace = false]): F.mish as a module.
return require("nn._Activation")("Mish", "mish", {}, true)
