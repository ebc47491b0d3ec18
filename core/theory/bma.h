/* core/bma.h - in-context learning as Bayesian model averaging (docs/math.md §8).
 *
 * A task prior is a mixture over classes c with prior weights pi_c; every
 * class is Gaussian-linear in its features, with noise N(0, sigma^2), so its
 * one-step predictive and marginal likelihood are exact. Classes:
 *  BMA_DENSE:   y = x.w + e, w ~ N(0, I_d), x in R^d (d = in_dim);
 *  BMA_SPARSE:  support S uniform over the C(d, s) subsets, w_S ~ N(0, I_s):
 *               one online BLR per support (enumerated, lexicographic, at most
 *               BMA_MAX_SUPPORTS), support posterior by log-sum-exp;
 *  BMA_FOURIER: 1-D x (in_dim = 1), f = a0 + sum_{k=1..N} a_k cos(k pi x/L) + b_k sin(k pi x/L),
 *               coefficients iid N(0, 1); features [1, cos(pi x/L), sin(pi x/L), ...]
 *               (core/features.h FEAT_FOURIER with [lo, hi] = [-L, L]); L = 5 by default
 *               (the Panwar et al. repository's value);
 *  BMA_CUSTOM:  any Gaussian one-step predictive through two callbacks (the GP
 *               hook: a GP class implements predict/observe with its own state).
 * Each built-in class keeps a core/blr object (prior precision 1, noise precision
 * 1/sigma^2) per class or per support: O(p^2) per arrival for features of dimension p.
 *
 * Per arrival (x, y), predict first (docs/math.md §2.3): each class's one-step
 * predictive (mean, var, log density of y), then the BMA predictive (a mixture
 * with the class posteriors P(c | D_{t-1}): mean, variance, log density by lse),
 * squared errors of the BMA, of each class and of two baselines, then the
 * updates: log p_c(y_1..t) += log p_c(y_t | x_t, D_{t-1}) (chain rule) and
 * P(c | D_t) = softmax_c(log pi_c + log p_c(y_1..t)).
 * Baselines work in the features of the richest built-in class (the largest
 * feature dimension p; raw x if there is none): min-norm least squares on the
 * points seen so far (LAPACKE_dgelsd, SVD; the minimum-norm solution when
 * n < p; O(n p min(n, p)) per arrival) and ridge with penalty lambda
 * (default sigma^2, which makes it the dense class's posterior mean when
 * the features are raw x). Both predict 0 before the first point.
 * Regret [D]: L_T(BMA) = -log sum_c pi_c p_c(y_1..T) <= L_T(class c) + log(1/pi_c) for
 * every c, on every sequence. */
#ifndef BAYESLENS_CORE_BMA_H
#define BAYESLENS_CORE_BMA_H

#include <stddef.h>

#include "core/base/err.h"

#define BMA_MAX_CLASSES  16
#define BMA_MAX_SUPPORTS 20000 /* C(d, s) limit for BMA_SPARSE */
#define BMA_MAX_DIM      1024  /* in_dim, and the feature dimension of any class */

typedef enum { BMA_DENSE = 0, BMA_SPARSE, BMA_FOURIER, BMA_CUSTOM } bma_kind;

/* A class supplied by the caller (e.g. a GP). Both hooks receive self; x has
 * in_dim numbers. predict gives the Gaussian one-step predictive of y (noise
 * included) from the data seen so far; observe adds (x, y). Return BL_OK or a
 * code with *err filled; an error aborts the arrival (b unchanged only if the
 * hook left its own state unchanged). */
typedef struct bma_custom {
    void *self; /* borrowed; must outlive the bma */
    int (*predict)(void *self, const double *x, double *mean, double *var, bl_err *err);
    int (*observe)(void *self, const double *x, double y, bl_err *err);
} bma_custom;

typedef struct bma_class_opts {
    bma_kind kind;
    double prior; /* pi_c before normalisation, > 0 (normalised over classes) */
    size_t s;     /* SPARSE: support size, 1..in_dim, C(in_dim, s) <= BMA_MAX_SUPPORTS */
    size_t N;     /* FOURIER: max frequency, 0..(BMA_MAX_DIM - 1)/2 */
    double L;     /* FOURIER: half-period, > 0; 0 selects 5 */
    const bma_custom *custom; /* CUSTOM: hooks (copied; self borrowed) */
    const char *name;         /* optional label (copied, <= 31 chars); NULL: "dense",
                                 "sparse(s=2)", "fourier(N=3)", "custom" */
} bma_class_opts;

typedef struct bma_opts {
    size_t in_dim; /* input dimension, 1..BMA_MAX_DIM (1 for Fourier classes) */
    double sigma;  /* noise standard deviation of every class, > 0 (docs/math.md §8: e.g. 0.1) */
    double ridge;  /* ridge baseline penalty lambda >= 0; 0 selects sigma^2 */
} bma_opts;

/* What one arrival did. Predictive quantities are before the update. */
typedef struct bma_step {
    double mean;        /* BMA predictive mean sum_c P_c mu_c */
    double var;         /* BMA predictive variance sum_c P_c (v_c + mu_c^2) - mean^2 */
    double logpred;     /* log of the BMA predictive density at y (lse over classes) */
    double sqerr;       /* (mean - y)^2 */
    double ls_pred;     /* min-norm least-squares prediction */
    double sqerr_ls;    /* (ls_pred - y)^2 */
    double ridge_pred;  /* ridge prediction */
    double sqerr_ridge; /* (ridge_pred - y)^2 */
    double cum_logloss; /* L_t(BMA) after this arrival */
} bma_step;

/* One class's state (after the last arrival) and last one-step predictive. */
typedef struct bma_class_info {
    const char *name; /* borrowed, valid until bma_free */
    bma_kind kind;
    size_t dim;       /* feature dimension (SPARSE: s; CUSTOM: 0) */
    size_t supports;  /* SPARSE: C(d, s); else 1 */
    double log_prior; /* log pi_c (normalised) */
    double log_ml;    /* log p_c(y_1..t) */
    double post;      /* P(c | D_t) */
    double mean, var; /* last one-step predictive of this class (before its update) */
    double logpred;   /* log p_c(y_t | x_t, D_{t-1}) of the last arrival */
    double sqerr;     /* (mean - y_t)^2 of the last arrival */
    double regret;    /* L_t(BMA) - L_t(class c) = L_t(BMA) + log_ml */
    double bound;     /* log(1/pi_c): regret <= bound always */
} bma_class_info;

typedef struct bma bma;

/* New empty mixture; add classes with bma_add_class before the first arrival.
 * NULL with BL_EINVAL ("sigma=0: must be > 0") or BL_ENOMEM. */
bma *bma_alloc(const bma_opts *o, bl_err *err);
void bma_free(bma *b); /* NULL is a no-op */

/* Add a class (copies *c). BL_EINVAL naming the field (s, N, L, prior, kind,
 * in_dim mismatch for Fourier: "fourier needs in_dim=1"), BL_ESTATE after the
 * first arrival or beyond BMA_MAX_CLASSES, BL_ENOMEM. b unchanged on error.
 * Cost: SPARSE allocates C(d, s) BLR objects of dimension s. */
int bma_add_class(bma *b, const bma_class_opts *c, bl_err *err);

/* One arrival (x: in_dim numbers, y). O(sum over classes of p_c^2 (times
 * C(d,s) for sparse)) + the least-squares baseline. st may be NULL.
 * BL_ESTATE with no class, BL_EINVAL for non-finite input (b unchanged),
 * BL_ENUM if the least-squares SVD fails, BL_ENOMEM, or a custom hook's code. */
int bma_observe(bma *b, const double *x, double y, bma_step *st, bl_err *err);

size_t bma_count(const bma *b);   /* arrivals */
/* Class c's state; BL_EINVAL for c out of range. */
int bma_class_get(const bma *b, size_t c, bma_class_info *out, bl_err *err);
/* P(c | D_t) for all classes into post (one number per class). */
void bma_posterior(const bma *b, double *post);
double bma_cum_logloss(const bma *b); /* L_t(BMA) = -log sum_c pi_c p_c(y_1..t) */

/* BMA predictive at x without updating (for curves and the G1 check): mean,
 * variance, and log density of y (logpdf may be NULL). O(as one arrival,
 * without the baselines). BL_EINVAL for non-finite x, or a hook's code. */
int bma_predict(const bma *b, const double *x, double y, double *mean, double *var, double *logpdf,
                bl_err *err);
/* Class c's predictive at x: mean, variance (mixture moments for sparse). */
int bma_class_predict(const bma *b, size_t c, const double *x, double *mean, double *var,
                      bl_err *err);
/* SPARSE class c: posterior over its supports P(S | D_t, c) into w (C(d, s)
 * numbers, lexicographic order of supports) and, if idx is not NULL, the
 * supports themselves into idx (C(d, s) * s indices). BL_EINVAL otherwise. */
int bma_support_posterior(const bma *b, size_t c, double *w, size_t *idx, bl_err *err);

#endif
