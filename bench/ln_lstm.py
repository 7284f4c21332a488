"""The LayerNorm LSTM cell of PyTorch's benchmarks/fastrnns/custom_lstms.py (LayerNormLSTMCell
with nn.LayerNorm, run by its LSTMLayer), written again from its equations. It has one home:
bench/torch_case.py times it (case lnlstm_train) and tests/fixtures/gen/gen_rnn_ln.py makes
the layer_norm = true fixtures with it.

No biases; nn.LayerNorm (eps 1e-5, biased variance) over the input and recurrent projections
(4H each) and over c' (H):
    gates = LN_ih(x W_ih^T) + LN_hh(h W_hh^T);  [i, f, g, o] = chunks; i, f, o = sigmoid, g = tanh
    c' = LN_c(f c + i g);  h' = o tanh(c')
"""
from typing import Tuple

import torch
from torch import Tensor


def layer_norm(v: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return torch.nn.functional.layer_norm(v, [v.shape[-1]], w, b, 1e-5)


def ln_lstm_step(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor,
                 ln_ih_w: Tensor, ln_ih_b: Tensor, ln_hh_w: Tensor, ln_hh_b: Tensor,
                 ln_c_w: Tensor, ln_c_b: Tensor) -> Tuple[Tensor, Tensor]:
    """One step: (h', c') from x (N, I) and the state h, c (N, H)."""
    gates = layer_norm(torch.mm(x, w_ih.t()), ln_ih_w, ln_ih_b) + \
        layer_norm(torch.mm(h, w_hh.t()), ln_hh_w, ln_hh_b)
    i, f, g, o = gates.chunk(4, 1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c2 = layer_norm(f * c + i * g, ln_c_w, ln_c_b)
    return o * torch.tanh(c2), c2


class LayerNormLSTMLayer(torch.nn.Module):
    """custom_lstms.py's LSTMLayer(LayerNormLSTMCell): the cell in a loop over time.
    forward(x (L, N, I), (h0, c0)) -> (output (L, N, H), (h_n, c_n))."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        G = 4 * hidden_size
        bound = hidden_size ** -0.5
        self.weight_ih = torch.nn.Parameter(torch.empty(G, input_size).uniform_(-bound, bound))
        self.weight_hh = torch.nn.Parameter(torch.empty(G, hidden_size).uniform_(-bound, bound))
        self.ln_ih = torch.nn.LayerNorm(G)
        self.ln_hh = torch.nn.LayerNorm(G)
        self.ln_c = torch.nn.LayerNorm(hidden_size)

    def forward(self, x: Tensor, state: Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        h, c = state
        outputs = []
        for xt in x.unbind(0):
            h, c = ln_lstm_step(xt, h, c, self.weight_ih, self.weight_hh,
                                self.ln_ih.weight, self.ln_ih.bias, self.ln_hh.weight,
                                self.ln_hh.bias, self.ln_c.weight, self.ln_c.bias)
            outputs.append(h)
        return torch.stack(outputs), (h, c)


def scripted_layer(input_size: int, hidden_size: int) -> torch.jit.ScriptModule:
    """The layer compiled with torch.jit.script, as the fastrnns benchmark runs it."""
    return torch.jit.script(LayerNormLSTMLayer(input_size, hidden_size))
