-- nn.ReLU6([inplace = false]): F.relu6 as a module.
return require("nn._Activation")("ReLU6", "relu6", {}, true)
