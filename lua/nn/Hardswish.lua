-- nn.Hardswish([inplace = false]): F.hardswish as a module.
return require("nn._Activation")("Hardswish", "hardswish", {}, true)
