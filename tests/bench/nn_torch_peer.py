#!/usr/bin/env python3
"""PyTorch peer of tests/bench/bench_nn.c: the same 2-hidden-layer relu network in
the ntk parametrization (float64, biases), the same objective
J = (1/N) [sum r^2 / (2 s2) + |theta|^2 / 2] and full-batch SGD step, timed as the
median of 5 runs of 10 steps. Usage: nn_torch_peer.py DATA WIDTH THREADS
(DATA: one point per line, d inputs then y)."""
import statistics
import sys
import time

import torch


def main():
    data = torch.tensor([[float(v) for v in line.split()] for line in open(sys.argv[1])],
                        dtype=torch.float64)
    width, threads = int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    X, Y = data[:, :-1].contiguous(), data[:, -1].contiguous()
    n, d = X.shape
    sw2, sb2, s2, lr = 2.0, 0.1, 0.01, 1e-4
    g = torch.Generator().manual_seed(1)
    shapes = [(width, d), (width,), (width, width), (width,), (1, width), (1,)]
    params = [torch.randn(s, generator=g, dtype=torch.float64, requires_grad=True) for s in shapes]
    a = [(sw2 / d) ** 0.5, (sw2 / width) ** 0.5, (sw2 / width) ** 0.5]
    c = sb2 ** 0.5

    def step():
        W1, b1, W2, b2, W3, b3 = params
        h = torch.relu(a[0] * X @ W1.T + c * b1)
        h = torch.relu(a[1] * h @ W2.T + c * b2)
        f = (a[2] * h @ W3.T + c * b3).squeeze(1)
        J = (((f - Y) ** 2).sum() / (2 * s2) + 0.5 * sum((p * p).sum() for p in params)) / n
        grads = torch.autograd.grad(J, params)
        with torch.no_grad():
            for p, gp in zip(params, grads):
                p -= lr * gp
        return J

    step()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(10):
            J = step()
        times.append((time.perf_counter() - t0) / 10)
    t = statistics.median(times)
    print(f"torch peer (torch {torch.__version__}, {threads} threads, float64 autograd): "
          f"step {1e3 * t:.2f} ms ({1 / t:.1f} steps/s), J {float(J):.4g}")


if __name__ == "__main__":
    main()
