#!/usr/bin/python3
"""tests/bench/nngp_peer.py - the numpy peer of bench_kernel's GP figure.

Reads X (n x d float64, row-major) from the file given, builds the ReLU
NNGP Gram of depth L (sw2, sb2; docs/math.md §4.2, the arc-cosine recursion over
the full matrix, vectorized by numpy), adds the noise variance to the
diagonal and factorizes it with numpy.linalg.cholesky; prints one line
"peer gram S chol S total S logdet V" for bench_kernel to parse.
Usage: nngp_peer.py FILE n d L sw2 sb2 noise_var
"""
import sys
import time

import numpy as np


def main():
    path, n, d, L = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sw2, sb2, nv = float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    X = np.fromfile(path, dtype=np.float64).reshape(n, d)
    t0 = time.perf_counter()
    K = sw2 * (X @ X.T) / d + sb2
    diag = np.diag(K).copy()
    for _ in range(L):
        r = np.sqrt(diag)
        f = np.outer(r, r)
        c = np.clip(K / f, -1.0, 1.0)
        th = np.arccos(c)
        K = sw2 * f * (np.sqrt(1.0 - c * c) + (np.pi - th) * c) / (2 * np.pi) + sb2
        diag = sw2 * diag / 2 + sb2
        np.fill_diagonal(K, diag)
    t1 = time.perf_counter()
    K[np.diag_indices(n)] += nv
    C = np.linalg.cholesky(K)
    t2 = time.perf_counter()
    print("peer gram %.4f chol %.4f total %.4f logdet %.10g" %
          (t1 - t0, t2 - t1, t2 - t0, 2 * np.sum(np.log(np.diag(C)))))


if __name__ == "__main__":
    main()
