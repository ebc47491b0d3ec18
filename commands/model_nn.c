/* commands/model_nn.c - `model nn`: a finite fully connected network on the
 * stream's inputs (core/nn, docs/nn.md), with K independent members
 * (`ensemble=K`) whose predictive is the ensemble average.
 *
 * Arrivals do not train: observe scores the one-step predictive of the
 * current network(s) (mean: the ensemble mean; var: the noise plus the
 * ensemble's variance) and stores the point. `train N` (commands/cmd_train.c,
 * through struct model_train) changes the weights. A replay rebuilds the
 * instance from its options (the seed, or load=FILE), so training is lost by
 * `model ...`, a world change or a failed observe (docs/models.md).
 *
 * Seeds, all derived from the model's seed= (default: the session's) by
 * bl_rng_derive(seed, kind, a, b) (core/base/rng.h), each a stream of its own:
 *   member k's initialization      kind 1, a = k
 *   member k's trainer (minibatches, SGLD noise)  kind 2, a = k, b = step
 *     (step: the instance's step count when the trainer is made)
 *   probe inputs                   kind 3
 *   held-out points                kind 4
 * (They were seed + k, seed + 2^32 + k + 2^20 step, seed + 2^33 and
 * seed + 2^34, which GSL's twister cut to their low 32 bits: member 0 was
 * initialized from the world's own draws, the probe and held-out sets were
 * the world's points again, and seed s + 1's members were seed s's shifted
 * by one.)
 * The world draws its truth and points from the session's seed itself.
 * The probe set, on which every layer kernel, its spectrum and the NTK are
 * measured, is fixed once: for a synthetic world `probe` inputs drawn from
 * the world at creation; for a data-set world (no draws) the first
 * min(n, probe) observed inputs when `train` or `show nn` first needs them.
 * The held-out set (`heldout` points, synthetic worlds only) is drawn at
 * creation; a data-set world has none (its loss is NaN, the pane says so).
 * History: a record every `every` steps (steps that are multiples of it) and
 * at the end of each run (beyond NN_HISTORY_MAX records every other one goes
 * and the cadence doubles): losses, per layer RankMe, alpha-ReQ over the
 * window j = 1..J with J = min(probe, width) / 2 capped at 50 (at least 5),
 * cut where the eigenvalues reach their noise floor (NaN with fewer than 5),
 * CKA to the NNGP layer kernel on the probe, and ntk_change. */
#include "commands/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "commands/memlimit.h"
#include "commands/session.h"
#include "core/kernel/gp.h"
#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"
#include "core/nn/nn.h"
#include "core/spectrum/spectrum.h"
#include "core/base/rng.h"

#define NN_MAX_ENSEMBLE 64
#define NN_PROBE_MAX    500
#define NN_ALPHA_CAP    50
#define NN_FILE_MAGIC   "# bayeslens nn weights v1"
/* At most this many history records: beyond, every other one goes and the
 * cadence doubles (a long run keeps its shape in bounded memory). */
#define NN_HISTORY_MAX 8192
/* The NNGP and NTK GP references refit in O(n^3) when n changes: drawn up
 * to this many points. */
#define NN_REF_MAX_N 1000

static const char *const act_choices[] = {"relu", "erf", "tanh", "gelu", "silu", "sin",
                                          "leaky_relu", "abs", NULL};
static const char *const param_choices[] = {"standard", "ntk", "mup", NULL};
static const char *const opt_choices[] = {"sgd", "adam", "sgld", NULL};

static const struct arg_spec nn_keys[] = {
    {.name = "width", .type = ARG_INT, .min = 1, .max = NN_MAX_WIDTH, .def = "64",
     .help = "hidden units per layer n"},
    {.name = "depth", .type = ARG_INT, .min = 1, .max = NN_MAX_DEPTH, .def = "2",
     .help = "hidden layers L"},
    {.name = "act", .type = ARG_CHOICE, .choices = act_choices, .def = "relu",
     .help = "activation (every one the NNGP supports)"},
    {.name = "slope", .type = ARG_REAL, .min = -1e6, .max = 1e6, .def = "0.1",
     .help = "act=leaky_relu: negative-side slope"},
    {.name = "param", .type = ARG_CHOICE, .choices = param_choices, .def = "ntk",
     .help = "parametrization: standard, ntk or mup (mean-field output, lr times width)"},
    {.name = "sw2", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",
     .help = "weight variance (the NNGP's)"},
    {.name = "sb2", .type = ARG_REAL, .min = 0, .max = 1e6, .def = "0.1",
     .help = "bias variance (0: no biases)"},
    {.name = "noise", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6,
     .help = "noise sd (default: the world's when known, else 0.1)"},
    {.name = "ensemble", .type = ARG_INT, .min = 1, .max = NN_MAX_ENSEMBLE, .def = "1",
     .help = "independent members K; the predictive is their average"},
    {.name = "seed", .type = ARG_INT, .min = 0, .max = 4294967295.0,
     .help = "initialization seed (default: the session's)"},
    {.name = "probe", .type = ARG_INT, .min = 10, .max = NN_PROBE_MAX, .def = "100",
     .help = "probe inputs the layer kernels and the NTK are measured on"},
    {.name = "heldout", .type = ARG_INT, .min = 0, .max = 100000, .def = "200",
     .help = "held-out points drawn from the world (synthetic worlds)"},
    {.name = "every", .type = ARG_INT, .min = 1, .max = 1000000, .def = "10",
     .help = "training steps between history records"},
    {.name = "load", .type = ARG_FILE,
     .help = "start from the weights of this file (export weights), not the seed"},
    {0},
};

static const struct arg_spec nn_train_keys[] = {
    {.name = "optimizer", .type = ARG_CHOICE, .choices = opt_choices, .def = "sgd",
     .help = "nn: sgd, adam or sgld (Langevin: at temperature 1 samples the posterior)"},
    {.name = "lr", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "0.01",
     .help = "nn: learning rate (times width for param=mup)"},
    {.name = "batch", .type = ARG_INT, .min = 0, .max = 10000000, .def = "0",
     .help = "nn: minibatch size (0: full batch)"},
    {.name = "temperature", .type = ARG_REAL, .min = 0, .max = 1e6, .def = "1",
     .help = "nn, sgld: temperature T"},
    {0},
};

struct nn_setup {
    nn_opts net;       /* in_dim set at creation */
    double noise;      /* sd */
    size_t ensemble;
    size_t probe, heldout, every;
    unsigned long seed;
    char load[1024];   /* "" : initialize from the seed */
};

struct nn_rec { /* one history record's per-layer values live in the arrays */
    size_t n, cap;
    size_t stride; /* records every `every * stride` steps (doubles when thinned) */
    double *step, *train, *held, *ntk, *obj;
    double *rank, *alpha, *cka; /* n x layers */
};

struct nn_inst {
    struct nn_setup set;
    size_t in_dim, layers; /* layers = L + 1 */
    size_t K;
    nn **net;
    nn_trainer **tr;
    nn_train_opts topts;
    bool have_tr;
    size_t step;
    /* the stream */
    double *X, *Y;
    size_t n, cap;
    double cum;
    double *f; /* scratch: K x max(points) predictions */
    size_t fcap;
    /* probe and held-out */
    bool synthetic;
    double *P;
    size_t np;
    bool probe_fixed;
    double *H, *HY;
    size_t nh;
    /* on the probe: analytic layer kernels, their spectra, the NTK at the start */
    double *Kref;   /* layers x np x np */
    double *ref_lam; /* layers x np */
    double *ref_rank, *ref_alpha;
    double *theta0;
    double theta0_norm;
    size_t alpha_lo, alpha_hi;
    /* now (the last record or snapshot) */
    double *lam;    /* layers x np */
    double *rank, *alpha, *cka;
    double loss, held, obj, ntk_change;
    struct nn_rec h;
    /* the NNGP and NTK GP posteriors on the stream (data pane), by n */
    gp *gp_k, *gp_t;
    size_t gp_n;
};

/* ---- file --------------------------------------------------------------- */

static const char *
act_name(const nn_opts *o)
{
    return nngp_act_name(o->act);
}

/* The header line: every key that fixes the parameter vector's meaning. */
static void
header_line(const struct nn_setup *st, size_t in_dim, size_t nparams, char *buf, size_t size)
{
    const nn_opts *o = &st->net;
    snprintf(buf, size,
             "in_dim=%zu width=%zu depth=%zu act=%s slope=%.17g param=%s sw2=%.17g sb2=%.17g "
             "ensemble=%zu nparams=%zu",
             in_dim, o->width, o->depth, act_name(o), o->slope, nn_param_name(o->param), o->sw2,
             o->sb2, st->ensemble, nparams);
}

/* Parameters of the architecture (W then b per layer; biases when sb2 > 0). */
static double
count_params(const nn_opts *o, size_t in_dim)
{
    double n = (double)o->width, d = (double)in_dim, L = (double)o->depth;
    double p = d * n + (L - 1) * n * n + n;
    if (o->sb2 > 0)
        p += L * n + 1;
    return p;
}

/* Read a weights file against the setup: the header must match word for
 * word; theta (K x nparams) may be NULL (check only). */
static int
read_weights(const struct nn_setup *st, size_t in_dim, double *theta, bl_err *err)
{
    const char *path = st->load;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return bl_fail(err, BL_EIO, "load=%s: %s", path, strerror(errno));
    size_t np = (size_t)count_params(&st->net, in_dim);
    char line[1024], want[1024];
    int rc = BL_OK;
    if (fgets(line, sizeof line, f) == NULL || strncmp(line, NN_FILE_MAGIC, strlen(NN_FILE_MAGIC)))
        rc = bl_fail(err, BL_EINVAL, "load=%s: not a bayeslens nn weights file (line 1)", path);
    if (rc == BL_OK && fgets(line, sizeof line, f) == NULL)
        rc = bl_fail(err, BL_EINVAL, "load=%s: no header line 2", path);
    if (rc == BL_OK) {
        line[strcspn(line, "\r\n")] = '\0';
        header_line(st, in_dim, np, want, sizeof want);
        /* Name the first key that differs. */
        char *a = line, *b = want;
        while (rc == BL_OK && (*a || *b)) {
            size_t la = strcspn(a, " "), lb = strcspn(b, " ");
            if (la != lb || strncmp(a, b, la) != 0) {
                size_t kl = strcspn(b, "=");
                rc = bl_fail(err, BL_EINVAL, "load=%s: the file has %.*s, the model %.*s%s", path,
                             (int)la, a, (int)lb, b,
                             strncmp(b, "in_dim", kl) == 0 ? " (the world's inputs)" : "");
                (void)kl;
            }
            a += la;
            b += lb;
            while (*a == ' ')
                a++;
            while (*b == ' ')
                b++;
        }
    }
    size_t total = st->ensemble * np;
    for (size_t i = 0; rc == BL_OK && i < total; i++) {
        double v;
        if (fscanf(f, "%lf", &v) != 1)
            rc = bl_fail(err, BL_EINVAL, "load=%s: ends after %zu of %zu numbers", path, i,
                         total);
        else if (!isfinite(v))
            rc = bl_fail(err, BL_EINVAL, "load=%s: number %zu is not finite", path, i + 1);
        else if (theta != NULL)
            theta[i] = v;
    }
    if (rc == BL_OK) {
        int c;
        while ((c = fgetc(f)) != EOF && (c == ' ' || c == '\n' || c == '\r' || c == '\t'))
            ;
        if (c != EOF)
            rc = bl_fail(err, BL_EINVAL, "load=%s: more than the %zu numbers the header says",
                         path, total);
    }
    fclose(f);
    return rc;
}

static int
nn_save(const void *m, FILE *f, bl_err *err)
{
    const struct nn_inst *g = m;
    size_t np = nn_nparams(g->net[0]);
    double *theta = malloc(np * sizeof *theta);
    if (theta == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for %zu parameters", np);
    char head[1024];
    header_line(&g->set, g->in_dim, np, head, sizeof head);
    fprintf(f, "%s\n%s\n", NN_FILE_MAGIC, head);
    for (size_t k = 0; k < g->K; k++) {
        nn_get_params(g->net[k], theta);
        for (size_t i = 0; i < np; i++)
            fprintf(f, "%.17g\n", theta[i]);
    }
    free(theta);
    return BL_OK;
}

/* ---- configure, create, free ---------------------------------------------- */

static int
nn_configure(const struct session *s, const struct cmd_args *a, void *opts, bl_err *err)
{
    struct nn_setup *st = opts;
    memset(st, 0, sizeof *st);
    st->net = nn_opts_default();
    st->net.width = (size_t)args_int(a, "width");
    st->net.depth = (size_t)args_int(a, "depth");
    if (nngp_act_parse(args_str(a, "act"), &st->net.act, err) != BL_OK)
        return BL_EINVAL;
    st->net.slope = args_real(a, "slope");
    if (nn_param_parse(args_str(a, "param"), &st->net.param, err) != BL_OK)
        return BL_EINVAL;
    st->net.sw2 = args_real(a, "sw2");
    st->net.sb2 = args_real(a, "sb2");
    if (args_given(a, "noise"))
        st->noise = args_real(a, "noise");
    else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0)
        st->noise = world_noise(s->world);
    else
        st->noise = 0.1;
    st->ensemble = (size_t)args_int(a, "ensemble");
    st->seed = args_given(a, "seed") ? (unsigned long)args_int(a, "seed") : s->seed;
    st->probe = (size_t)args_int(a, "probe");
    st->heldout = (size_t)args_int(a, "heldout");
    st->every = (size_t)args_int(a, "every");
    if (args_given(a, "load")) {
        const char *p = args_str(a, "load");
        if (strlen(p) >= sizeof st->load)
            return bl_fail(err, BL_EINVAL, "load: path longer than %zu characters",
                           sizeof st->load - 1);
        snprintf(st->load, sizeof st->load, "%s", p);
    }
    size_t d = s->world != NULL ? s->in_dim : 1;
    /* Parameters, gradient, two Adam moments and the trainer's scratch;
     * on the probe set the analytic and empirical layer kernels and the NTK. */
    double pr = (double)st->probe;
    double bytes = 8.0 * 5 * count_params(&st->net, d) * (double)st->ensemble +
                   8.0 * (2 * (double)(st->net.depth + 1) + 3) * pr * pr;
    char what[128];
    snprintf(what, sizeof what, "model nn width=%zu depth=%zu ensemble=%zu (%.4g parameters)",
             st->net.width, st->net.depth, st->ensemble,
             count_params(&st->net, d) * (double)st->ensemble);
    if (mem_check(bytes, what, err) != BL_OK)
        return BL_ENOMEM;
    if (st->load[0] && s->world != NULL)
        return read_weights(st, d, NULL, err);
    return BL_OK;
}

static void
rec_free(struct nn_rec *h)
{
    free(h->step);
    free(h->train);
    free(h->held);
    free(h->ntk);
    free(h->obj);
    free(h->rank);
    free(h->alpha);
    free(h->cka);
    memset(h, 0, sizeof *h);
}

static void
nn_inst_free(void *m)
{
    struct nn_inst *g = m;
    if (g == NULL)
        return;
    for (size_t k = 0; k < g->K; k++) {
        if (g->net)
            nn_free(g->net[k]);
        if (g->tr)
            nn_trainer_free(g->tr[k]);
    }
    free(g->net);
    free(g->tr);
    free(g->X);
    free(g->Y);
    free(g->f);
    free(g->P);
    free(g->H);
    free(g->HY);
    free(g->Kref);
    free(g->ref_lam);
    free(g->ref_rank);
    free(g->ref_alpha);
    free(g->theta0);
    free(g->lam);
    free(g->rank);
    free(g->alpha);
    free(g->cka);
    rec_free(&g->h);
    gp_free(g->gp_k);
    gp_free(g->gp_t);
    free(g);
}

static nngp_opts
nngp_of(const struct nn_setup *st)
{
    nngp_opts o = nngp_opts_default();
    o.act = st->net.act;
    o.depth = st->net.depth;
    o.sw2 = st->net.sw2;
    o.sb2 = st->net.sb2;
    o.slope = st->net.slope;
    return o;
}

/* Predictions of every member at n inputs into g->f (K x n). */
static int
predict_all(struct nn_inst *g, const double *X, size_t n, bl_err *err)
{
    if (g->K * n > g->fcap) {
        double *f = realloc(g->f, g->K * n * sizeof *f);
        if (f == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory for %zu predictions", g->K * n);
        g->f = f;
        g->fcap = g->K * n;
    }
    for (size_t k = 0; k < g->K; k++) {
        int rc = nn_predict(g->net[k], X, n, g->f + k * n, err);
        if (rc != BL_OK)
            return rc;
    }
    return BL_OK;
}

/* Ensemble mean and variance of prediction i of n (after predict_all). */
static void
ens_moments(const struct nn_inst *g, size_t i, size_t n, double *mean, double *var)
{
    double s = 0, q = 0;
    for (size_t k = 0; k < g->K; k++)
        s += g->f[k * n + i];
    s /= (double)g->K;
    for (size_t k = 0; k < g->K; k++) {
        double e = g->f[k * n + i] - s;
        q += e * e;
    }
    *mean = s;
    *var = q / (double)g->K;
}

/* Per-point loss of the ensemble mean: mean of (y - f)^2 / (2 s2). */
static int
loss_on(struct nn_inst *g, const double *X, const double *Y, size_t n, double *loss, bl_err *err)
{
    if (n == 0) {
        *loss = NAN;
        return BL_OK;
    }
    int rc = predict_all(g, X, n, err);
    if (rc != BL_OK)
        return rc;
    double s2 = g->set.noise * g->set.noise, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double mu, v;
        ens_moments(g, i, n, &mu, &v);
        sum += (Y[i] - mu) * (Y[i] - mu) / (2 * s2);
    }
    *loss = sum / (double)n;
    return BL_OK;
}

static double
frob(const double *A, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n * n; i++)
        s += A[i] * A[i];
    return sqrt(s);
}

/* alpha-ReQ over j = lo..hi, the window cut where the eigenvalues reach
 * their noise floor (below it the digits are rounding: two BLAS kernels
 * give different ones, and a rank-2 input kernel has no power law). NaN
 * when fewer than SPECTRUM_MIN_POINTS remain. */
static size_t
above_floor(const double *lam, size_t n)
{
    double fl = spectrum_noise_floor(lam, n);
    size_t k = 0;
    while (k < n && lam[k] > fl)
        k++;
    return k;
}

static double
alpha_of(const double *lam, size_t n, size_t lo, size_t hi)
{
    size_t k = above_floor(lam, n);
    hi = hi < k ? hi : k;
    spectrum_fit fit;
    if (hi < lo + SPECTRUM_MIN_POINTS - 1 ||
        spectrum_alpha_req(lam, n, lo, hi, false, &fit, NULL) != BL_OK)
        return (double)NAN;
    return fit.alpha;
}

/* Why the layers whose alpha-ReQ is NaN have none, one clause per layer,
 * from the spectra lam (layers x np) alpha_of saw. Layer 1's kernel, the
 * network's and the NNGP's alike, is sw2 x.x'/d + sb2 (docs/nn.md):
 * linear in the inputs, of rank at most d + 1 at any width, which is why
 * it has no power law: said so. Empty when none is NaN. */
static void
alpha_why(const struct nn_inst *g, const double *alpha, const double *lam, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < g->layers && len < size; l++) {
        if (!isnan(alpha[l]))
            continue;
        size_t k = above_floor(lam + l * g->np, g->np);
        char rank[80] = "";
        if (l == 0)
            snprintf(rank, sizeof rank, " (kernel sw2 x.x'/d + sb2, rank <= d + 1 = %zu)",
                     g->in_dim + 1);
        len += (size_t)snprintf(buf + len, size - len,
                                "%slayer %zu%s: %zu eigenvalue%s above the noise floor, the fit "
                                "over j = %zu..%zu needs %d",
                                len ? "; " : "", l + 1, rank, k, k == 1 ? "" : "s", g->alpha_lo,
                                g->alpha_hi, SPECTRUM_MIN_POINTS);
    }
}

/* The probe set's fixed companions: the NNGP layer kernels and their
 * spectra, the alpha window, and the NTK of member 1 as it is now (the
 * start: nothing has trained before the probe is fixed). */
static int
fix_probe(struct nn_inst *g, bl_err *err)
{
    size_t np = g->np, L1 = g->layers;
    g->Kref = malloc(L1 * np * np * sizeof *g->Kref);
    g->ref_lam = malloc(L1 * np * sizeof *g->ref_lam);
    g->lam = calloc(L1 * np, sizeof *g->lam);
    g->theta0 = malloc(np * np * sizeof *g->theta0);
    double **Ks = malloc(L1 * sizeof *Ks);
    if (!g->Kref || !g->ref_lam || !g->lam || !g->theta0 || !Ks) {
        free(Ks);
        return bl_fail(err, BL_ENOMEM, "out of memory for the probe set (%zu points)", np);
    }
    size_t J = np < g->set.net.width ? np : g->set.net.width;
    J /= 2;
    J = J > NN_ALPHA_CAP ? NN_ALPHA_CAP : J < SPECTRUM_MIN_POINTS ? SPECTRUM_MIN_POINTS : J;
    g->alpha_lo = 1;
    g->alpha_hi = J > np ? np : J;
    for (size_t l = 0; l < L1; l++)
        Ks[l] = g->Kref + l * np * np;
    nngp_opts no = nngp_of(&g->set);
    nngp *nm = nngp_alloc(g->in_dim, &no, err);
    int rc = nm == NULL ? (err ? err->code : BL_ENOMEM)
                        : nngp_gram_layers(nm, g->P, np, Ks, NULL, NULL, err);
    nngp_free(nm);
    free(Ks);
    for (size_t l = 0; rc == BL_OK && l < L1; l++) {
        double *lam = g->ref_lam + l * np;
        rc = spectrum_eig_desc(g->Kref + l * np * np, np, lam, err);
        if (rc == BL_OK && spectrum_rankme_psd(lam, np, &g->ref_rank[l], NULL) != BL_OK)
            g->ref_rank[l] = NAN;
        g->ref_alpha[l] = rc == BL_OK ? alpha_of(lam, np, g->alpha_lo, g->alpha_hi) : (double)NAN;
    }
    if (rc == BL_OK)
        rc = nn_ntk_gram(g->net[0], g->P, np, g->theta0, err);
    if (rc == BL_OK) {
        g->theta0_norm = frob(g->theta0, np);
        g->probe_fixed = true;
    }
    return rc;
}

/* A data-set world's probe: the first min(n, probe) observed inputs. */
static int
need_probe(struct nn_inst *g, bl_err *err)
{
    if (g->probe_fixed)
        return BL_OK;
    if (g->n < 2)
        return bl_fail(err, BL_ESTATE, "nn: the probe set needs 2 observed points, has %zu",
                       g->n);
    g->np = g->n < g->set.probe ? g->n : g->set.probe;
    free(g->P);
    g->P = malloc(g->np * g->in_dim * sizeof *g->P);
    if (g->P == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for the probe set");
    memcpy(g->P, g->X, g->np * g->in_dim * sizeof *g->P);
    return fix_probe(g, err);
}

/* The state now on the probe and the data: losses, per-layer spectra,
 * CKA, the NTK's change; into g's "now" fields. */
static int
snapshot(struct nn_inst *g, bl_err *err)
{
    int rc = loss_on(g, g->X, g->Y, g->n, &g->loss, err);
    if (rc == BL_OK)
        rc = loss_on(g, g->H, g->HY, g->nh, &g->held, err);
    if (rc == BL_OK && g->n > 0)
        rc = nn_objective_grad(g->net[0], g->X, g->Y, g->n, g->n,
                               g->set.noise * g->set.noise, &g->obj, NULL, err);
    if (rc != BL_OK || !g->probe_fixed)
        return rc;
    size_t np = g->np, L1 = g->layers;
    double *K = malloc((L1 + 1) * np * np * sizeof *K);
    double **Ks = malloc(L1 * sizeof *Ks);
    if (K == NULL || Ks == NULL) {
        free(K);
        free(Ks);
        return bl_fail(err, BL_ENOMEM, "out of memory for %zu layer kernels", L1);
    }
    for (size_t l = 0; l < L1; l++)
        Ks[l] = K + l * np * np;
    double *T = K + L1 * np * np;
    rc = nn_layer_grams(g->net[0], g->P, np, Ks, err);
    for (size_t l = 0; rc == BL_OK && l < L1; l++) {
        double *lam = g->lam + l * np;
        rc = spectrum_eig_desc(Ks[l], np, lam, err);
        if (rc == BL_OK && spectrum_rankme_psd(lam, np, &g->rank[l], NULL) != BL_OK)
            g->rank[l] = NAN;
        g->alpha[l] = rc == BL_OK ? alpha_of(lam, np, g->alpha_lo, g->alpha_hi) : (double)NAN;
        if (rc == BL_OK &&
            spectrum_cka(Ks[l], g->Kref + l * np * np, np, &g->cka[l], NULL) != BL_OK)
            g->cka[l] = NAN;
    }
    if (rc == BL_OK)
        rc = nn_ntk_gram(g->net[0], g->P, np, T, err);
    if (rc == BL_OK) {
        for (size_t i = 0; i < np * np; i++)
            T[i] -= g->theta0[i];
        g->ntk_change = g->theta0_norm > 0 ? frob(T, np) / g->theta0_norm : (double)NAN;
    }
    free(K);
    free(Ks);
    return rc;
}

static int
grow_rec(struct nn_rec *h, size_t layers)
{
    if (h->n < h->cap)
        return BL_OK;
    size_t cap = h->cap ? 2 * h->cap : 64;
    double **one[] = {&h->step, &h->train, &h->held, &h->ntk, &h->obj};
    double **lay[] = {&h->rank, &h->alpha, &h->cka};
    for (size_t i = 0; i < 5; i++) {
        double *p = realloc(*one[i], cap * sizeof *p);
        if (p == NULL)
            return BL_ENOMEM;
        *one[i] = p;
    }
    for (size_t i = 0; i < 3; i++) {
        double *p = realloc(*lay[i], cap * layers * sizeof *p);
        if (p == NULL)
            return BL_ENOMEM;
        *lay[i] = p;
    }
    h->cap = cap;
    return BL_OK;
}

/* Keep records 0, 2, 4, ... and the last (NN_HISTORY_MAX reached). */
static void
thin_rec(struct nn_rec *h, size_t layers)
{
    size_t k = 0;
    for (size_t i = 0; i < h->n; i += (i + 2 < h->n || i + 1 == h->n) ? 2 : 1) {
        double *one[] = {h->step, h->train, h->held, h->ntk, h->obj};
        for (size_t a = 0; a < 5; a++)
            one[a][k] = one[a][i];
        double *lay[] = {h->rank, h->alpha, h->cka};
        for (size_t a = 0; a < 3; a++)
            memmove(lay[a] + k * layers, lay[a] + i * layers, layers * sizeof(double));
        k++;
    }
    h->n = k;
    h->stride = h->stride ? 2 * h->stride : 2;
}

/* Append the state now to the history (no-op when the step is recorded). */
static int
record_now(struct nn_inst *g, bl_err *err)
{
    struct nn_rec *h = &g->h;
    if (h->n > 0 && h->step[h->n - 1] == (double)g->step)
        return BL_OK;
    if (h->n >= NN_HISTORY_MAX)
        thin_rec(h, g->layers);
    int rc = snapshot(g, err);
    if (rc != BL_OK)
        return rc;
    if (grow_rec(h, g->layers) != BL_OK)
        return bl_fail(err, BL_ENOMEM, "out of memory for the training history");
    size_t i = h->n++;
    h->step[i] = (double)g->step;
    h->train[i] = g->loss;
    h->held[i] = g->held;
    h->ntk[i] = g->probe_fixed ? g->ntk_change : (double)NAN;
    h->obj[i] = g->obj;
    for (size_t l = 0; l < g->layers; l++) {
        h->rank[i * g->layers + l] = g->probe_fixed ? g->rank[l] : (double)NAN;
        h->alpha[i * g->layers + l] = g->probe_fixed ? g->alpha[l] : (double)NAN;
        h->cka[i * g->layers + l] = g->probe_fixed ? g->cka[l] : (double)NAN;
    }
    return BL_OK;
}

static void *
nn_create(const void *opts, const world *w, bl_err *err)
{
    const struct nn_setup *st = opts;
    struct nn_inst *g = calloc(1, sizeof *g);
    if (g == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory"), NULL;
    g->set = *st;
    g->in_dim = world_in_dim(w);
    g->set.net.in_dim = g->in_dim;
    g->layers = st->net.depth + 1;
    g->K = st->ensemble;
    g->topts = nn_train_opts_default();
    g->topts.noise_var = st->noise * st->noise;
    g->net = calloc(g->K, sizeof *g->net);
    g->tr = calloc(g->K, sizeof *g->tr);
    g->ref_rank = malloc(g->layers * sizeof(double));
    g->ref_alpha = malloc(g->layers * sizeof(double));
    g->rank = malloc(g->layers * sizeof(double));
    g->alpha = malloc(g->layers * sizeof(double));
    g->cka = malloc(g->layers * sizeof(double));
    if (!g->net || !g->tr || !g->ref_rank || !g->ref_alpha || !g->rank || !g->alpha || !g->cka) {
        nn_inst_free(g);
        return bl_fail(err, BL_ENOMEM, "out of memory"), NULL;
    }
    for (size_t l = 0; l < g->layers; l++)
        g->rank[l] = g->alpha[l] = g->cka[l] = g->ref_rank[l] = g->ref_alpha[l] = NAN;
    g->loss = g->held = g->obj = g->ntk_change = NAN;
    int rc = BL_OK;
    for (size_t k = 0; rc == BL_OK && k < g->K; k++) {
        nn_opts o = g->set.net;
        o.seed = bl_rng_derive(st->seed, 1, k, 0);
        g->net[k] = nn_alloc(&o, err);
        if (g->net[k] == NULL)
            rc = err && err->code ? err->code : BL_ENOMEM;
    }
    if (rc == BL_OK && st->load[0]) {
        size_t np = nn_nparams(g->net[0]);
        double *theta = malloc(g->K * np * sizeof *theta);
        rc = theta ? read_weights(&g->set, g->in_dim, theta, err)
                   : bl_fail(err, BL_ENOMEM, "out of memory for %zu parameters", g->K * np);
        for (size_t k = 0; rc == BL_OK && k < g->K; k++)
            rc = nn_set_params(g->net[k], theta + k * np, err);
        free(theta);
    }
    g->synthetic = world_get_kind(w) != WORLD_TABLE;
    if (rc == BL_OK && g->synthetic) {
        /* world_next reads a synthetic world (only a table world moves its
         * row), so drawing from it with our own generators leaves it as it was. */
        world *ww = (world *)w;
        gsl_rng *r = gsl_rng_alloc(bl_rng_mt19937);
        g->np = st->probe;
        g->nh = st->heldout;
        g->P = malloc(g->np * g->in_dim * sizeof *g->P);
        g->H = malloc((g->nh ? g->nh : 1) * g->in_dim * sizeof *g->H);
        g->HY = malloc((g->nh ? g->nh : 1) * sizeof *g->HY);
        if (r == NULL || !g->P || !g->H || !g->HY)
            rc = bl_fail(err, BL_ENOMEM, "out of memory for the probe and held-out sets");
        if (rc == BL_OK) {
            double y;
            gsl_rng_set(r, (unsigned long)bl_rng_derive(st->seed, 3, 0, 0));
            for (size_t i = 0; rc == BL_OK && i < g->np; i++)
                rc = world_next(ww, r, g->P + i * g->in_dim, &y, err);
            gsl_rng_set(r, (unsigned long)bl_rng_derive(st->seed, 4, 0, 0));
            for (size_t i = 0; rc == BL_OK && i < g->nh; i++)
                rc = world_next(ww, r, g->H + i * g->in_dim, &g->HY[i], err);
        }
        gsl_rng_free(r);
        if (rc == BL_OK)
            rc = fix_probe(g, err);
        if (rc == BL_OK) /* the kernels at initialization, for the spectrum pane */
            rc = snapshot(g, err);
    }
    /* Warm the nets' scratch, so that an arrival never fails for memory. */
    double *x0 = rc == BL_OK ? calloc(g->in_dim, sizeof *x0) : NULL;
    if (rc == BL_OK)
        rc = x0 ? predict_all(g, x0, 1, err) : bl_fail(err, BL_ENOMEM, "out of memory");
    free(x0);
    if (rc != BL_OK) {
        nn_inst_free(g);
        return NULL;
    }
    return g;
}

/* ---- arrivals and the predictive ---------------------------------------------- */

static int
nn_predict_one(const void *m, const double *x, struct model_pred *p, bl_err *err)
{
    struct nn_inst *g = (struct nn_inst *)m; /* the nets' scratch: one caller at a time */
    int rc = predict_all(g, x, 1, err);
    if (rc != BL_OK)
        return rc;
    double mu, v;
    ens_moments(g, 0, 1, &mu, &v);
    p->mean = mu;
    p->var_f = v;
    p->var = v + g->set.noise * g->set.noise;
    return BL_OK;
}

static int
nn_observe(void *m, const double *x, double y, struct model_step *st, bl_err *err)
{
    struct nn_inst *g = m;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 256;
        double *X = realloc(g->X, cap * g->in_dim * sizeof *X);
        if (X == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory for %zu points", cap);
        g->X = X;
        double *Y = realloc(g->Y, cap * sizeof *Y);
        if (Y == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory for %zu points", cap);
        g->Y = Y;
        g->cap = cap;
    }
    struct model_pred p;
    int rc = nn_predict_one(g, x, &p, err);
    if (rc != BL_OK)
        return rc;
    double e = y - p.mean;
    double lp = -0.5 * (log(2 * M_PI * p.var) + e * e / p.var);
    *st = (struct model_step){.logpred = lp, .mean = p.mean, .var = p.var, .gaussian = true};
    memcpy(g->X + g->n * g->in_dim, x, g->in_dim * sizeof *x);
    g->Y[g->n++] = y;
    g->cum -= lp;
    return BL_OK;
}

static double
nn_evidence(const void *m)
{
    const struct nn_inst *g = m;
    return -g->cum; /* the chain rule of the one-step predictives */
}

static void
nn_describe(const void *opts, const void *m, char *buf, size_t size)
{
    const struct nn_setup *st = opts;
    const struct nn_inst *g = m;
    char ens[32] = "", step[32] = "", slope[32] = "";
    if (st->ensemble > 1)
        snprintf(ens, sizeof ens, " ensemble=%zu", st->ensemble);
    if (g != NULL && g->step > 0)
        snprintf(step, sizeof step, " step=%zu", g->step);
    if (st->net.act == NNGP_LEAKY_RELU)
        snprintf(slope, sizeof slope, " slope=%.4g", st->net.slope);
    snprintf(buf, size, "nn width=%zu depth=%zu act=%s%s param=%s sw2=%.4g sb2=%.4g noise=%.4g%s%s",
             st->net.width, st->net.depth, nngp_act_name(st->net.act), slope,
             nn_param_name(st->net.param), st->net.sw2, st->net.sb2, st->noise, ens, step);
}

/* ---- training -------------------------------------------------------------------- */

static bool
topts_equal(const nn_train_opts *a, const nn_train_opts *b)
{
    return a->opt == b->opt && a->lr == b->lr && a->batch == b->batch &&
           a->temperature == b->temperature && a->noise_var == b->noise_var;
}

static int
nn_train_begin(void *m, const struct cmd_args *a, bl_err *err)
{
    struct nn_inst *g = m;
    if (g->n == 0)
        return bl_fail(err, BL_ESTATE, "nothing to train on: observe some points first");
    nn_train_opts o = g->topts;
    if (args_given(a, "optimizer") && nn_optimizer_parse(args_str(a, "optimizer"), &o.opt, err))
        return BL_EINVAL;
    if (args_given(a, "lr"))
        o.lr = args_real(a, "lr");
    if (args_given(a, "batch"))
        o.batch = (size_t)args_int(a, "batch");
    if (args_given(a, "temperature"))
        o.temperature = args_real(a, "temperature");
    if (o.batch > g->n)
        return bl_fail(err, BL_EINVAL, "batch=%zu: more than the %zu points observed", o.batch,
                       g->n);
    int rc = need_probe(g, err);
    if (rc != BL_OK)
        return rc;
    if (!g->have_tr || !topts_equal(&o, &g->topts)) {
        /* New settings: new trainers (Adam's moments start again). */
        nn_trainer **tr = calloc(g->K, sizeof *tr);
        if (tr == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        for (size_t k = 0; rc == BL_OK && k < g->K; k++) {
            uint64_t seed = bl_rng_derive(g->set.seed, 2, k, g->step);
            tr[k] = nn_trainer_alloc(g->net[k], &o, seed, err);
            if (tr[k] == NULL)
                rc = err && err->code ? err->code : BL_ENOMEM;
        }
        if (rc != BL_OK) {
            for (size_t k = 0; k < g->K; k++)
                nn_trainer_free(tr[k]);
            free(tr);
            return rc;
        }
        for (size_t k = 0; k < g->K; k++)
            nn_trainer_free(g->tr[k]);
        free(g->tr);
        g->tr = tr;
        g->topts = o;
        g->have_tr = true;
    }
    return record_now(g, err);
}

static int
nn_train_step(void *m, size_t n, size_t *done, const bl_cancel *cancel, bl_err *err)
{
    struct nn_inst *g = m;
    size_t did = 0;
    int rc = BL_OK;
    while (did < n && rc == BL_OK) {
        if (bl_cancelled(cancel)) {
            rc = bl_fail(err, BL_ECANCEL, "training interrupted at step %zu", g->step);
            break;
        }
        size_t every = g->set.every, chunk = every - g->step % every;
        if (chunk > n - did)
            chunk = n - did;
        /* Members step in lockstep (no cancel inside a chunk), so an
         * interrupt leaves every member at the same step. */
        for (size_t k = 0; k < g->K && rc == BL_OK; k++)
            rc = nn_train(g->tr[k], g->net[k], g->X, g->Y, g->n, chunk, NULL, NULL, NULL, err);
        if (rc != BL_OK)
            break;
        did += chunk;
        g->step += chunk;
        size_t stride = g->h.stride ? g->h.stride : 1;
        if (g->step % (every * stride) == 0)
            rc = record_now(g, err);
    }
    if (done != NULL)
        *done = did;
    return rc;
}

static void
nn_train_end(void *m)
{
    struct nn_inst *g = m;
    bl_err e;
    if (g->have_tr)
        record_now(g, &e);
}

static void
nn_train_describe(const void *m, char *buf, size_t size)
{
    const struct nn_inst *g = m;
    /* Four digits: this is the one-line summary the status line and the
     * end of `train` print (a 10-digit loss pushed the status line's log
     * evidence off its edge); `show nn` has every digit. */
    char l[32];
    double loss = g->h.n ? g->h.train[g->h.n - 1] : (double)NAN;
    if (isfinite(loss))
        snprintf(l, sizeof l, "%.4g", loss);
    else
        out_num(l, sizeof l, loss);
    snprintf(buf, size, "nn %s step %zu, loss %s", g->have_tr ? nn_optimizer_name(g->topts.opt)
                                                              : "", g->step, l);
}

static size_t
nn_steps(const void *m)
{
    return ((const struct nn_inst *)m)->step;
}

/* ---- show, gram --------------------------------------------------------------------- */

static int
nn_show(struct session *s, struct out *out, bl_err *err)
{
    struct nn_inst *g = s->m;
    int rc = g->synthetic || g->n >= 2 ? need_probe(g, err) : BL_OK;
    if (rc == BL_OK)
        rc = snapshot(g, err);
    if (rc != BL_OK)
        return rc;
    out_kv_int(out, "step", (long long)g->step);
    out_kv_why(out, "loss", g->loss, "no points observed yet");
    out_kv_why(out, "heldout_loss", g->held,
               g->synthetic ? "heldout=0" : "a data-set world has no held-out draws");
    out_kv_why(out, "objective", g->obj, "no points observed yet");
    out_kv_int(out, "width", (long long)g->set.net.width);
    out_kv_int(out, "depth", (long long)g->set.net.depth);
    out_kv_int(out, "params", (long long)nn_nparams(g->net[0]));
    out_kv_int(out, "ensemble", (long long)g->K);
    out_kv_str(out, "param", nn_param_name(g->set.net.param));
    out_kv_str(out, "optimizer", g->have_tr ? nn_optimizer_name(g->topts.opt) : "none yet");
    out_kv_int(out, "probe", (long long)(g->probe_fixed ? g->np : 0));
    if (!g->probe_fixed)
        return BL_OK;
    out_kv_why(out, "ntk_change", g->ntk_change, "the NTK at the start is 0");
    out_kv_vec(out, "effective_rank", g->rank, g->layers);
    /* Nothing prints nan unexplained: each vector says why its own are. */
    char why[512];
    alpha_why(g, g->alpha, g->lam, why, sizeof why);
    out_kv_vec_why(out, "alpha_req", g->alpha, g->layers, why);
    double win[2] = {(double)g->alpha_lo, (double)g->alpha_hi};
    out_kv_vec(out, "alpha_window", win, 2);
    out_kv_vec(out, "cka_nngp", g->cka, g->layers);
    out_kv_vec(out, "nngp_effective_rank", g->ref_rank, g->layers);
    alpha_why(g, g->ref_alpha, g->ref_lam, why, sizeof why);
    out_kv_vec_why(out, "nngp_alpha_req", g->ref_alpha, g->layers, why);
    return BL_OK;
}

/* export gram layer=L: member 1's empirical layer kernel in the NNGP's
 * convention (layer 0: the output layer L+1, as a gp's kernel=nngp). */
static int
nn_gram(const void *m, const double *X, size_t n, long layer, double *K, const bl_cancel *cancel,
        bl_err *err)
{
    struct nn_inst *g = (struct nn_inst *)m;
    if ((size_t)layer > g->layers)
        return bl_fail(err, BL_EINVAL, "layer=%ld: the network has layers 1..%zu", layer,
                       g->layers);
    size_t l = layer <= 0 ? g->layers : (size_t)layer;
    double **Ks = calloc(g->layers, sizeof *Ks);
    if (Ks == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    Ks[l - 1] = K;
    int rc;
    if (l == 1) {
        /* Layer 1 is sw2 x.x'/d + sb2 whatever the weights: the NNGP's own
         * code computes it, so the two exports agree to the last bit. */
        nngp_opts no = nngp_of(&g->set);
        nngp *nm = nngp_alloc(g->in_dim, &no, err);
        rc = nm ? nngp_gram_layers(nm, X, n, Ks, NULL, cancel, err)
                : (err && err->code ? err->code : BL_ENOMEM);
        nngp_free(nm);
    } else {
        rc = nn_layer_grams(g->net[0], X, n, Ks, err);
    }
    free(Ks);
    return rc;
}

/* ---- panes --------------------------------------------------------------------------- */

static int
nn_pane_mean(const void *m, const double *X, size_t n, double *mean, bl_err *err)
{
    struct nn_inst *g = (struct nn_inst *)m;
    int rc = predict_all(g, X, n, err);
    for (size_t i = 0; rc == BL_OK && i < n; i++) {
        double v;
        ens_moments(g, i, n, &mean[i], &v);
    }
    return rc;
}

static size_t
nn_band_normals(const void *m, size_t grid)
{
    (void)m;
    (void)grid;
    return 0; /* the draws are the members, not random functions */
}

/* The ensemble's mean, its sd with the noise, and up to ndraws members. */
static int
nn_band(const void *m, const double *gx, size_t grid, const double *z, int ndraws, double *mean,
        double *sd, double *draws, const bl_cancel *cancel, bl_err *err)
{
    struct nn_inst *g = (struct nn_inst *)m;
    (void)z;
    (void)cancel;
    if (predict_all(g, gx, grid, err) != BL_OK)
        return -1;
    double s2 = g->set.noise * g->set.noise;
    for (size_t i = 0; i < grid; i++) {
        double v;
        ens_moments(g, i, grid, &mean[i], &v);
        sd[i] = sqrt(v + s2);
    }
    int nd = g->K > 1 ? (int)(g->K < (size_t)ndraws ? g->K : (size_t)ndraws) : 0;
    memcpy(draws, g->f, (size_t)nd * grid * sizeof *draws);
    return nd;
}

/* The NNGP and NTK GP posterior means on the stream, refitted when n changed. */
static int
nn_ref_curves(const void *m, const double *gx, size_t grid, double *curves,
              struct model_ref_curves *rc_out, const bl_cancel *cancel, bl_err *err)
{
    struct nn_inst *g = (struct nn_inst *)m;
    rc_out->n = 0;
    if (g->n == 0 || g->n > NN_REF_MAX_N)
        return BL_OK;
    int rc = BL_OK;
    if (g->gp_k == NULL || g->gp_n != g->n) {
        nngp_opts no = nngp_of(&g->set);
        gp *two[2] = {NULL, NULL};
        for (int t = 0; t < 2 && rc == BL_OK; t++) {
            kernel *k = kernel_alloc_nngp(g->in_dim, &no, t == 1, err);
            two[t] = k ? gp_alloc(k, g->set.noise * g->set.noise, err) : NULL;
            rc = two[t] ? gp_fit(two[t], g->X, g->Y, g->n, cancel, err)
                        : (err && err->code ? err->code : BL_ENOMEM);
        }
        if (rc != BL_OK) {
            gp_free(two[0]);
            gp_free(two[1]);
            return rc;
        }
        gp_free(g->gp_k);
        gp_free(g->gp_t);
        g->gp_k = two[0];
        g->gp_t = two[1];
        g->gp_n = g->n;
    }
    rc = gp_predict(g->gp_k, gx, grid, curves, NULL, NULL, cancel, err);
    if (rc == BL_OK)
        rc = gp_predict(g->gp_t, gx, grid, curves + grid, NULL, NULL, cancel, err);
    if (rc == BL_OK) {
        rc_out->n = 2;
        rc_out->name[0] = "NNGP gp";
        rc_out->name[1] = "NTK gp";
    }
    return rc;
}

static bool
nn_history(const void *m, struct model_history *h)
{
    const struct nn_inst *g = m;
    memset(h, 0, sizeof *h);
    h->n = g->h.n;
    h->step = g->h.step;
    h->train = g->h.train;
    h->heldout = g->h.held;
    h->loss_name = "loss (nats/point)";
    h->no_heldout = g->synthetic && g->nh > 0 ? NULL
                    : g->synthetic              ? "heldout=0"
                                                : "no held-out set: a data-set world";
    h->layers = g->layers;
    h->rank = g->h.rank;
    h->alpha = g->h.alpha;
    h->cka = g->h.cka;
    h->ntk_change = g->h.ntk;
    h->ref_rank = g->ref_rank;
    h->ref_alpha = g->ref_alpha;
    h->alpha_lo = g->alpha_lo;
    h->alpha_hi = g->alpha_hi;
    h->probe = g->probe_fixed ? g->np : 0;
    h->lam = g->probe_fixed ? g->lam : NULL;
    h->rank_now = g->rank;
    h->alpha_now = g->alpha;
    h->ref_lam = g->probe_fixed ? g->ref_lam : NULL;
    return true;
}

static const struct model_train nn_train_hooks = {
    .keys = nn_train_keys,
    .begin = nn_train_begin,
    .step = nn_train_step,
    .end = nn_train_end,
    .describe = nn_train_describe,
    .steps = nn_steps,
    .save = nn_save,
};

const struct model_class model_nn_class = {
    .subject = {"nn",
                "a finite fully connected network (ensemble=K), trained by train N; beside its "
                "NNGP and NTK",
                nn_keys, "model nn width=256 depth=2 param=ntk"},
    .opts_size = sizeof(struct nn_setup),
    .configure = nn_configure,
    .create = nn_create,
    .free = nn_inst_free,
    .observe = nn_observe,
    .predict = nn_predict_one,
    .log_evidence = nn_evidence,
    .score_name = "log score",
    .score_key = "log_score",
    .describe = nn_describe,
    .gram = nn_gram,
    .show = {.nn = nn_show},
    .pane = {.mean = nn_pane_mean,
             .band_normals = nn_band_normals,
             .band = nn_band,
             .band_slow = true,
             .posterior_title = "nn",
             .history = nn_history,
             .ref_curves = nn_ref_curves,
             .no_draws = "ensemble=1"},
    .train = &nn_train_hooks,
};
