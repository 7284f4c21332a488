"""Runs one benchmark case with PyTorch and prints "seconds=<median> peak_kb=<VmHWM>".

    /usr/bin/python3 bench/torch_case.py <case file> <case name> <threads>
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ln_lstm  # noqa: E402


def read_cases(path):
    cases = {}
    for line in open(path):
        if line.lstrip().startswith("#") or not line.strip():
            continue
        words = line.split()
        case = {"name": words[0], "kind": words[1]}
        for w in words[2:-1]:
            k, v = w.split("=", 1)
            case[k] = int(v) if v.isdigit() else v
        cases[words[0]] = case
    return cases


def timed(fn, budget=1.0):
    fn()
    times = []
    while (len(times) < 3 or sum(times) < budget) and len(times) < 30:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    case = read_cases(sys.argv[1])[sys.argv[2]]
    torch.set_num_threads(int(sys.argv[3]))
    torch.manual_seed(0)
    kind = case["kind"]
    if kind == "seq_train" and case.get("layer_norm", 0) == 1:
        # PyTorch's own way to run a LayerNorm LSTM: custom_lstms.py's cell in a loop,
        # compiled by TorchScript (bench/ln_lstm.py); one layer, unidirectional
        m = ln_lstm.scripted_layer(case["I"], case["H"])
        x = torch.randn(case["L"], case["N"], case["I"])
        zeros = torch.zeros(case["N"], case["H"])

        def run():
            out, _ = m(x, (zeros, zeros))
            out.sum().backward()
    elif kind in ("seq_train", "seq_infer"):
        cls = getattr(torch.nn, case["module"])
        kw = dict(num_layers=case.get("layers", 1), bidirectional=case.get("bidirectional", 0) == 1)
        if case["module"] == "RNN":
            kw["nonlinearity"] = "relu" if case.get("relu", 0) == 1 else "tanh"
        m = cls(case["I"], case["H"], **kw)
        x = torch.randn(case["L"], case["N"], case["I"])
        if kind == "seq_train":
            def run():
                out, _ = m(x)
                out.sum().backward()
        else:
            def run():
                with torch.no_grad():
                    m(x)
    elif kind == "cell_loop":
        cell = getattr(torch.nn, case["module"])(case["I"], case["H"])
        xs = torch.randn(case["steps"], case["N"], case["I"])

        def run():
            h = torch.zeros(case["N"], case["H"])
            total = None
            for t in range(case["steps"]):
                h = cell(xs[t], h)
                total = h.sum() if total is None else total + h.sum()
            total.backward()
    elif kind == "flat_memory":
        m = getattr(torch.nn, case["module"])(case["I"], case["H"])
        head = torch.nn.Linear(case["H"], 1)
        opt = torch.optim.Adam(list(m.parameters()) + list(head.parameters()), lr=1e-3)
        x, y = torch.randn(case["L"], case["N"], case["I"]), torch.randn(case["L"], case["N"], 1)
        early = None
        t0 = time.perf_counter()
        for step in range(1, case["steps"] + 1):
            opt.zero_grad()
            out, _ = m(x)
            loss = ((head(out) - y) ** 2).mean()
            loss.backward()
            opt.step()
            if step == case["steps"] // 10:
                early = rss_kb()
        seconds = (time.perf_counter() - t0) / case["steps"]
        print("seconds=%.9g peak_kb=%d growth=%.2f" % (seconds, peak_kb(), 100 * (rss_kb() - early) / early))
        return
    elif kind == "data_loader":
        if case["part"] == "load":
            ds = torch.utils.data.TensorDataset(torch.randn(case["n"], case["F"]),
                                                torch.randint(0, 10, (case["n"],)))
            loader = torch.utils.data.DataLoader(ds, batch_size=case["N"], shuffle=True)
            state = {"it": iter(loader)}

            def run():
                for _ in range(case["reps"]):
                    try:
                        next(state["it"])
                    except StopIteration:
                        state["it"] = iter(loader)
                        next(state["it"])
        else:
            model = torch.nn.Sequential(torch.nn.Linear(case["F"], case["H"]), torch.nn.ReLU(),
                                        torch.nn.Linear(case["H"], 10))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            loss_fn = torch.nn.CrossEntropyLoss()
            x, y = torch.randn(case["N"], case["F"]), torch.randint(0, 10, (case["N"],))

            def run():
                for _ in range(case["reps"]):
                    opt.zero_grad()
                    loss_fn(model(x), y).backward()
                    opt.step()
    else:
        n = case["n"]

        def make():
            if case.get("transposed", 0) == 1:
                side = int(round(n ** 0.5))
                return torch.randn(side, side).t()
            return torch.randn(n)
        x, y = make(), make()
        mask = x > 0
        reps = case.get("reps", 1)
        rows = x.reshape(-1, 1000) if x.numel() % 1000 == 0 else None
        idx = torch.randint(0, 1000, rows.shape) if rows is not None else None
        w = torch.randn(1000, 8)
        op = {"add": lambda: x + y, "tanh": lambda: x.tanh(), "sum": lambda: x.sum(),
              "softmax": lambda: x.reshape(-1, 1000).softmax(1), "gt": lambda: x > y,
              "where": lambda: torch.where(mask, x, y),
              "masked_select": lambda: x[mask],
              "sort": lambda: rows.sort(1), "topk": lambda: rows.topk(10, 1),
              "cumsum": lambda: rows.cumsum(1), "gather": lambda: rows.gather(1, idx),
              "einsum": lambda: torch.einsum("ij,jk->ik", rows, w)}[case["op"]]

        def run():
            for _ in range(reps):
                op()
    seconds = timed(run) / case.get("reps", 1)
    print("seconds=%.9g peak_kb=%d" % (seconds, peak_kb()))


main()
