-- nn.Hardsigmoid([inplace = false]): F.hardsigmoid as a module.
return require("nn._Activation")("Hardsigmoid", "hardsigmoid", {}, true)
