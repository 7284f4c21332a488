-- nn.GELU([approximate = 'none']): F.gelu as a module.
return require("nn._Activation")("GELU", "gelu", { { "approximate", "string", "none", choices = { "none", "tanh" } } }, false)
