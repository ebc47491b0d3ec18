"""tests/bench/bench_blr_numpy.py - the numpy peer of bench_blr.c.

The covariance form of the BLR update, one point at a time (what a numpy
user would write): u = S phi, s = 1/beta + phi.u, m += u (y - phi.m)/s,
S -= u u^T / s. d = 256, 5000 points, data as in bench_blr.c's C peer
(Gaussian features / sqrt(d), any seed: the cost does not depend on it).
Prints one line: "numpy_ms <median of 5 runs>". Run by bench_blr, which
skips it when /usr/bin/python3 has no numpy."""
import sys
import time

import numpy as np


def run(X, y, alpha, beta):
    d = X.shape[1]
    S = np.eye(d) / alpha
    m = np.zeros(d)
    for phi, yi in zip(X, y):
        u = S @ phi
        s = 1.0 / beta + phi @ u
        m += u * ((yi - phi @ m) / s)
        S -= np.outer(u, u / s)
    return m


def main():
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = rng.standard_normal(n)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        run(X, y, 1.0, 100.0)
        times.append(time.perf_counter() - t0)
    times.sort()
    print("numpy_ms %.1f" % (1e3 * times[2]))


main()
