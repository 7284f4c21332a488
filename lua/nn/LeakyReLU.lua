-- nn.LeakyReLU([negative_slope = 0.01, inplace = false]): F.leaky_relu as a module.
return require("nn._Activation")("LeakyReLU", "leaky_relu", { { "negative_slope", "number", 0.01 } }, true)
