/* core/sampler.c - the sampler interface: options and tunables, the chain
 * object, one step with its event record and counters, Robbins-Monro warmup,
 * the exact (iid) kind, and ensembles. The other kernels live in
 * sampler_<kind>.c behind core/sampler_impl.h. */
#include "core/mcmc/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

static const char *const kind_names[SAMPLER_NKINDS] = {"exact", "rwm",  "mala", "hmc",
                                                       "nuts",  "sgld", "gibbs"};

#define K_(k)   (1u << (k))
#define K_ADAPT (K_(SAMPLER_RWM) | K_(SAMPLER_MALA) | K_(SAMPLER_HMC) | K_(SAMPLER_NUTS))
#define K_STEP  (K_(SAMPLER_MALA) | K_(SAMPLER_HMC) | K_(SAMPLER_NUTS) | K_(SAMPLER_SGLD))

static const sampler_param params[] = {
    {"sigma", 0.0, 1e6, true, false, K_(SAMPLER_RWM), "rwm proposal sd"},
    {"step", 0.0, 1e6, true, false, K_STEP, "mala h, hmc/nuts eps, sgld fixed h"},
    {"leapfrog", 1.0, SAMPLER_MAX_LEAPFROG, false, true, K_(SAMPLER_HMC), "hmc leapfrog steps L"},
    {"max_depth", 1.0, SAMPLER_MAX_DEPTH, false, true, K_(SAMPLER_NUTS), "nuts max tree depth"},
    {"adapt", 0.0, 1.0, false, true, K_ADAPT, "1: Robbins-Monro warmup of sigma/step"},
    {"warmup", 0.0, 1e9, false, true, K_ADAPT, "iterations adapted"},
    {"target_accept", 0.0, 0.99, false, false, K_ADAPT, "adaptation target, 0 = default"},
    {"minibatch", 0.0, 1e9, false, true, K_(SAMPLER_SGLD), "sgld batch b, 0 = full"},
    {"schedule", 0.0, 1.0, false, true, K_(SAMPLER_SGLD), "1: h_t = a (b0 + t)^-gamma"},
    {"a", 0.0, 1e6, true, false, K_(SAMPLER_SGLD), "sgld schedule scale"},
    {"b0", 0.0, 1e12, true, false, K_(SAMPLER_SGLD), "sgld schedule offset"},
    {"gamma", 0.5, 1.0, true, false, K_(SAMPLER_SGLD), "sgld schedule decay"},
    {NULL, 0, 0, false, false, 0, NULL},
};

const char *
sampler_kind_name(sampler_kind kind)
{
    return (int)kind >= 0 && kind < SAMPLER_NKINDS ? kind_names[kind] : "?";
}

int
sampler_kind_from_name(const char *name)
{
    for (int k = 0; name != NULL && k < SAMPLER_NKINDS; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

const sampler_param *
sampler_params(void)
{
    return params;
}

void
sampler_opts_default(sampler_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sigma = 1.0;
    o->step = 0.1;
    o->leapfrog = 20;
    o->max_depth = SAMPLER_MAX_DEPTH;
    o->adapt = false;
    o->warmup = 500;
    o->target_accept = 0.0;
    o->minibatch = 0;
    o->schedule = false;
    o->sched_a = 0.01;
    o->sched_b0 = 1.0;
    o->sched_gamma = 0.55;
}

static const sampler_param *
param_find(const char *name)
{
    for (const sampler_param *p = params; name != NULL && p->name != NULL; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static int
param_check(const sampler_param *p, double v, bl_err *err)
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

static int
opts_get(const sampler_opts *o, const char *name, double *v)
{
    if (strcmp(name, "sigma") == 0)
        *v = o->sigma;
    else if (strcmp(name, "step") == 0)
        *v = o->step;
    else if (strcmp(name, "leapfrog") == 0)
        *v = (double)o->leapfrog;
    else if (strcmp(name, "max_depth") == 0)
        *v = o->max_depth;
    else if (strcmp(name, "adapt") == 0)
        *v = o->adapt;
    else if (strcmp(name, "warmup") == 0)
        *v = (double)o->warmup;
    else if (strcmp(name, "target_accept") == 0)
        *v = o->target_accept;
    else if (strcmp(name, "minibatch") == 0)
        *v = (double)o->minibatch;
    else if (strcmp(name, "schedule") == 0)
        *v = o->schedule;
    else if (strcmp(name, "a") == 0)
        *v = o->sched_a;
    else if (strcmp(name, "b0") == 0)
        *v = o->sched_b0;
    else if (strcmp(name, "gamma") == 0)
        *v = o->sched_gamma;
    else
        return BL_EINVAL;
    return BL_OK;
}

static void
opts_put(sampler_opts *o, const char *name, double v)
{
    if (strcmp(name, "sigma") == 0)
        o->sigma = v;
    else if (strcmp(name, "step") == 0)
        o->step = v;
    else if (strcmp(name, "leapfrog") == 0)
        o->leapfrog = (size_t)v;
    else if (strcmp(name, "max_depth") == 0)
        o->max_depth = (int)v;
    else if (strcmp(name, "adapt") == 0)
        o->adapt = v != 0.0;
    else if (strcmp(name, "warmup") == 0)
        o->warmup = (size_t)v;
    else if (strcmp(name, "target_accept") == 0)
        o->target_accept = v;
    else if (strcmp(name, "minibatch") == 0)
        o->minibatch = (size_t)v;
    else if (strcmp(name, "schedule") == 0)
        o->schedule = v != 0.0;
    else if (strcmp(name, "a") == 0)
        o->sched_a = v;
    else if (strcmp(name, "b0") == 0)
        o->sched_b0 = v;
    else if (strcmp(name, "gamma") == 0)
        o->sched_gamma = v;
}

int
sampler_opts_check(const sampler_opts *o, bl_err *err)
{
    for (const sampler_param *p = params; p->name != NULL; p++) {
        double v = 0.0;
        opts_get(o, p->name, &v);
        if (param_check(p, v, err) != BL_OK)
            return BL_EINVAL;
    }
    return BL_OK;
}

static bool
uses_grad(sampler_kind k)
{
    return k == SAMPLER_MALA || k == SAMPLER_HMC || k == SAMPLER_NUTS;
}

sampler_event *
sampler_event_alloc(size_t d, size_t cap, bl_err *err)
{
    if (d < 1 || d > TARGET_MAX_DIM) {
        bl_fail(err, BL_EINVAL, "d=%zu: must be in 1..%d", d, TARGET_MAX_DIM);
        return NULL;
    }
    if (cap > SAMPLER_TRAJ_MAX) {
        bl_fail(err, BL_EINVAL, "cap=%zu: must be in 0..%d", cap, SAMPLER_TRAJ_MAX);
        return NULL;
    }
    sampler_event *ev = calloc(1, sizeof *ev);
    if (ev == NULL)
        goto nomem;
    ev->d = d;
    ev->cap = cap;
    ev->from = calloc(d, sizeof *ev->from);
    ev->proposal = calloc(d, sizeof *ev->proposal);
    ev->momentum = calloc(d, sizeof *ev->momentum);
    ev->traj = calloc(cap * d + 1, sizeof *ev->traj);
    ev->traj_dir = calloc(cap + 1, sizeof *ev->traj_dir);
    ev->traj_depth = calloc(cap + 1, sizeof *ev->traj_depth);
    if (ev->from == NULL || ev->proposal == NULL || ev->momentum == NULL || ev->traj == NULL ||
        ev->traj_dir == NULL || ev->traj_depth == NULL)
        goto nomem;
    return ev;
nomem:
    sampler_event_free(ev);
    bl_fail(err, BL_ENOMEM, "out of memory for a sampler event (d=%zu, cap=%zu)", d, cap);
    return NULL;
}

void
sampler_event_free(sampler_event *ev)
{
    if (ev == NULL)
        return;
    free(ev->from);
    free(ev->proposal);
    free(ev->momentum);
    free(ev->traj);
    free(ev->traj_dir);
    free(ev->traj_depth);
    free(ev);
}

void
sampler_event_push(sampler_event *ev, const double *q, int dir, int depth)
{
    if (ev->ntraj < ev->cap) {
        memcpy(ev->traj + ev->ntraj * ev->d, q, ev->d * sizeof *q);
        ev->traj_dir[ev->ntraj] = (signed char)dir;
        ev->traj_depth[ev->ntraj] = (unsigned char)depth;
        ev->ntraj++;
    }
    ev->ntraj_total++;
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
    free(s->idx);
    sampler_nuts_ws_free(s->nuts);
    sampler_gibbs_ws_free(s->gibbs);
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
    bool grad = uses_grad(s->kind) || s->kind == SAMPLER_SGLD;
    if (target_eval(s->t, w, &U, grad ? s->gp : NULL, &e2) != BL_OK)
        return bl_fail(err, BL_EINVAL, "init: %s at the starting point", e2.msg);
    memcpy(s->w, w, s->d * sizeof *w);
    if (grad)
        memcpy(s->g, s->gp, s->d * sizeof *s->g);
    s->U = U;
    return BL_OK;
}

static int
check_fit(sampler_kind kind, const target *t, const sampler_opts *o, bl_err *err)
{
    target_kind tk = target_get_kind(t);
    if (kind == SAMPLER_EXACT && !target_can_draw(t))
        return bl_fail(err, BL_EINVAL,
                       "exact: target %s has no exact draws (choose gauss, blr, blr_data, nig, "
                       "banana, mixture, funnel, squiggle)",
                       target_kind_name(tk));
    if (kind == SAMPLER_GIBBS && tk != TARGET_NIG && tk != TARGET_STUDENT_T)
        return bl_fail(err, BL_EINVAL,
                       "gibbs: target %s has no conditionals to sample (choose nig or student_t)",
                       target_kind_name(tk));
    if (kind == SAMPLER_SGLD && o->minibatch > target_npoints(t) && target_npoints(t) > 0)
        return bl_fail(err, BL_EINVAL, "minibatch=%zu: must be <= %zu (data points)", o->minibatch,
                       target_npoints(t));
    return BL_OK;
}

sampler *
sampler_alloc(sampler_kind kind, target *t, const sampler_opts *o, const double *init, bl_err *err)
{
    if ((int)kind < 0 || kind >= SAMPLER_NKINDS) {
        bl_fail(err, BL_EINVAL,
                "sampler kind %d: unknown (choose exact, rwm, mala, hmc, nuts, sgld, gibbs)",
                (int)kind);
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
    if (sampler_opts_check(o, err) != BL_OK || check_fit(kind, t, o, err) != BL_OK)
        return NULL;
    size_t d = target_dim(t);
    sampler *s = calloc(1, sizeof *s);
    if (s == NULL)
        goto nomem;
    s->kind = kind;
    s->t = t;
    s->d = d;
    s->o = *o;
    s->aux = NAN;
    s->has_grad = uses_grad(kind);
    s->w = calloc(d, sizeof *s->w);
    s->g = calloc(d, sizeof *s->g);
    s->wp = calloc(d, sizeof *s->wp);
    s->gp = calloc(d, sizeof *s->gp);
    s->p = calloc(d, sizeof *s->p);
    s->z = calloc(d, sizeof *s->z);
    if (s->w == NULL || s->g == NULL || s->wp == NULL || s->gp == NULL || s->p == NULL ||
        s->z == NULL)
        goto nomem;
    if (kind == SAMPLER_SGLD && target_npoints(t) > 0) {
        s->idx = malloc(target_npoints(t) * sizeof *s->idx);
        if (s->idx == NULL)
            goto nomem;
    }
    if (kind == SAMPLER_NUTS && (s->nuts = sampler_nuts_ws_alloc(d)) == NULL)
        goto nomem;
    if ((s->dummy = sampler_event_alloc(d, 0, err)) == NULL)
        goto fail;
    if (kind == SAMPLER_GIBBS && sampler_gibbs_init(s, err) != BL_OK)
        goto fail;
    if (init != NULL) {
        if (load_state(s, init, err) != BL_OK)
            goto fail;
    } else if (load_state(s, s->z, err) != BL_OK) { /* s->z is zero here */
        goto fail;
    }
    return s;
nomem:
    bl_fail(err, BL_ENOMEM, "out of memory for a %s sampler", sampler_kind_name(kind));
fail:
    sampler_free(s);
    return NULL;
}

/* exact: one iid draw from the target; always "accepted". */
static int
exact_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    double aux = NAN;
    if (target_draw(s->t, rng, s->wp, &aux, NULL) != BL_OK) {
        ev->nonfinite = true;
        return BL_OK;
    }
    memcpy(s->w, s->wp, s->d * sizeof *s->w);
    memcpy(ev->proposal, s->wp, s->d * sizeof *s->wp);
    double U;
    s->U = target_eval(s->t, s->w, &U, NULL, NULL) == BL_OK ? U : (double)NAN;
    s->aux = aux;
    ev->aux = aux;
    ev->accepted = true;
    ev->accept_prob = 1.0;
    ev->n_grad = 1;
    return BL_OK;
}

static double
default_target_accept(const sampler *s)
{
    if (s->o.target_accept > 0.0)
        return s->o.target_accept;
    switch (s->kind) {
    case SAMPLER_RWM: return s->d == 1 ? 0.44 : 0.234;
    case SAMPLER_MALA: return 0.574;
    case SAMPLER_HMC: return 0.65;
    default: return 0.8;
    }
}

int
sampler_step(sampler *s, gsl_rng *rng, sampler_event *ev, bl_err *err)
{
    if (ev != NULL && ev->d != s->d)
        return bl_fail(err, BL_EINVAL, "event dimension %zu: must be %zu (the target's)", ev->d,
                       s->d);
    sampler_event *e = ev != NULL ? ev : s->dummy;
    e->ntraj = e->ntraj_total = 0;
    e->accept_prob = 0.0;
    e->accepted = e->divergent = e->nonfinite = false;
    e->energy_error = 0.0;
    e->tree_depth = 0;
    e->weight = 1.0;
    e->aux = NAN;
    e->n_grad = 0;
    e->U_from = s->U;
    memcpy(e->from, s->w, s->d * sizeof *s->w);
    memcpy(e->proposal, s->w, s->d * sizeof *s->w);
    if (ev != NULL)
        memset(e->momentum, 0, s->d * sizeof *e->momentum);
    switch (s->kind) {
    case SAMPLER_EXACT: exact_step(s, rng, e); break;
    case SAMPLER_RWM: sampler_rwm_step(s, rng, e); break;
    case SAMPLER_MALA: sampler_mala_step(s, rng, e); break;
    case SAMPLER_HMC: sampler_hmc_step(s, rng, e); break;
    case SAMPLER_NUTS: sampler_nuts_step(s, rng, e); break;
    case SAMPLER_SGLD: sampler_sgld_step(s, rng, e); break;
    default: sampler_gibbs_step(s, rng, e); break;
    }
    e->U_to = s->U;
    s->win[s->iter % SAMPLER_WINDOW] = e->accepted;
    s->iter++;
    s->acc += e->accepted;
    s->div += e->divergent;
    s->nonfin += e->nonfinite;
    s->ngrad += e->n_grad;
    s->sum_acc_prob += e->accept_prob;
    if (s->o.adapt && s->t_adapt < s->o.warmup && s->kind >= SAMPLER_RWM &&
        s->kind <= SAMPLER_NUTS) {
        /* Robbins-Monro on log scale (sampler.h); the step is clamped to the
         * valid range of the tunable. */
        double gain = pow((double)s->t_adapt + 1.0, -0.6);
        double delta = (e->accept_prob - default_target_accept(s)) * gain;
        double *scale = s->kind == SAMPLER_RWM ? &s->o.sigma : &s->o.step;
        *scale = fmin(fmax(*scale * exp(delta), 1e-12), 1e6);
        s->t_adapt++;
    }
    return BL_OK;
}

int
sampler_run(sampler *s, size_t n, gsl_rng *rng, double *draws, double *weights,
            const bl_cancel *cancel, bl_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (bl_cancelled(cancel))
            return bl_fail(err, BL_ECANCEL, "cancelled after %zu of %zu steps", i, n);
        sampler_step(s, rng, NULL, err);
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
    for (const sampler_param *p = params; p->name != NULL; p++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", p->name);
        if (k < 0 || (size_t)k >= sizeof list - len)
            break;
        len += (size_t)k;
    }
    return bl_fail(err, BL_EINVAL, "unknown parameter '%s' (choose %s)", name ? name : "", list);
}

int
sampler_set(sampler *s, const char *name, double value, bl_err *err)
{
    const sampler_param *p = param_find(name);
    if (p == NULL)
        return unknown_param(name, err);
    if (param_check(p, value, err) != BL_OK)
        return BL_EINVAL;
    if (strcmp(name, "minibatch") == 0 && target_npoints(s->t) > 0 &&
        value > (double)target_npoints(s->t))
        return bl_fail(err, BL_EINVAL, "minibatch=%g: must be in 0..%zu (data points)", value,
                       target_npoints(s->t));
    if (strcmp(name, "minibatch") == 0 && s->idx == NULL && value > 0.0 &&
        target_npoints(s->t) > 0) {
        s->idx = malloc(target_npoints(s->t) * sizeof *s->idx);
        if (s->idx == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory for minibatch indices");
    }
    opts_put(&s->o, name, value);
    if (strcmp(name, "adapt") == 0 && value != 0.0)
        s->t_adapt = 0; /* a fresh warmup */
    return BL_OK;
}

int
sampler_get(const sampler *s, const char *name, double *value, bl_err *err)
{
    if (name == NULL || opts_get(&s->o, name, value) != BL_OK)
        return unknown_param(name, err);
    return BL_OK;
}

/* ---- ensembles ---- */

struct sampler_ens {
    size_t K;
    sampler **ch;  /* K chains, owned */
    gsl_rng **rng; /* K generators, owned */
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
    if (e->ch == NULL || e->rng == NULL)
        goto nomem;
    for (size_t k = 0; k < K; k++) {
        unsigned long seed = gsl_rng_get(rng);
        if ((e->rng[k] = gsl_rng_alloc(gsl_rng_mt19937)) == NULL)
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

int
sampler_ens_step(sampler_ens *e, sampler_event *const *evs, bl_err *err)
{
    size_t d = sampler_dim(e->ch[0]);
    for (size_t k = 0; evs != NULL && k < e->K; k++)
        if (evs[k] != NULL && evs[k]->d != d)
            return bl_fail(err, BL_EINVAL, "event %zu: dimension %zu, must be %zu", k, evs[k]->d,
                           d);
    for (size_t k = 0; k < e->K; k++)
        sampler_step(e->ch[k], e->rng[k], evs != NULL ? evs[k] : NULL, err);
    return BL_OK;
}

int
sampler_ens_run(sampler_ens *e, size_t n, double *draws, double *weights, const bl_cancel *cancel,
                bl_err *err)
{
    size_t d = sampler_dim(e->ch[0]);
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
