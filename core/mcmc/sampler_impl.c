/* core/mcmc/sampler_impl.c - what the kinds share: the event record, the
 * leapfrog integrator, and the tunables several kinds read. Nothing here
 * knows a kind. */
#include "core/mcmc/sampler_impl.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

const sampler_tunable sampler_tun_step = {
    .name = "step",
    .min = 0.0,
    .max = 1e6,
    .min_open = true,
    .def = 0.1,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, step),
    .help = "mala h, hmc/nuts eps, sgld fixed h (default: from the posterior's scale, or 0.1)",
};

const sampler_tunable sampler_tun_adapt = {
    .name = "adapt",
    .min = 0.0,
    .max = 1.0,
    .integer = true,
    .def = 0.0,
    .store = SAMPLER_TUN_BOOL,
    .offset = offsetof(sampler_opts, adapt),
    .help = "1: warm-up of sigma/step (hmc/nuts: Stan's, with the metric); its draws are left out",
};

const sampler_tunable sampler_tun_warmup = {
    .name = "warmup",
    .min = 0.0,
    .max = 1e9,
    .integer = true,
    .def = 500.0,
    .store = SAMPLER_TUN_SIZE,
    .offset = offsetof(sampler_opts, warmup),
    .help = "iterations adapted (default 500)",
    .only_with = &sampler_tun_adapt,
};

const sampler_tunable sampler_tun_target_accept = {
    .name = "target_accept",
    .min = 0.0,
    .max = 0.99,
    .def = 0.0,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, target_accept),
    .help = "adaptation target, 0 = the kind's default",
    .only_with = &sampler_tun_adapt,
};

const sampler_tunable sampler_tun_delta = {
    .name = "delta",
    .min = 0.0,
    .max = 0.99,
    .min_open = true,
    .def = 0.8,
    .store = SAMPLER_TUN_REAL,
    .offset = offsetof(sampler_opts, delta),
    .help = "hmc/nuts warm-up: dual-averaging target acceptance (default 0.8, Stan's)",
    .only_with = &sampler_tun_adapt,
};

static const char *const metric_names[] = {"unit", "diag", "dense", NULL};

const sampler_tunable sampler_tun_metric = {
    .name = "metric",
    .min = 0.0,
    .max = 2.0,
    .integer = true,
    .def = SAMPLER_METRIC_DIAG,
    .store = SAMPLER_TUN_INT,
    .offset = offsetof(sampler_opts, metric),
    .help = "hmc/nuts warm-up: the mass matrix adapted, unit (none), diag or dense",
    .choices = metric_names,
    .only_with = &sampler_tun_adapt,
};

double
sampler_leapfrog_step_default(double sd_min, size_t d)
{
    (void)d;
    return 0.3 * sd_min;
}

double
sampler_leapfrog_step_limit(const sampler_opts *o, double var_min)
{
    (void)o;
    return 2 * sqrt(var_min);
}

const char sampler_leapfrog_limit_name[] = "the leapfrog stability limit 2 sqrt(lambda_min(cov))";
const char sampler_leapfrog_limit_effect[] = "expect divergences";

void
sampler_describe_metropolis(const sampler_event *ev, char *buf, size_t size)
{
    snprintf(buf, size, "proposal %s (acceptance prob %.3g)",
             ev->accepted ? "accepted" : "rejected", ev->accept_prob);
}

void
sampler_metropolis(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    double Up;
    if (target_eval(s->t, s->wp, &Up, NULL, NULL) != BL_OK) {
        ev->nonfinite = true;
        return;
    }
    double la = s->U - Up;
    ev->accept_prob = la >= 0.0 ? 1.0 : exp(la);
    if (la >= 0.0 || log(gsl_rng_uniform_pos(rng)) < la) {
        memcpy(s->w, s->wp, s->d * sizeof *s->w);
        s->U = Up;
        ev->accepted = true;
    }
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
    ev->seg_cap = cap > 0 ? SAMPLER_SEG_MAX : 0;
    ev->seg = calloc(2 * ev->seg_cap * d + 1, sizeof *ev->seg);
    ev->seg_kind = calloc(ev->seg_cap + 1, sizeof *ev->seg_kind);
    ev->seg_tag = calloc(ev->seg_cap + 1, sizeof *ev->seg_tag);
    if (ev->from == NULL || ev->proposal == NULL || ev->momentum == NULL || ev->traj == NULL ||
        ev->traj_dir == NULL || ev->traj_depth == NULL || ev->seg == NULL ||
        ev->seg_kind == NULL || ev->seg_tag == NULL)
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
    free(ev->seg);
    free(ev->seg_kind);
    free(ev->seg_tag);
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
sampler_event_segment(sampler_event *ev, int kind, int tag, const double *a, const double *b)
{
    if (ev->nseg < ev->seg_cap) {
        memcpy(ev->seg + 2 * ev->nseg * ev->d, a, ev->d * sizeof *a);
        memcpy(ev->seg + (2 * ev->nseg + 1) * ev->d, b, ev->d * sizeof *b);
        ev->seg_kind[ev->nseg] = (unsigned char)kind;
        ev->seg_tag[ev->nseg] = tag;
        ev->nseg++;
    }
    ev->nseg_total++;
}

double
sampler_rng_normal(gsl_rng *rng)
{
    return gsl_ran_gaussian_ziggurat(rng, 1.0);
}

int
sampler_leapfrog(target *t, double *q, double *p, double *g, double *U, double eps, size_t L,
                 double *traj, size_t cap, size_t *ntraj, bl_err *err)
{
    size_t d = target_dim(t), nt = 0;
    if (traj != NULL && cap > 0)
        memcpy(traj + d * nt++, q, d * sizeof *q);
    for (size_t j = 0; j < d; j++)
        p[j] -= 0.5 * eps * g[j];
    int rc = BL_OK;
    for (size_t i = 1; i <= L; i++) {
        for (size_t j = 0; j < d; j++)
            q[j] += eps * p[j];
        if ((rc = target_eval(t, q, U, g, err)) != BL_OK)
            break;
        double e = i < L ? eps : 0.5 * eps;
        for (size_t j = 0; j < d; j++)
            p[j] -= e * g[j];
        if (traj != NULL && nt < cap)
            memcpy(traj + d * nt++, q, d * sizeof *q);
    }
    if (ntraj != NULL)
        *ntraj = nt;
    return rc;
}

void
sampler_momentum_draw(const sampler *s, gsl_rng *rng, double *p)
{
    size_t d = s->d;
    for (size_t i = 0; i < d; i++)
        p[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
    if (s->metric_in_use == SAMPLER_METRIC_DIAG) {
        for (size_t i = 0; i < d; i++)
            p[i] /= sqrt(s->minv[i]);
    } else if (s->metric_in_use == SAMPLER_METRIC_DENSE) {
        /* p = L^-T z: cov L^-T L^-1 = (L L^T)^-1 = M. In place, last row first. */
        const double *L = s->mchol;
        for (size_t i = d; i-- > 0;) {
            double v = p[i];
            for (size_t k = i + 1; k < d; k++)
                v -= L[k * d + i] * p[k];
            p[i] = v / L[i * d + i];
        }
    }
}

double
sampler_kinetic(const sampler *s, const double *p)
{
    size_t d = s->d;
    double k = 0.0;
    if (s->metric_in_use == SAMPLER_METRIC_UNIT) {
        for (size_t i = 0; i < d; i++)
            k += p[i] * p[i];
    } else if (s->metric_in_use == SAMPLER_METRIC_DIAG) {
        for (size_t i = 0; i < d; i++)
            k += s->minv[i] * p[i] * p[i];
    } else {
        for (size_t i = 0; i < d; i++) {
            double r = 0.0;
            for (size_t j = 0; j < d; j++)
                r += s->minv_dense[i * d + j] * p[j];
            k += p[i] * r;
        }
    }
    return 0.5 * k;
}

void
sampler_velocity(const sampler *s, const double *p, double *v)
{
    size_t d = s->d;
    if (s->metric_in_use == SAMPLER_METRIC_UNIT) {
        memcpy(v, p, d * sizeof *v);
    } else if (s->metric_in_use == SAMPLER_METRIC_DIAG) {
        for (size_t i = 0; i < d; i++)
            v[i] = s->minv[i] * p[i];
    } else {
        for (size_t i = 0; i < d; i++) {
            double r = 0.0;
            for (size_t j = 0; j < d; j++)
                r += s->minv_dense[i * d + j] * p[j];
            v[i] = r;
        }
    }
}

int
sampler_leapfrog_metric(sampler *s, double *q, double *p, double *g, double *U, double eps,
                        size_t L, double *traj, size_t cap, size_t *ntraj)
{
    if (s->metric_in_use == SAMPLER_METRIC_UNIT)
        return sampler_leapfrog(s->t, q, p, g, U, eps, L, traj, cap, ntraj, NULL);
    size_t d = s->d, nt = 0;
    double *v = s->z; /* scratch: no kind keeps anything in z across a leapfrog */
    if (traj != NULL && cap > 0)
        memcpy(traj + d * nt++, q, d * sizeof *q);
    for (size_t j = 0; j < d; j++)
        p[j] -= 0.5 * eps * g[j];
    int rc = BL_OK;
    for (size_t i = 1; i <= L; i++) {
        sampler_velocity(s, p, v);
        for (size_t j = 0; j < d; j++)
            q[j] += eps * v[j];
        if ((rc = target_eval(s->t, q, U, g, NULL)) != BL_OK)
            break;
        double e = i < L ? eps : 0.5 * eps;
        for (size_t j = 0; j < d; j++)
            p[j] -= e * g[j];
        if (traj != NULL && nt < cap)
            memcpy(traj + d * nt++, q, d * sizeof *q);
    }
    if (ntraj != NULL)
        *ntraj = nt;
    return rc;
}
