#!/usr/bin/python3
"""scikit-learn's reference for `optimize` on examples/kernels.lens.

The same data, mean, kernel, start and objective as the example:
  data builtin co2_monthly; observe 240  -> the first 240 rows of
      datasets/data/co2_monthly.csv in file order (1958.21 .. 1978.13),
      x = decimal year, y = ppm, raw;
  mean=data  -> the GP is fitted to y - mean(y) (mean of the 240 targets,
      fixed), as scikit-learn's Mauna Loa example does; normalize_y=False;
  kernel (Rasmussen and Williams section 5.4.3, their values as the start),
  term by term (bayeslens = scikit-learn):
      rbf(var=4356, ls=67)                = C(66^2) * RBF(67), ls held (fix=rbf1.ls)
      rbf(var=5.76, ls=90) * periodic(ls=1.3, period=1)
                                          = C(2.4^2) * RBF(90) * ExpSineSquared(1.3, 1),
          the period held (periodicity_bounds="fixed", as scikit-learn's
          example) and the product's second variance periodic.var = 1 held
          (one C in scikit-learn)
      rq(var=0.4356, ls=1.2, alpha=0.78)  = C(0.66^2) * RationalQuadratic(1.2, 0.78)
      rbf(var=0.0324, ls=0.134)           = C(0.18^2) * RBF(0.134)
      noise=0.19 (a standard deviation)   = WhiteKernel(0.19^2), alpha=0
  Every free hyperparameter is optimised as the log of its value, as ours:
  10 on both sides.
GaussianProcessRegressor's L-BFGS-B, n_restarts_optimizer=0: the same
scipy.optimize.minimize(method="L-BFGS-B", jac=True) call as its default
optimizer="fmin_l_bfgs_b", wrapped only to report the iterations. Box
(1e-5, 1e7) on every hyperparameter (the default upper bound 1e5 cuts the
rational quadratic's alpha, which runs off towards the squared exponential
limit); ours clamps |log value| <= 30.
Prints the fit time, iterations, evaluations, the log marginal likelihood
and the forecasts of 1990.0417 and 2000.0417 (mean +- sd of f).
Usage: co2_sklearn.py [CSV] (default: the repository's file).
"""
import os
import sys
import time
import warnings

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (RBF, ConstantKernel as C, ExpSineSquared,
                                              RationalQuadratic, WhiteKernel)

here = os.path.dirname(os.path.abspath(__file__))
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "datasets", "data",
                                                          "co2_monthly.csv")
data = np.loadtxt(path, delimiter=",", skiprows=1)[:240]
X, y = data[:, :1], data[:, 1]
ym = y.mean()


def run(B):
    kernel = (C(4356.0, B) * RBF(67.0, "fixed")
              + C(5.76, B) * RBF(90.0, B) * ExpSineSquared(1.3, 1.0, B, "fixed")
              + C(0.4356, B) * RationalQuadratic(1.2, 0.78, B, B)
              + C(0.0324, B) * RBF(0.134, B)
              + WhiteKernel(0.19 ** 2, B))
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
    lml0 = GaussianProcessRegressor(kernel=kernel, alpha=0.0, optimizer=None).fit(X, y - ym) \
        .log_marginal_likelihood_value_
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gpr.fit(X, y - ym)
    dt = time.perf_counter() - t0
    print("sklearn %s L-BFGS-B, bounds (%g, %g): time %.3f s, %d iterations, %d evaluations (%s)"
          % (__import__("sklearn").__version__, B[0], B[1], dt, info["nit"], info["nfev"],
             info["msg"]))
    print("log marginal %.10g -> %.10g" % (lml0, gpr.log_marginal_likelihood_value_))
    print("kernel %s" % gpr.kernel_)
    for yr in (1990.0417, 2000.0417):
        m, s = gpr.predict(np.array([[yr]]), return_std=True)
        print("forecast %.4f: %.4f +- %.4f ppm" % (yr, m[0] + ym, s[0]))


run((1e-5, 1e7))
