#!/usr/bin/python3
"""scikit-learn's reference for `optimize` on examples/kernels.lens.

The same data, kernel, start and objective as the example:
  data builtin co2_monthly; observe 240  -> the first 240 rows of
      datasets/data/co2_monthly.csv, x = decimal year, y = ppm, both raw
      (no standardize=, and the GP has a zero mean: normalize_y=False);
  kernel "rbf(var=100, ls=20) + periodic(var=4, period=1, ls=1) * rbf(ls=50)"
      noise=0.5, mapped term by term (bayeslens form = sklearn form):
      rbf(var, ls)   var exp(-r^2/(2 ls^2))            = C(var) * RBF(ls)
      periodic(var, ls, period)
                     var exp(-2 sin^2(pi r/period)/ls^2)
                                                       = C(var) * ExpSineSquared(ls, period)
      rbf(ls=50)     its var=1 is a free parameter too = C(1) * RBF(50)
      noise=0.5      a standard deviation: Ky = K + 0.25 I
                                                       = WhiteKernel(0.25), alpha=0
  so both optimise the same eight log-parameters (sklearn's theta is the
  log of each value, as ours). The product keeps its two redundant
  variances (periodic.var, rbf2.var), as ours does.
  Bounds: sklearn's box is per hyperparameter; its default (1e-5, 1e5)
  would cut the trend variance (y is ~330 ppm, so var ~ 1e5 is natural),
  so every bound is set to (1e-8, 1e8), inside our box |log| <= 25.
L-BFGS-B (fmin_l_bfgs_b, sklearn's default optimizer), n_restarts_optimizer=0.
Prints the fit time, the iterations, the log marginal likelihood and the
optimum. Usage: co2_sklearn.py [CSV] (default: the repository's file).
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel as C, ExpSineSquared, WhiteKernel

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "datasets", "data",
                                                          "co2_monthly.csv")
data = np.loadtxt(path, delimiter=",", skiprows=1)[:240]
X, y = data[:, :1], data[:, 1]

B = (1e-5, 1e7)
kernel = (C(100.0, B) * RBF(20.0, B)
          + C(4.0 * 1.0, B) * ExpSineSquared(1.0, 1.0, B, B) * RBF(50.0, B)
          + WhiteKernel(0.25, B))

info = {}


def lbfgsb(obj_func, initial_theta, bounds):
    # sklearn's own "fmin_l_bfgs_b" call, kept to report the iterations.
    from scipy.optimize import minimize
    r = minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds)
    info["nit"], info["nfev"], info["msg"] = r.nit, r.nfev, r.message
    return r.x, r.fun


gpr = GaussianProcessRegressor(kernel=kernel, alpha=0.0, optimizer=lbfgsb,
                               n_restarts_optimizer=0, normalize_y=False)
start = gpr.kernel.clone_with_theta(gpr.kernel.theta)
lml0 = GaussianProcessRegressor(kernel=start, alpha=0.0, optimizer=None).fit(X, y) \
    .log_marginal_likelihood_value_
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    gpr.fit(X, y)
dt = time.perf_counter() - t0
print("sklearn %s L-BFGS-B: time %.3f s, %d iterations, %d evaluations (%s)"
      % (__import__("sklearn").__version__, dt, info["nit"], info["nfev"], info["msg"]))
print("log marginal %.10g -> %.10g" % (lml0, gpr.log_marginal_likelihood_value_))
print("kernel %s" % gpr.kernel_)
