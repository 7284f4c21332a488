"""Trains a small LSTM tagger in PyTorch and saves what lucid needs to take it
over (run with Debian's python3-torch from the project root):

    /usr/bin/python3 examples/from_pytorch/train.py

- tagger.pt: the model's state_dict (torch.save, the zip format)
- check.pt:  inputs and PyTorch's outputs on them, for lucid to reproduce

The task: each step of a sequence has 4 features; its tag (0, 1 or 2) says
whether the running sum of the first feature is below -1, between, or above 1,
so the tagger must remember the past. tagger.lua is the same model in lucid.
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


class Tagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(4, 16)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, x):  # x: (L, N, 4) or (L, 4)
        out, _ = self.lstm(x)
        return self.head(out)


def batch(n, length=12):
    x = torch.randn(length, n, 4)
    s = x[:, :, 0].cumsum(0)
    tags = (s > -1).long() + (s > 1).long()
    return x, tags


model = Tagger()
opt = torch.optim.Adam(model.parameters(), lr=0.01)
for step in range(400):
    x, tags = batch(32)
    loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, 3), tags.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
print("trained: loss %.3f" % loss.item())
torch.save(model.state_dict(), os.path.join(HERE, "tagger.pt"))
x, tags = batch(8)
with torch.no_grad():
    torch.save({"x": x, "tags": tags, "logits": model(x)}, os.path.join(HERE, "check.pt"))
