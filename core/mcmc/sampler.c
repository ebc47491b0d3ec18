/* core/mcmc/sampler.c - the kind table and the dispatcher: options and
 * tunables, the chain object, one step with its event record and counters,
 * Robbins-Monro warmup for the kinds that adapt, and ensembles. What a kind
 * does lives in its sampler_<kind>.c; this file only reads the kind's table
 * entry, never asks which kind it is. */
#include "core/mcmc/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"
#include "core/base/rng.h"

/* The kinds, in the order `sampler` lists them. A new kind is its file plus
 * one line here. */
static const sampler_type *const types[] = {
    &sampler_type_exact, &sampler_type_rwm,  &sampler_type_mala,  &sampler_type_hmc,
    &sampler_type_nuts,  &sampler_type_sgld, &sampler_type_gibbs, &sampler_type_am,
    &sampler_type_slice, &sampler_type_ess,  &sampler_type_demcz, &sampler_type_svgd,
    &sampler_type_mclmc, &sampler_type_pt,   &sampler_type_h2mc, NULL,
};

/* Accepted by every kind that adapts, without the kind listing them. */
static const sampler_tunable *const adapt_tunables[] = {
    &sampler_tun_adapt,
    &sampler_tun_warmup,
    &sampler_tun_target_accept,
    NULL,
};
/* The same for kinds with Stan's warm-up: delta is their target. */
static const sampler_tunable *const stan_tunables[] = {
    &sampler_tun_adapt, &sampler_tun_warmup, &sampler_tun_delta, &sampler_tun_metric, NULL,
};

static const sampler_tunable *const *
adaptation_list(sampler_kind kind)
{
    return !kind->adapts ? NULL : kind->stan_warmup ? stan_tunables : adapt_tunables;
}

const sampler_type *const *
sampler_types(void)
{
    return types;
}

sampler_kind
sampler_type_find(const char *name)
{
    for (size_t k = 0; name != NULL && types[k] != NULL; k++)
        if (strcmp(name, types[k]->name) == 0)
            return types[k];
    return NULL;
}

const char *
sampler_kind_name(sampler_kind kind)
{
    return kind != NULL ? kind->name : "?";
}

/* The kind's own tunable called name (its list, then the adaptation
 * tunables if it adapts); NULL if it has none. */
static const sampler_tunable *
own_tunable(sampler_kind kind, const char *name)
{
    const sampler_tunable *const *lists[2] = {kind->tunables, adaptation_list(kind)};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l] != NULL && lists[l][i] != NULL; i++)
            if (strcmp(lists[l][i]->name, name) == 0)
                return lists[l][i];
    return NULL;
}

bool
sampler_type_accepts(sampler_kind kind, const sampler_tunable *tu)
{
    return kind != NULL && tu != NULL && own_tunable(kind, tu->name) != NULL;
}

/* A walk over every tunable of every kind of the table, in table order. */
typedef struct tun_iter {
    size_t k; /* kind */
    int l;    /* 0: its list, 1: the adaptation tunables */
    size_t i;
} tun_iter;

static const sampler_tunable *
tun_next(tun_iter *it)
{
    while (types[it->k] != NULL) {
        const sampler_type *ty = types[it->k];
        const sampler_tunable *const *list = it->l == 0 ? ty->tunables : adaptation_list(ty);
        if (list != NULL && list[it->i] != NULL)
            return list[it->i++];
        it->i = 0;
        if (++it->l == 2) {
            it->l = 0;
            it->k++;
        }
    }
    return NULL;
}

static const sampler_tunable *
first_named(const char *name)
{
    tun_iter it = {0};
    const sampler_tunable *tu;
    while ((tu = tun_next(&it)) != NULL)
        if (strcmp(tu->name, name) == 0)
            return tu;
    return NULL;
}

/* The union: the tunables kept in sampler_opts, each once, in the order of
 * their fields; then those kept in a kind's workspace, in table order, the
 * first of each name. */
const sampler_tunable *
sampler_tunable_at(size_t i)
{
    const sampler_tunable *prev = NULL, *best, *tu;
    size_t j = 0;
    for (;; j++, prev = best) {
        best = NULL;
        tun_iter it = {0};
        while ((tu = tun_next(&it)) != NULL)
            if (!tu->in_ws && (prev == NULL || tu->offset > prev->offset) &&
                (best == NULL || tu->offset < best->offset))
                best = tu;
        if (best == NULL)
            break;
        if (j == i)
            return best;
    }
    tun_iter it = {0};
    while ((tu = tun_next(&it)) != NULL)
        if (tu->in_ws && first_named(tu->name) == tu && j++ == i)
            return tu;
    return NULL;
}

const sampler_tunable *
sampler_tunable_find(const char *name)
{
    const sampler_tunable *tu;
    for (size_t i = 0; name != NULL && (tu = sampler_tunable_at(i)) != NULL; i++)
        if (strcmp(tu->name, name) == 0)
            return tu;
    return NULL;
}

static double
field_get(const void *base, const sampler_tunable *tu)
{
    const char *field = (const char *)base + tu->offset;
    switch (tu->store) {
    case SAMPLER_TUN_SIZE: return (double)*(const size_t *)(const void *)field;
    case SAMPLER_TUN_INT: return *(const int *)(const void *)field;
    case SAMPLER_TUN_BOOL: return *(const bool *)(const void *)field;
    case SAMPLER_TUN_REAL: break;
    }
    return *(const double *)(const void *)field;
}

static void
field_put(void *base, const sampler_tunable *tu, double v)
{
    char *field = (char *)base + tu->offset;
    switch (tu->store) {
    case SAMPLER_TUN_SIZE: *(size_t *)(void *)field = (size_t)v; return;
    case SAMPLER_TUN_INT: *(int *)(void *)field = (int)v; return;
    case SAMPLER_TUN_BOOL: *(bool *)(void *)field = v != 0.0; return;
    case SAMPLER_TUN_REAL: break;
    }
    *(double *)(void *)field = v;
}

void
sampler_opts_default(sampler_opts *o)
{
    memset(o, 0, sizeof *o);
    const sampler_tunable *tu;
    for (size_t i = 0; (tu = sampler_tunable_at(i)) != NULL; i++)
        if (!tu->in_ws)
            field_put(o, tu, tu->def);
}

static int
param_check(const sampler_tunable *p, double v, bl_err *err)
{
    if (!isfinite(v))
        return bl_fail(err, BL_EINVAL, "%s=%g: must be a finite number", p->name, v);
    if (p->min_open && v <= p->min) {
        if (p->max >= 1e6)
            return bl_fail(err, BL_EINVAL, "%s=%g: must be > %g", p->name, v, p->min);
        return bl_fail(err, BL_EINVAL, "%s=%g: must be in (%g, %g]", p->name, v, p->min, p->max);
    }
    if (v < p->min || v > p->max)
        return bl_fail(err, BL_EINVAL, "%s=%g: must be in %g..%g", p->name, v, p->min, p->max);
    if (p->integer && v != floor(v))
        return bl_fail(err, BL_EINVAL, "%s=%g: must be a whole number", p->name, v);
    return BL_OK;
}

int
sampler_opts_check(const sampler_opts *o, bl_err *err)
{
    const sampler_tunable *tu;
    for (size_t i = 0; (tu = sampler_tunable_at(i)) != NULL; i++)
        if (!tu->in_ws && param_check(tu, field_get(o, tu), err) != BL_OK)
            return BL_EINVAL;
    return BL_OK;
}

void
sampler_free(sampler *s)
{
    if (s == NULL)
        return;
    free(s->w);
    free(s->g);
    free(s->wp);
    free(s->gp);
    free(s->p);
    free(s->z);
    sampler_warmup_free(s);
    if (s->ws != NULL && s->type->ws_free != NULL)
        s->type->ws_free(s->ws);
    free(s->ws);
    sampler_event_free(s->dummy);
    free(s);
}

/* U (and g) at w into the sampler state; BL_EINVAL if not finite. */
static int
load_state(sampler *s, const double *w, bl_err *err)
{
    for (size_t i = 0; i < s->d; i++)
        if (!isfinite(w[i]))
            return bl_fail(err, BL_EINVAL, "init: coordinate %zu is not finite", i);
    double U;
    bl_err e2;
    bool grad = s->type->needs_grad;
    if (target_eval(s->t, w, &U, grad ? s->gp : NULL, &e2) != BL_OK)
        return bl_fail(err, BL_EINVAL, "init: %s at the starting point", e2.msg);
    memcpy(s->w, w, s->d * sizeof *w);
    if (grad)
        memcpy(s->g, s->gp, s->d * sizeof *s->g);
    s->U = U;
    return BL_OK;
}

/* "exact, rwm, ..." for messages. */
static const char *
kind_list(char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; types[k] != NULL && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? ", " : "", types[k]->name);
    return buf;
}

sampler *
sampler_alloc(sampler_kind kind, target *t, const sampler_opts *o, const double *init, bl_err *err)
{
    char names[160];
    if (kind == NULL || (kind->step == NULL && kind->step_all == NULL)) {
        bl_fail(err, BL_EINVAL, "no sampler kind (choose %s)", kind_list(names, sizeof names));
        return NULL;
    }
    if (t == NULL) {
        bl_fail(err, BL_EINVAL, "no target");
        return NULL;
    }
    sampler_opts def;
    if (o == NULL) {
        sampler_opts_default(&def);
        o = &def;
    }
    if (sampler_opts_check(o, err) != BL_OK ||
        (kind->fits != NULL && kind->fits(t, o, err) != BL_OK))
        return NULL;
    size_t d = target_dim(t);
    sampler *s = calloc(1, sizeof *s);
    if (s == NULL)
        goto nomem;
    s->type = kind;
    s->t = t;
    s->d = d;
    s->o = *o;
    s->aux = NAN;
    s->w = calloc(d, sizeof *s->w);
    s->g = calloc(d, sizeof *s->g);
    s->wp = calloc(d, sizeof *s->wp);
    s->gp = calloc(d, sizeof *s->gp);
    s->p = calloc(d, sizeof *s->p);
    s->z = calloc(d, sizeof *s->z);
    if (s->w == NULL || s->g == NULL || s->wp == NULL || s->gp == NULL || s->p == NULL ||
        s->z == NULL)
        goto nomem;
    if (kind->ws_size > 0 && (s->ws = calloc(1, kind->ws_size)) == NULL)
        goto nomem;
    for (size_t i = 0; s->ws != NULL && kind->tunables != NULL && kind->tunables[i] != NULL; i++)
        if (kind->tunables[i]->in_ws)
            field_put(s->ws, kind->tunables[i], kind->tunables[i]->def);
    if ((s->dummy = sampler_event_alloc(d, 0, err)) == NULL)
        goto fail;
    if (kind->stan_warmup && sampler_warmup_alloc(s, err) != BL_OK)
        goto fail;
    if (kind->ws_init != NULL && kind->ws_init(s, err) != BL_OK)
        goto fail;
    if (init != NULL) {
        if (load_state(s, init, err) != BL_OK)
            goto fail;
    } else if (load_state(s, s->z, err) != BL_OK) { /* s->z is zero here */
        goto fail;
    }
    return s;
nomem:
    bl_fail(err, BL_ENOMEM, "out of memory for a %s sampler", kind->name);
fail:
    sampler_free(s);
    return NULL;
}

static double
default_target_accept(const sampler *s)
{
    if (s->o.target_accept > 0.0)
        return s->o.target_accept;
    if (s->d == 1 && s->type->accept_target_d1 > 0.0)
        return s->type->accept_target_d1;
    return s->type->accept_target;
}

/* The event a step starts from (sampler_impl.h): cleared, from = proposal = w. */
static sampler_event *
step_begin(sampler *s, sampler_event *ev)
{
    sampler_event *e = ev != NULL ? ev : s->dummy;
    e->ntraj = e->ntraj_total = 0;
    e->accept_prob = 0.0;
    e->accepted = e->divergent = e->nonfinite = false;
    e->energy_error = 0.0;
    e->energy = NAN;
    e->tree_depth = 0;
    e->weight = 1.0;
    e->aux = NAN;
    e->n_grad = 0;
    e->nseg = e->nseg_total = 0;
    e->U_from = s->U;
    memcpy(e->from, s->w, s->d * sizeof *s->w);
    memcpy(e->proposal, s->w, s->d * sizeof *s->w);
    if (ev != NULL)
        memset(e->momentum, 0, s->d * sizeof *e->momentum);
    return e;
}

/* Counters, and the warmup of the kinds that adapt. */
static void
step_end(sampler *s, sampler_event *e, gsl_rng *rng)
{
    e->U_to = s->U;
    s->win[s->iter % SAMPLER_WINDOW] = e->accepted;
    s->iter++;
    s->acc += e->accepted;
    s->div += e->divergent;
    s->nonfin += e->nonfinite;
    s->ngrad += e->n_grad;
    s->sum_acc_prob += e->accept_prob;
    const sampler_tunable *sc = s->type->scale;
    if (s->type->stan_warmup) {
        if (sampler_warmup_active(s))
            sampler_warmup_end(s, e->accept_prob, rng);
        return;
    }
    if (s->o.adapt && s->t_adapt < s->o.warmup && s->type->adapts && sc != NULL &&
        sc->store == SAMPLER_TUN_REAL) {
        /* Robbins-Monro on log scale (sampler.h); the step is clamped to the
         * valid range of the tunable. */
        double gain = pow((double)s->t_adapt + 1.0, -0.6);
        double delta = (e->accept_prob - default_target_accept(s)) * gain;
        double *scale = (double *)(void *)((char *)&s->o + sc->offset);
        *scale = fmin(fmax(*scale * exp(delta), 1e-12), 1e6);
        s->t_adapt++;
    }
}

/* One transition of a lone chain: its kind's step, or for kinds whose chains
 * move together a population of one. */
static void
step_one(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    if (sampler_warmup_active(s))
        sampler_warmup_begin(s, rng);
    sampler_event *e = step_begin(s, ev);
    if (s->type->step_all != NULL)
        s->type->step_all(&s, 1, &rng, &e);
    else
        s->type->step(s, rng, e);
    step_end(s, e, rng);
}

int
sampler_step(sampler *s, gsl_rng *rng, sampler_event *ev, bl_err *err)
{
    if (ev != NULL && ev->d != s->d)
        return bl_fail(err, BL_EINVAL, "event dimension %zu: must be %zu (the target's)", ev->d,
                       s->d);
    step_one(s, rng, ev);
    return BL_OK;
}

int
sampler_run(sampler *s, size_t n, gsl_rng *rng, double *draws, double *weights,
            const bl_cancel *cancel, bl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "cancelled after %zu of %zu steps", i, n);
        step_one(s, rng, NULL);
        if (draws != NULL)
            memcpy(draws + i * s->d, s->w, s->d * sizeof *s->w);
        if (weights != NULL)
            weights[i] = s->dummy->weight;
    }
    return BL_OK;
}

const double *
sampler_state(const sampler *s)
{
    return s->w;
}

double
sampler_energy(const sampler *s)
{
    return s->U;
}

double
sampler_aux(const sampler *s)
{
    return s->aux;
}

size_t
sampler_dim(const sampler *s)
{
    return s->d;
}

int
sampler_set_state(sampler *s, const double *w, bl_err *err)
{
    if (w == NULL)
        return bl_fail(err, BL_EINVAL, "no state given");
    return load_state(s, w, err);
}

void
sampler_get_stats(const sampler *s, sampler_stats *st)
{
    memset(st, 0, sizeof *st);
    st->iterations = s->iter;
    st->accepted = s->acc;
    st->divergent = s->div;
    st->nonfinite = s->nonfin;
    st->grad_evals = s->ngrad;
    if (s->iter > 0) {
        st->accept_rate = (double)s->acc / (double)s->iter;
        st->mean_accept_prob = s->sum_acc_prob / (double)s->iter;
        size_t nw = s->iter < SAMPLER_WINDOW ? s->iter : SAMPLER_WINDOW, a = 0;
        for (size_t i = 0; i < nw; i++)
            a += s->win[i];
        st->accept_window = (double)a / (double)nw;
    }
}

int
sampler_inv_metric(const sampler *s, double *out)
{
    for (size_t i = 0; i < s->d; i++)
        out[i] = s->metric_in_use == SAMPLER_METRIC_DENSE  ? s->minv_dense[i * s->d + i]
                 : s->metric_in_use == SAMPLER_METRIC_DIAG ? s->minv[i]
                                                           : 1.0;
    return s->metric_in_use;
}

const sampler_opts *
sampler_options(const sampler *s)
{
    return &s->o;
}

static int
unknown_param(const char *name, bl_err *err)
{
    char list[200] = "";
    size_t len = 0;
    const sampler_tunable *p;
    for (size_t i = 0; (p = sampler_tunable_at(i)) != NULL; i++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", p->name);
        if (k < 0 || (size_t)k >= sizeof list - len)
            break;
        len += (size_t)k;
    }
    return bl_fail(err, BL_EINVAL, "unknown parameter '%s' (choose %s)", name ? name : "", list);
}

/* The chain's own tunable of that name, else the table's; NULL if unknown. */
static const sampler_tunable *
chain_tunable(const sampler *s, const char *name)
{
    if (name == NULL)
        return NULL;
    const sampler_tunable *p = own_tunable(s->type, name);
    return p != NULL ? p : sampler_tunable_find(name);
}

int
sampler_set(sampler *s, const char *name, double value, bl_err *err)
{
    const sampler_tunable *p = chain_tunable(s, name);
    if (p == NULL)
        return unknown_param(name, err);
    if (param_check(p, value, err) != BL_OK)
        return BL_EINVAL;
    if (p->le_npoints && target_npoints(s->t) > 0 && value > (double)target_npoints(s->t))
        return bl_fail(err, BL_EINVAL, "%s=%g: must be in 0..%zu (data points)", p->name, value,
                       target_npoints(s->t));
    if (!p->in_ws)
        field_put(&s->o, p, value);
    else if (own_tunable(s->type, p->name) == p)
        field_put(s->ws, p, value);
    /* else: another kind's workspace tunable, nowhere to keep it (unused anyway) */
    if (p == &sampler_tun_metric && value == SAMPLER_METRIC_DENSE &&
        sampler_metric_dense_buffers(s, err) != BL_OK) {
        s->o.metric = SAMPLER_METRIC_DIAG;
        return BL_ENOMEM;
    }
    if (p == &sampler_tun_adapt && value != 0.0) {
        s->t_adapt = 0; /* a fresh warmup */
        sampler_warmup_reset(s);
    }
    return BL_OK;
}

int
sampler_get(const sampler *s, const char *name, double *value, bl_err *err)
{
    const sampler_tunable *p = chain_tunable(s, name);
    if (p == NULL)
        return unknown_param(name, err);
    if (!p->in_ws)
        *value = field_get(&s->o, p);
    else
        *value = own_tunable(s->type, p->name) == p ? field_get(s->ws, p) : p->def;
    return BL_OK;
}

/* ---- ensembles ---- */

struct sampler_ens {
    size_t K;
    sampler **ch;       /* K chains, owned */
    gsl_rng **rng;      /* K generators, owned */
    sampler_event **ev; /* K: the events of one joint step (borrowed entries) */
};

void
sampler_ens_free(sampler_ens *e)
{
    if (e == NULL)
        return;
    for (size_t k = 0; k < e->K; k++) {
        if (e->ch != NULL)
            sampler_free(e->ch[k]);
        if (e->rng != NULL && e->rng[k] != NULL)
            gsl_rng_free(e->rng[k]);
    }
    free(e->ch);
    free(e->rng);
    free(e->ev);
    free(e);
}

sampler_ens *
sampler_ens_alloc(sampler_kind kind, target *t, const sampler_opts *o, size_t K, const double *init,
                  double spread, gsl_rng *rng, bl_err *err)
{
    if (K < 1 || K > 1024) {
        bl_fail(err, BL_EINVAL, "chains=%zu: must be in 1..1024", K);
        return NULL;
    }
    if (!(spread >= 0.0) || !isfinite(spread)) {
        bl_fail(err, BL_EINVAL, "spread=%g: must be >= 0", spread);
        return NULL;
    }
    if (t == NULL || rng == NULL) {
        bl_fail(err, BL_EINVAL, "ensemble needs a target and a generator");
        return NULL;
    }
    size_t d = target_dim(t);
    double *w0 = calloc(d, sizeof *w0);
    sampler_ens *e = calloc(1, sizeof *e);
    if (w0 == NULL || e == NULL)
        goto nomem;
    e->K = K;
    e->ch = calloc(K, sizeof *e->ch);
    e->rng = calloc(K, sizeof *e->rng);
    e->ev = calloc(K, sizeof *e->ev);
    if (e->ch == NULL || e->rng == NULL || e->ev == NULL)
        goto nomem;
    for (size_t k = 0; k < K; k++) {
        unsigned long seed = gsl_rng_get(rng);
        if ((e->rng[k] = gsl_rng_alloc(bl_rng_mt19937)) == NULL)
            goto nomem;
        gsl_rng_set(e->rng[k], seed);
        for (size_t i = 0; i < d; i++)
            w0[i] = (init != NULL ? init[i] : 0.0) + spread * gsl_ran_gaussian_ziggurat(rng, 1.0);
        if ((e->ch[k] = sampler_alloc(kind, t, o, w0, err)) == NULL)
            goto fail;
    }
    free(w0);
    return e;
nomem:
    bl_fail(err, BL_ENOMEM, "out of memory for an ensemble of %zu chains", K);
fail:
    free(w0);
    sampler_ens_free(e);
    return NULL;
}

size_t
sampler_ens_size(const sampler_ens *e)
{
    return e->K;
}

sampler *
sampler_ens_chain(sampler_ens *e, size_t k)
{
    return k < e->K ? e->ch[k] : NULL;
}

/* One transition of every chain: independently, or in one call for kinds
 * whose chains move together. */
static void
ens_step(sampler_ens *e, sampler_event *const *evs)
{
    const sampler_type *ty = e->ch[0]->type;
    if (ty->step_all == NULL) {
        for (size_t k = 0; k < e->K; k++)
            step_one(e->ch[k], e->rng[k], evs != NULL ? evs[k] : NULL);
        return;
    }
    for (size_t k = 0; k < e->K; k++) {
        if (sampler_warmup_active(e->ch[k]))
            sampler_warmup_begin(e->ch[k], e->rng[k]);
        e->ev[k] = step_begin(e->ch[k], evs != NULL ? evs[k] : NULL);
    }
    ty->step_all(e->ch, e->K, e->rng, e->ev);
    for (size_t k = 0; k < e->K; k++)
        step_end(e->ch[k], e->ev[k], e->rng[k]);
}

int
sampler_ens_step(sampler_ens *e, sampler_event *const *evs, bl_err *err)
{
    size_t d = sampler_dim(e->ch[0]);
    for (size_t k = 0; evs != NULL && k < e->K; k++)
        if (evs[k] != NULL && evs[k]->d != d)
            return bl_fail(err, BL_EINVAL, "event %zu: dimension %zu, must be %zu", k, evs[k]->d,
                           d);
    ens_step(e, evs);
    return BL_OK;
}

int
sampler_ens_run(sampler_ens *e, size_t n, double *draws, double *weights, const bl_cancel *cancel,
                bl_err *err)
{
    size_t d = sampler_dim(e->ch[0]);
    if (e->ch[0]->type->step_all != NULL) {
        for (size_t i = 0; i < n; i++) {
            if (bl_cancelled(cancel))
                return bl_fail(err, BL_ECANCEL, "cancelled after %zu of %zu steps", i, n);
            ens_step(e, NULL);
            for (size_t k = 0; k < e->K; k++) {
                if (draws != NULL)
                    memcpy(draws + (k * n + i) * d, e->ch[k]->w, d * sizeof *draws);
                if (weights != NULL)
                    weights[k * n + i] = e->ch[k]->dummy->weight;
            }
        }
        return BL_OK;
    }
    for (size_t k = 0; k < e->K; k++) {
        int rc = sampler_run(e->ch[k], n, e->rng[k], draws != NULL ? draws + k * n * d : NULL,
                             weights != NULL ? weights + k * n : NULL, cancel, err);
        if (rc != BL_OK)
            return rc;
    }
    return BL_OK;
}

int
sampler_ens_set(sampler_ens *e, const char *name, double value, bl_err *err)
{
    /* Validate on chain 0 first, so that all chains accept or none does. */
    double old;
    if (sampler_get(e->ch[0], name, &old, err) != BL_OK)
        return BL_EINVAL;
    if (sampler_set(e->ch[0], name, value, err) != BL_OK)
        return err != NULL ? err->code : BL_EINVAL;
    for (size_t k = 1; k < e->K; k++)
        sampler_set(e->ch[k], name, value, err);
    return BL_OK;
}
