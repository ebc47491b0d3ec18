#!/usr/bin/python3
"""Reference values for tests/test_diag.c: the rank-normalized diagnostics of
Vehtari, Gelman, Simpson, Carpenter and Buerkner (2021), "Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of
MCMC", Bayesian Analysis 16(2), written from the paper's formulas (sections
3-4 and appendix A) with numpy and scipy, independently of core/stats/diag.c:
direct autocovariances (no FFT), scipy's ranks and quantile functions, and
Geyer's sequences written over pairs of lags.

MCSE of the 5%, 50% and 95% quantiles as the posterior package's
mcse_quantile: the ESS of the indicator I(x <= q_p), the Beta(ess p + 1,
ess (1 - p) + 1) quantiles at Phi(-1) and Phi(1) (0.1586553, 0.8413447),
half the distance between the sorted draws at floor(a1 S) and
ceil(a2 S) (1-based, clamped to 1..S). Then scipy's Beta quantiles over a
grid of ESS (beta_ppf lines) for diag_beta_quantile.

The draws are made from the reference generator of docs/math.md §1.7 (an LCG
and Box-Muller), so the C test makes the same numbers bit for bit.

    /usr/bin/python3 tests/diag_reference.py > tests/data/diag_reference.txt
"""
import math

import numpy as np
from scipy import stats

M = 4


class RefRng:
    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFF
        self.spare = None

    def u(self):
        self.s = (1664525 * self.s + 1013904223) & 0xFFFFFFFF
        return (self.s + 0.5) / 4294967296.0

    def normal(self):
        if self.spare is not None:
            v, self.spare = self.spare, None
            return v
        u1, u2 = self.u(), self.u()
        rad = math.sqrt(-2.0 * math.log(u1))
        self.spare = rad * math.sin(2.0 * math.pi * u2)
        return rad * math.cos(2.0 * math.pi * u2)


def ar1(seed0, n, rho):
    """M chains of v_i = rho v_{i-1} + z_i, v_0 = 0 (chain k seeded seed0 + k)."""
    x = np.zeros((M, n))
    for k in range(M):
        r, v = RefRng(seed0 + k), 0.0
        for i in range(n):
            v = rho * v + r.normal()
            x[k, i] = v
    return x


def datasets():
    iid = ar1(101, 1000, 0.0)
    stuck = ar1(301, 1000, 0.0)
    stuck[3] += 3.0
    return {
        "iid": iid,
        "ar1": ar1(1, 1000, 0.9),
        "anti": ar1(201, 1001, -0.5),
        "stuck": stuck,
        "ties": np.floor(2.0 * ar1(401, 1000, 0.0)),
        "short": ar1(501, 9, 0.5),
        # Slow mixing: the ESS needs lags past the direct sums' budget
        # (ar95 runs into it, slow is sent to the FFT by its lag-15 value).
        "ar95": ar1(601, 1000, 0.95),
        "slow": ar1(701, 1000, 0.995),
    }


def split(x):
    """Each chain's first and last floor(n/2) draws as two chains."""
    h = x.shape[1] // 2
    return np.vstack([x[:, :h], x[:, x.shape[1] - h:]])


def z_scale(x):
    r = stats.rankdata(x.ravel(), method="average").reshape(x.shape)
    return stats.norm.ppf((r - 3.0 / 8.0) / (x.size - 2 * 3.0 / 8.0 + 1.0))


def snap_ties(d, tol):
    """Values whose sorted neighbours are at most tol apart (chained) become
    one tie: the two middle draws fold to distances equal up to rounding."""
    flat = d.ravel().copy()
    order = np.argsort(flat, kind="stable")
    srt = flat[order]
    out = np.empty_like(flat)
    start = 0
    for i in range(1, len(srt) + 1):
        if i == len(srt) or srt[i] - srt[i - 1] > tol:
            out[order[start:i]] = srt[start]
            start = i
    return out.reshape(d.shape)


def rhat_basic(x):
    if np.all(x == x.flat[0]):
        return float("nan")
    m, n = x.shape
    B = n * np.var(x.mean(axis=1), ddof=1)
    W = np.mean(np.var(x, axis=1, ddof=1))
    return math.sqrt(((n - 1) / n * W + B / n) / W)


def acov_direct(c):
    n = len(c)
    d = c - c.mean()
    return np.array([np.dot(d[: n - t], d[t:]) / n for t in range(n)])


def ess_basic(x):
    m, n = x.shape
    S = m * n
    if np.all(x == x.flat[0]):
        return float("nan")
    acov = np.mean([acov_direct(row) for row in x], axis=0)
    W = acov[0] * n / (n - 1)  # mean within-chain variance, ddof 1
    var_plus = W * (n - 1) / n + (np.var(x.mean(axis=1), ddof=1) if m > 1 else 0.0)
    rho = 1.0 - (W - acov) / var_plus
    rho[0] = 1.0
    # Initial positive sequence over pairs P_k = rho_2k + rho_2k+1: pair 0
    # always; pair k is examined while pair k-1 is positive and 2(k-1) < n-5;
    # the first non-positive pair ends it (kept only when exactly 0).
    pairs = [rho[0] + rho[1]]
    k, last_even, kept_last = 0, rho[0], True
    while 2 * k < n - 5 and pairs[-1] > 0:
        k += 1
        p = rho[2 * k] + rho[2 * k + 1]
        last_even = rho[2 * k]
        kept_last = p >= 0
        pairs.append(p if kept_last else 0.0)
    K = k  # the last pair examined; its even lag T = 2K
    # Monotone: pairs 1..K-1 no larger than the one before.
    P = list(pairs[:K])
    for j in range(1, K):
        if P[j] > P[j - 1]:
            P[j] = P[j - 1]
    rho_T = last_even if last_even > 0 else (rho[2 * K] if kept_last else 0.0)
    if K == 0:
        rho_T = 1.0
    tau = -1.0 + 2.0 * sum(P) + rho_T
    tau = max(tau, 1.0 / math.log10(S))
    return S / tau


def summary(x):
    flat = x.ravel()
    S = flat.size
    out = {}
    out["rhat_bulk"] = rhat_basic(split(z_scale(x)))
    folded = np.abs(x - np.median(flat))
    folded = snap_ties(folded, 4.0 * np.finfo(float).eps * np.max(np.abs(flat)))
    out["rhat_tail"] = rhat_basic(split(z_scale(folded)))
    out["rhat"] = max(out["rhat_bulk"], out["rhat_tail"])
    out["ess_bulk"] = ess_basic(split(z_scale(x)))
    srt = np.sort(flat)
    for name, p in (("q05", 0.05), ("q50", 0.5), ("q95", 0.95)):
        q = np.quantile(flat, p)  # numpy's default is R's type 7
        e = ess_basic(split((x <= q).astype(float)))
        out["ess_" + name] = e
        a = stats.beta.ppf([0.1586553, 0.8413447], e * p + 1, e * (1 - p) + 1)
        # posterior's .mcse_quantile: floor of the lower, ceiling of the upper
        i1 = max(math.floor(a[0] * S), 1)
        i2 = min(math.ceil(a[1] * S), S)
        out["mcse_" + name] = (srt[i2 - 1] - srt[i1 - 1]) / 2.0
    out["ess_tail"] = min(out["ess_q05"], out["ess_q95"])
    out["ess_mean"] = ess_basic(split(x))
    out["ess_sd"] = min(out["ess_mean"], ess_basic(split(x**2)))
    sd = np.std(flat, ddof=1)
    out["mcse_mean"] = sd / math.sqrt(out["ess_mean"])
    e = out["ess_sd"]
    out["mcse_sd"] = sd * math.sqrt(math.e * (1 - 1 / e) ** (e - 1) - 1)
    return out


def ebfmi(E):
    return np.sum(np.diff(E) ** 2) / np.sum((E - E.mean()) ** 2)


# The Beta quantiles of the MCSE intervals over ESS e and p: where GSL's
# inverse does not converge (e = 868.38 and 2122.2 at p = 0.05, 0.95; the
# e = 7936 of hmc on banana), large e (its cdf's continued fraction fails
# above a + b ~ 1.5e6) and small.
BETA_E = (4, 10, 57.5, 100, 868.3832111, 1000, 2122.225085, 4000, 7936.4, 8000,
          20000, 1e5, 5e5, 9.9e5, 1.6e6, 3e6, 1e7, 1e8)
BETA_P = (0.05, 0.5, 0.95)
BETA_PROB = (0.1586553, 0.8413447)


def main():
    print("# tests/diag_reference.py: dataset field value (see the script)")
    for name, x in datasets().items():
        for field, v in summary(x).items():
            print("%s %s %.17g" % (name, field, v))
        print("%s ebfmi0 %.17g" % (name, ebfmi(x[0])))
    print("# beta_ppf e p P: the P quantile of Beta(e p + 1, e (1 - p) + 1)")
    for e in BETA_E:
        for p in BETA_P:
            for P in BETA_PROB:
                v = stats.beta.ppf(P, e * p + 1, e * (1 - p) + 1)
                print("beta_ppf %.17g %.17g %.17g %.17g" % (e, p, P, v))


if __name__ == "__main__":
    main()
