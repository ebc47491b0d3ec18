#!/usr/bin/python3
"""scikit-learn's reference for `optimize` on examples/kernels.lens.

The same data, kernel, start and objective as the example:
  data builtin co2_monthly; observe 240  -> the first 240 rows of
      datasets/data/co2_monthly.csv in file order, x = decimal year,
      y = ppm, both raw (no standardize=; the GP has a zero mean, so
      normalize_y=False);
  kernel "rbf(var=100, ls=20) + periodic(var=4, period=1, ls=1) * rbf(ls=50)"
      noise=0.5, term by term (bayeslens = scikit-learn):
      rbf(var, ls)  = var exp(-r^2/(2 ls^2))           = C(var) * RBF(ls)
      periodic(var, ls, period) = var exp(-2 sin^2(pi r/period)/ls^2)
                                                       = C(var) * ExpSineSquared(ls, period)
      periodic(var=4, ...) * rbf(ls=50): our product carries two variances
          (periodic.var = 4 and rbf2.var = 1) of which only the product
          enters Ky; scikit-learn gets the one C(4 * 1) (its 7 + noise
          hyperparameters are the issue's; ours has the redundant eighth,
          a flat direction that changes neither the optimum nor the value)
      noise=0.5     is a standard deviation: Ky = K + 0.25 I
                                                       = WhiteKernel(0.25), alpha=0
  Every hyperparameter is optimised as the log of its value, as ours.
GaussianProcessRegressor's L-BFGS-B, n_restarts_optimizer=0: the same
scipy.optimize.minimize(method="L-BFGS-B", jac=True) call as its default
optimizer="fmin_l_bfgs_b", wrapped only to report the iterations. Two boxes: scikit-learn's default bounds (1e-5, 1e5) on every
hyperparameter, which the trend variance hits (y ~ 330 ppm, so var ~ 1e5 is
natural), and (1e-5, 1e7). Ours clamps |log value| <= 30.
Prints per box the fit time, iterations, evaluations and the log marginal
likelihood. Usage: co2_sklearn.py [CSV] (default: the repository's file).
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


def run(B):
    kernel = (C(100.0, B) * RBF(20.0, B)
              + C(4.0 * 1.0, B) * ExpSineSquared(1.0, 1.0, B, B) * RBF(50.0, B)
              + WhiteKernel(0.25, B))
    info = {}

    def lbfgsb(obj_func, initial_theta, bounds):
        # scikit-learn's own "fmin_l_bfgs_b" call (_constrained_optimization),
        # kept to report the iterations.
        from scipy.optimize import minimize
        r = minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True, bounds=bounds)
        info["nit"], info["nfev"], info["msg"] = r.nit, r.nfev, r.message
        return r.x, r.fun

    gpr = GaussianProcessRegressor(kernel=kernel, alpha=0.0, optimizer=lbfgsb,
                                   n_restarts_optimizer=0, normalize_y=False)
    lml0 = GaussianProcessRegressor(kernel=kernel, alpha=0.0, optimizer=None).fit(X, y) \
        .log_marginal_likelihood_value_
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpr.fit(X, y)
    dt = time.perf_counter() - t0
    print("sklearn %s L-BFGS-B, bounds (%g, %g): time %.3f s, %d iterations, %d evaluations (%s)"
          % (__import__("sklearn").__version__, B[0], B[1], dt, info["nit"], info["nfev"],
             info["msg"]))
    print("log marginal %.10g -> %.10g" % (lml0, gpr.log_marginal_likelihood_value_))
    print("kernel %s" % gpr.kernel_)


run((1e-5, 1e5))
run((1e-5, 1e7))
