-- nn.Hardtanh([min_val = -1.0, max_val = 1.0, inplace = false]): F.hardtanh as a module.
return require("nn._Activation")("Hardtanh", "hardtanh", { { "min_val", "number", -1.0 }, { "max_val", "number", 1.0 } }, true)
