/* commands/instrument.h - the theory instruments (issue "theory
 * instruments"): experiments that run as data arrive and record the
 * measured curve beside the theory's prediction.
 *
 *  lens   two mixture learners over the same class of M random linear
 *         hypotheses, one with a simple truth (many neighbours) and one with
 *         a complex truth, fed the same inputs and noise; regret against the
 *         bound min_eps [-log W(eps) + n eps] (docs/math.md §3.3).
 *  bma    in-context learning as Bayesian model averaging over function
 *         classes (docs/math.md §8: dense and sparse linear, Fourier, and a GP class
 *         with an RBF kernel), averaged over R independent prompts so the
 *         per-step error curves are smooth: class posterior, BMA error, the
 *         oracle class's error, least squares and ridge, the log(1/pi)/T line.
 *  judge  best-of-k with a judge (docs/math.md §7): error against k with Monte
 *         Carlo error bars, the 1/k^2 law, slope, optimal k, error against T.
 * An instrument owns its data stream (its own seeded generator), so it never
 * disturbs the session's world, stream or model. `run N` advances it. */
#ifndef BAYESLENS_COMMANDS_INSTRUMENT_H
#define BAYESLENS_COMMANDS_INSTRUMENT_H

#include <stdbool.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "commands/job.h"
#include "commands/out.h"
#include "core/theory/bma.h"
#include "core/base/err.h"
#include "core/theory/judge.h"
#include "core/theory/lens.h"

enum inst_kind { INST_NONE = 0, INST_LENS, INST_BMA, INST_JUDGE };

/* Lens traces, per arrival (index n-1). */
enum {
    LT_REGRET_S,
    LT_BOUND_S,
    LT_REGRET_C,
    LT_BOUND_C,
    LT_POST_S,
    LT_POST_C,
    LT_REGRET_SGLD, /* an SGLD ensemble's regret on the simple truth */
    LT_COUNT
};

#define LENS_SGLD_CHAINS 16 /* ensemble size */
#define LENS_SGLD_STEPS  20 /* Langevin steps per arrival and chain */
/* BMA traces, per example t (index t-1), averaged over the prompts:
 * squared errors against the noise-free truth, and cumulative log-loss
 * regrets against the true density (BMA, and the oracle that knows the class). */
enum { BT_BMA, BT_ORACLE, BT_LS, BT_RIDGE, BT_REGRET, BT_ORACLE_REGRET, BT_COUNT };

#define BMA_MAX_PROMPTS 200
#define JUDGE_TEMPS 13

struct instrument {
    enum inst_kind kind;
    gsl_rng *rng;
    size_t n;          /* arrivals (lens, bma) or trials (judge) so far */
    size_t cap;        /* capacity of the trace arrays */
    char desc[160];    /* one line for titles and `show` */

    /* lens */
    lens *ls, *lc;     /* simple and complex truth */
    double *x;         /* scratch input */
    double *lt[LT_COUNT];
    double log_m;      /* log M: the regret bound of a truth in the class */
    /* The mixture approximated by an ensemble of SGLD chains on the Gaussian
     * prior the class was drawn from (core/sampler), fed the simple truth's data. */
    double *sg_w;      /* LENS_SGLD_CHAINS x d chain states */
    double *sg_G, *sg_xty, sg_yty; /* sufficient statistics of the data so far */
    double sg_alpha, sg_beta, sg_loss;

    /* bma */
    bma **prompts;     /* R independent prompts */
    size_t R, d, C;    /* prompts, input dimension, classes */
    int truth_class;   /* index of the class the truth is drawn from */
    char class_names[BMA_MAX_CLASSES][32];
    double **wtruth;   /* per prompt: the truth's parameters (dense / sparse) */
    double *fcoef;     /* per prompt: Fourier coefficients (2N+1 each) */
    double *truth_loss; /* per prompt: cumulative -log p*(y) */
    void **gpc;         /* per prompt: the GP class's model (core/gp), or NULL */
    void **gtruth;      /* per prompt: a noise-free GP the truth is drawn from (truth=gp) */
    double *oracle_loss; /* per prompt: cumulative -log p_c*(y) */
    size_t fourier_n;  /* N of the truth's Fourier class */
    double sigma;
    double *bt[BT_COUNT];
    double *post;      /* n x C class posterior, averaged over prompts */
    double bound;      /* log(1/pi of the truth class) */

    /* judge */
    judge_sim *js;
    double temps[JUDGE_TEMPS], terr[JUDGE_TEMPS];
    bool temps_done;
};

struct lens_setup {
    size_t M, d;        /* hypotheses, dimension */
    double alpha;       /* prior precision of the hypotheses (and the truths' scale) */
    double noise;       /* noise sd; beta = 1/noise^2 */
    double r;           /* the complex truth's radius in typical radii */
    unsigned long seed;
    double mem_limit;        /* bytes both classes may take (half each); 0: no limit */
    const bl_cancel *cancel; /* polled while drawing the classes */
};
struct bma_setup {
    size_t d, s, N, R;  /* input dim, sparsity, Fourier max frequency, prompts */
    double sigma;       /* noise sd */
    const char *classes; /* comma-separated: dense, sparse, fourier, gp */
    const char *truth;  /* the class the prompts are drawn from */
    unsigned long seed;
};

/* New instruments; NULL with a message naming the bad option. */
struct instrument *instrument_lens(const struct lens_setup *o, bl_err *err);
struct instrument *instrument_bma(const struct bma_setup *o, bl_err *err);
struct instrument *instrument_judge(const judge_sim_opts *o, unsigned long seed,
                                    const bl_cancel *cancel, bl_err *err);
/* Free everything (NULL is a no-op). */
void instrument_free(struct instrument *in);
/* Advance by n arrivals (lens, bma) or trials (judge); polls cancel between
 * steps. On an interrupt the steps done stay and BL_ECANCEL is returned. */
int instrument_advance(struct instrument *in, size_t n, const bl_cancel *cancel, bl_err *err);
/* `show lens|bma|judge`. */
int instrument_show(struct instrument *in, struct out *out, bl_err *err);
/* `export lens|bma|judge FILE`: the curves as CSV. */
int instrument_export(const struct instrument *in, const char *path, bl_err *err);
/* Short name: "lens", "bma", "judge". */
const char *instrument_name(const struct instrument *in);
/* `run`: the instrument as a paced job (self: the instrument; units are
 * arrivals, or trials for judge). */
extern const struct job_class instrument_job_class;

#endif
