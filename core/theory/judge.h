/* core/judge.h - best-of-k and softmax selection with a judge (docs/math.md §7).
 *
 * Model (Halder & Pehlevan): a BLR student's predictive at input x is
 * N(m, s^2); k samples y_1..y_k are drawn and one is selected with probability
 * proportional to w_i = exp(-(y_i - muR)^2 / T) (T -> 0: the closest to muR,
 * best-of-k). The error is delta(k, T) = E[(y_sel - muT)^2] against the
 * noise-free teacher mean muT. Per-input quantities are pure functions; the
 * simulation of the whole setup (teacher, student fitted on n samples, n_test
 * inputs) is an INITIALIZE / ITERATE / TEST object, judge_sim.
 *
 * Notation: a = m - muT, b = m - muR. */
#ifndef BAYESLENS_CORE_JUDGE_H
#define BAYESLENS_CORE_JUDGE_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "core/base/err.h"

#define JUDGE_MAX_K   1000000
#define JUDGE_MAX_DIM 4096

/* delta(1) = a^2 + s^2 (also the T -> inf limit). */
double judge_delta1(double m, double s, double muT);

/* Exact best-of-k (T = 0) error, docs/math.md §7:
 * delta(k) = int_0^inf k (1 - F(t))^(k-1) [N(muR+t; m, s^2)(muR+t-muT)^2
 *                                         + N(muR-t; m, s^2)(muR-t-muT)^2] dt,
 * F(t) = Phi((muR+t-m)/s) - Phi((muR-t-m)/s), 1 - F by erfc (no cancellation).
 * Adaptive 61-point Gauss-Kronrod (QAG, piecewise) on [0, 12 s + |muR - m|] with break points at
 * s/k, 3s/k, 10s/k, s, 3s and |muR - m| + {-s, 0, s} (the bulk of the predictive
 * seen from muR), to about 1e-11 relative (accepted when GSL's error estimate is
 * below 1e-9 relative). k in 1..JUDGE_MAX_K, s > 0.
 * BL_EINVAL, BL_ENUM (quadrature failed), BL_ENOMEM. */
int judge_bestofk(size_t k, double m, double s, double muT, double muR, double *delta, bl_err *err);

/* Teacher reward (muR = muT), large k: pi s^2 exp(a^2/s^2) / k^2. */
double judge_teacher_law(double k, double m, double s, double muT);

/* Misspecified reward, T = 0, k -> inf: (muR - muT)^2. */
double judge_misspec_limit(double muT, double muR);

typedef enum {
    JUDGE_TEACHER = 0, /* muR == muT: delta ~ 1/k^2 to 0 */
    JUDGE_DECREASING,  /* criterion <= 0: monotone decrease to (muR - muT)^2 */
    JUDGE_USHAPE,      /* criterion > 0 and (muR-muT)^2 < a^2 + s^2: finite optimal k */
    JUDGE_INCREASING,  /* criterion > 0 and (muR-muT)^2 >= a^2 + s^2: k* = 1 */
} judge_regime;

/* Regime of the best-of-k curve (docs/math.md §7, large-k criterion):
 * crit = (muR - muT)(muR - m) - s^2/2 (written to *crit if not NULL). */
judge_regime judge_regime_of(double m, double s, double muT, double muR, double *crit);

/* Finite T, k -> inf: the tilted Gaussian N(m, s^2) exp(-(y - muR)^2/T) has
 * precision 1/s^2 + 2/T and mean (m/s^2 + 2 muR/T)/precision;
 * delta_inf = (mean - muT)^2 + 1/precision. T > 0. */
double judge_tilted_limit(double m, double s, double muT, double muR, double T);

/* High-T expansion: a^2 + s^2 - (1 - 1/k)(2 s^2/T)(s^2 + 2 a b) + O(T^-2). */
double judge_highT(double k, double m, double s, double muT, double muR, double T);

/* Exact softmax error at finite k and T > 0 [D, bayeslens]: with
 * 1/(w_1 + S) = int_0^inf exp(-u (w_1 + S)) du and exchangeability,
 * delta(k, T) = k int_0^inf A(u) B(u)^(k-1) du,
 * A(u) = E[w e exp(-u w)], B(u) = E[exp(-u w)], e = (y - muT)^2, y ~ N(m, s^2).
 * Inner expectations by adaptive quadrature over z = (y - m)/s in [-12, 12]
 * with break points at the reward peak, the outer by QAGIU, about 1e-8
 * relative (accepted when GSL's error estimate is below 1e-7). Slow convergence of the outer integral for T << s^2 and small k
 * (its tail decays like u^(-k T/(2 s^2))): BL_ENUM when it fails; use
 * judge_bestofk for T -> 0. k in 1..JUDGE_MAX_K. BL_EINVAL, BL_ENUM, BL_ENOMEM. */
int judge_softmax(size_t k, double T, double m, double s, double muT, double muR, double *delta,
                  bl_err *err);

/* Deterministic equivalent (docs/math.md §7, F2): Rh = d sigma^2/(n gamma^2),
 * u = d/n + Rh/S^2 - 1, R = (S^2/2)(u + sqrt(u^2 + 4 Rh/S^2));
 * m(x) ~ shrink muT(x), shrink = S^2/(R + S^2); s^2(x) ~ sigma^2 + var_factor |x|^2,
 * var_factor = gamma^2 R/(R + S^2). */
typedef struct judge_de {
    double R;
    double shrink;
    double var_factor;
} judge_de;
int judge_det_equiv(double d, double n, double S, double sigma, double gamma, judge_de *de,
                    bl_err *err);

/* ---- simulation (docs/math.md §7 "simulation recipe") ------------------------------- */

typedef enum {
    JUDGE_REWARD_AUTO = 0, /* SHIFT when T > 0, SCALE when T = 0 (the paper's code) */
    JUDGE_REWARD_SHIFT,    /* muR = muT - c (m - muT) */
    JUDGE_REWARD_SCALE,    /* w_R = (1 + c R) w_T, muR = (1 + c R) muT */
} judge_reward;

typedef struct judge_sim_opts {
    size_t d;      /* input dimension, 1..JUDGE_MAX_DIM */
    size_t n;      /* training samples for the student, >= 1 */
    size_t n_test; /* test inputs, >= 1 */
    size_t k_max;  /* samples per trial, 1..JUDGE_MAX_K */
    double S;      /* x ~ N(0, (S^2/d) I_d), S > 0 */
    double sigma;  /* teacher noise sd, > 0; student noise precision 1/sigma^2 */
    double gamma;  /* student prior w ~ N(0, gamma^2 I), > 0 */
    double T;      /* judge temperature >= 0 (0: best-of-k) */
    double c;      /* reward misspecification (0: teacher reward) */
    double R;      /* SCALE family: the R of w_R = (1 + c R) w_T; 0 selects the
                      deterministic-equivalent R of judge_det_equiv */
    judge_reward reward;
} judge_sim_opts;

/* One test input's student predictive and the two means. */
typedef struct judge_input {
    double m, s, muT, muR;
} judge_input;

typedef struct judge_sim judge_sim;

/* INITIALIZE: draws w_T ~ N(0, I_d) (w_std = 1; E|w_T|^2 = d as in the paper's
 * normalisation), n training inputs and targets y = x.w_T + sigma eta, fits the
 * BLR student once (core/blr, alpha = 1/gamma^2, beta = 1/sigma^2, O(n d^2)),
 * draws n_test inputs and computes (m, s, muT, muR) for each (O(n_test d^2)).
 * All randomness from rng. NULL with BL_EINVAL naming the field, BL_ENOMEM,
 * BL_ECANCEL (polled per training point). Memory O(d^2 + n_test k_max). */
judge_sim *judge_sim_alloc(const judge_sim_opts *o, gsl_rng *rng, const bl_cancel *cancel,
                           bl_err *err);
void judge_sim_free(judge_sim *s); /* NULL is a no-op */

/* ITERATE: `trials` more trials; each draws k_max samples per input and
 * accumulates, for every k, the selected error of the first k samples (prefix
 * sums of weights; log-weights with a running lse for T > 0; a running argmin
 * of |y - muR| for T = 0). O(trials n_test k_max). Polls cancel once per trial
 * (BL_ECANCEL: the trials completed so far are kept). */
int judge_sim_step(judge_sim *s, size_t trials, gsl_rng *rng, const bl_cancel *cancel, bl_err *err);

size_t judge_sim_trials(const judge_sim *s);
size_t judge_sim_kmax(const judge_sim *s);
size_t judge_sim_ntest(const judge_sim *s);
const judge_input *judge_sim_inputs(const judge_sim *s);     /* borrowed, n_test entries */
const judge_sim_opts *judge_sim_options(const judge_sim *s); /* borrowed, R resolved */

/* TEST: error[k-1] for k = 1..k_max (mean over inputs and trials) and se[k-1]
 * its Monte Carlo standard error given the inputs,
 * sqrt(sum_i Var_trials(e_ik) / trials) / n_test (se may be NULL; 0 while
 * trials < 2). BL_ESTATE before any trial. */
int judge_sim_curve(const judge_sim *s, double *error, double *se, bl_err *err);
/* Least-squares slope of log error vs log k over about 24 log-spaced integers
 * in [k_lo, k_hi] and a conservative standard error sum_i |c_i| se_i/error_i
 * (c_i the OLS coefficients: exact for perfectly correlated errors, an upper
 * bound otherwise). 1 <= k_lo < k_hi <= k_max. slope_se may be NULL. */
int judge_sim_slope(const judge_sim *s, size_t k_lo, size_t k_hi, double *slope, double *slope_se,
                    bl_err *err);
/* argmin over k = 1..k_max of the Monte Carlo error curve (1-based k). */
size_t judge_sim_kopt(const judge_sim *s);
/* The exact per-input error averaged over the same inputs: judge_bestofk for
 * T = 0, judge_softmax for T > 0. O(n_test quadratures). */
int judge_sim_exact(const judge_sim *s, size_t k, double *delta, bl_err *err);
/* Error against temperature at fixed k (for the optimal-T curve): `trials`
 * fresh trials of k samples per input, each scored at every T[j] with common
 * random numbers (the same samples for all T; T[j] >= 0, 0 = best-of-k).
 * out[j] and se[j] (may be NULL) as in judge_sim_curve. Does not touch the
 * k-curve accumulators. O(trials n_test k nT). */
int judge_sim_error_vs_T(const judge_sim *s, size_t k, const double *T, size_t nT, size_t trials,
                         gsl_rng *rng, double *out, double *se, const bl_cancel *cancel,
                         bl_err *err);

#endif
