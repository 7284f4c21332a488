-- nn.SiLU([inplace = false]): F.silu as a module.
return require("nn._Activation")("SiLU", "silu", {}, true)
