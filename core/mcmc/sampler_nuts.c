/* core/mcmc/sampler_nuts.c - the No-U-Turn sampler, multinomial variant.
 *
 * Algorithm (Hoffman & Gelman 2014 tree building; Betancourt 2017 multinomial
 * sampling, as in Stan), mass I, fixed step eps:
 *  p0 ~ N(0, I), H0 = U(q0) + |p0|^2/2. The tree starts as {q0}. At doubling
 *  j = 0, 1, ..., max_depth-1 a direction v = +-1 is drawn and a subtree of 2^j
 *  leapfrog states is built from the tree's end in that direction:
 *   - a leaf is one leapfrog step; its log weight is H0 - H; if H - H0 >
 *     SAMPLER_DIVERGENCE or is not finite it is a divergence and the build
 *     stops;
 *   - a subtree of depth k joins two halves of depth k-1; its point is the
 *     second half's with probability W2/(W1 + W2) (multinomial within the
 *     subtree); it stops if its end points make a U-turn:
 *     (q+ - q-).p- < 0 or (q+ - q-).p+ < 0.
 *  A stopped subtree is discarded. Otherwise its point replaces the tree's
 *  with probability min(1, W_sub/W_tree) (biased progressive sampling), the
 *  weights add, and the whole tree is checked for a U-turn.
 * Detailed balance holds because the stopping rule is symmetric under the
 * tree's orderings (Hoffman & Gelman sec. 3.1.1) and the selection is
 * proportional to exp(-H) over the valid states. Stan additionally checks
 * U-turns across merged subtrees with the summed momentum; we do not: the
 * end-point rule is the original one and is exact.
 * Cost: up to 2^max_depth - 1 gradients per step. Workspace: 4d doubles per
 * level plus 9d. Events: q0 then every leaf in the order computed, with its
 * direction and doubling, so the UI can draw the tree growing left and right. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/mcmc/sampler_impl.h"

/* One level per tree depth: the subtree's inner edge (q, p) and its drawn
 * point (q, grad, U) with the log sum of its weights. */
typedef struct nuts_level {
    double *q_in, *p_in;
    double *q_s, *g_s;
    double U_s;
    double dH_s; /* H - H0 of the drawn point */
    double lsw;
} nuts_level;

typedef struct nuts_ws {
    nuts_level lv[SAMPLER_MAX_DEPTH + 1];
    double *qm, *pm, *gm; /* minus end of the tree */
    double *qp, *pp, *gp; /* plus end */
    double Um, Up;
    double *qc, *pc, *gc; /* the end being extended */
    double Uc;
    double H0;
    bool stop, divergent, nonfinite;
    double acc_sum; /* sum over leaves of min(1, exp(H0 - H)) */
    size_t nleaf;
} nuts_ws;

static int
nuts_ws_init(sampler *s, bl_err *err)
{
    nuts_ws *ws = s->ws;
    size_t d = s->d;
    /* One block: 4d per level, 9d for the ends. */
    size_t nb = (size_t)(SAMPLER_MAX_DEPTH + 1) * 4 * d + 9 * d;
    double *blk = calloc(nb, sizeof *blk);
    if (blk == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory for a nuts sampler");
    for (int j = 0; j <= SAMPLER_MAX_DEPTH; j++) {
        ws->lv[j].q_in = blk;
        ws->lv[j].p_in = blk + d;
        ws->lv[j].q_s = blk + 2 * d;
        ws->lv[j].g_s = blk + 3 * d;
        blk += 4 * d;
    }
    double **ends[9] = {&ws->qm, &ws->pm, &ws->gm, &ws->qp, &ws->pp,
                        &ws->gp, &ws->qc, &ws->pc, &ws->gc};
    for (int k = 0; k < 9; k++, blk += d)
        *ends[k] = blk;
    return BL_OK;
}

static void
nuts_ws_free(void *p)
{
    nuts_ws *ws = p;
    free(ws->lv[0].q_in); /* the block */
}

static double
logaddexp(double a, double b)
{
    if (a == -(double)INFINITY)
        return b;
    if (b == -(double)INFINITY)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

/* U-turn between an inner end (qi, pi) and an outer end (qo, po) reached in
 * direction dir: with q+ - q- = dir (qo - qi), stop if either end's momentum
 * points back. */
static bool
uturn_unit(const double *qi, const double *pi, const double *qo, const double *po, int dir,
           size_t d)
{
    double a = 0.0, b = 0.0;
    for (size_t i = 0; i < d; i++) {
        double dq = dir * (qo[i] - qi[i]);
        a += dq * pi[i];
        b += dq * po[i];
    }
    return a < 0.0 || b < 0.0;
}

/* The same with the velocities M^-1 p (Stan's p_sharp) under an adapted
 * metric; the chain's p and z are free scratch inside a step. */
static bool
uturn(sampler *s, const double *qi, const double *pi, const double *qo, const double *po, int dir)
{
    if (s->metric_in_use == SAMPLER_METRIC_UNIT)
        return uturn_unit(qi, pi, qo, po, dir, s->d);
    sampler_velocity(s, pi, s->p);
    sampler_velocity(s, po, s->z);
    return uturn_unit(qi, s->p, qo, s->z, dir, s->d);
}

/* Subtree of depth j from the moving end (qc, pc, gc, Uc) in direction dir;
 * result in level j (inner end, point, log weight). Sets ws->stop on a U-turn,
 * divergence or non-finite value. */
static void
build(sampler *s, nuts_ws *ws, int j, int dir, int depth, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d;
    nuts_level *lv = &ws->lv[j];
    if (j == 0) {
        double e = dir * s->o.step;
        if (s->metric_in_use == SAMPLER_METRIC_UNIT) {
            for (size_t i = 0; i < d; i++) {
                ws->pc[i] -= 0.5 * e * ws->gc[i];
                ws->qc[i] += e * ws->pc[i];
            }
        } else {
            for (size_t i = 0; i < d; i++)
                ws->pc[i] -= 0.5 * e * ws->gc[i];
            sampler_velocity(s, ws->pc, s->z);
            for (size_t i = 0; i < d; i++)
                ws->qc[i] += e * s->z[i];
        }
        ws->nleaf++;
        ev->n_grad++;
        if (target_eval(s->t, ws->qc, &ws->Uc, ws->gc, NULL) != BL_OK) {
            ws->stop = ws->nonfinite = ws->divergent = true;
            return;
        }
        for (size_t i = 0; i < d; i++)
            ws->pc[i] -= 0.5 * e * ws->gc[i];
        sampler_event_push(ev, ws->qc, dir, depth);
        double dH = ws->Uc + sampler_kinetic(s, ws->pc) - ws->H0;
        if (!isfinite(dH)) {
            ws->stop = ws->nonfinite = ws->divergent = true;
            return;
        }
        ws->acc_sum += dH <= 0.0 ? 1.0 : exp(-dH);
        if (dH > SAMPLER_DIVERGENCE) {
            ws->stop = ws->divergent = true;
            return;
        }
        memcpy(lv->q_in, ws->qc, d * sizeof *lv->q_in);
        memcpy(lv->p_in, ws->pc, d * sizeof *lv->p_in);
        memcpy(lv->q_s, ws->qc, d * sizeof *lv->q_s);
        memcpy(lv->g_s, ws->gc, d * sizeof *lv->g_s);
        lv->U_s = ws->Uc;
        lv->dH_s = dH;
        lv->lsw = -dH;
        return;
    }
    nuts_level *sub = &ws->lv[j - 1];
    build(s, ws, j - 1, dir, depth, rng, ev);
    if (ws->stop)
        return;
    memcpy(lv->q_in, sub->q_in, d * sizeof *lv->q_in);
    memcpy(lv->p_in, sub->p_in, d * sizeof *lv->p_in);
    memcpy(lv->q_s, sub->q_s, d * sizeof *lv->q_s);
    memcpy(lv->g_s, sub->g_s, d * sizeof *lv->g_s);
    lv->U_s = sub->U_s;
    lv->dH_s = sub->dH_s;
    lv->lsw = sub->lsw;
    build(s, ws, j - 1, dir, depth, rng, ev);
    if (ws->stop)
        return;
    double lsw = logaddexp(lv->lsw, sub->lsw);
    if (log(gsl_rng_uniform_pos(rng)) < sub->lsw - lsw) {
        memcpy(lv->q_s, sub->q_s, d * sizeof *lv->q_s);
        memcpy(lv->g_s, sub->g_s, d * sizeof *lv->g_s);
        lv->U_s = sub->U_s;
        lv->dH_s = sub->dH_s;
    }
    lv->lsw = lsw;
    if (uturn(s, lv->q_in, lv->p_in, ws->qc, ws->pc, dir))
        ws->stop = true;
}

static int
nuts_step(sampler *s, gsl_rng *rng, sampler_event *ev)
{
    size_t d = s->d;
    nuts_ws *ws = s->ws;
    sampler_momentum_draw(s, rng, s->p);
    memcpy(ev->momentum, s->p, d * sizeof *s->p);
    sampler_event_push(ev, s->w, 0, 0);
    ws->H0 = s->U + sampler_kinetic(s, s->p);
    memcpy(ws->qm, s->w, d * sizeof *s->w);
    memcpy(ws->qp, s->w, d * sizeof *s->w);
    memcpy(ws->pm, s->p, d * sizeof *s->p);
    memcpy(ws->pp, s->p, d * sizeof *s->p);
    memcpy(ws->gm, s->g, d * sizeof *s->g);
    memcpy(ws->gp, s->g, d * sizeof *s->g);
    ws->Um = ws->Up = s->U;
    /* The selected point: start from q0 (in s->wp / s->gp). */
    memcpy(s->wp, s->w, d * sizeof *s->w);
    memcpy(s->gp, s->g, d * sizeof *s->g);
    double Usel = s->U, dHsel = 0.0, lsw_tree = 0.0; /* log W of {q0} = H0 - H0 */
    bool moved = false;
    ws->stop = ws->divergent = ws->nonfinite = false;
    ws->acc_sum = 0.0;
    ws->nleaf = 0;
    int depth;
    for (depth = 0; depth < s->o.max_depth; depth++) {
        int dir = gsl_rng_uniform(rng) < 0.5 ? -1 : 1;
        double *q = dir > 0 ? ws->qp : ws->qm, *p = dir > 0 ? ws->pp : ws->pm;
        double *g = dir > 0 ? ws->gp : ws->gm, *U = dir > 0 ? &ws->Up : &ws->Um;
        memcpy(ws->qc, q, d * sizeof *q);
        memcpy(ws->pc, p, d * sizeof *p);
        memcpy(ws->gc, g, d * sizeof *g);
        ws->Uc = *U;
        build(s, ws, depth, dir, depth, rng, ev);
        if (ws->stop)
            break;
        memcpy(q, ws->qc, d * sizeof *q);
        memcpy(p, ws->pc, d * sizeof *p);
        memcpy(g, ws->gc, d * sizeof *g);
        *U = ws->Uc;
        nuts_level *lv = &ws->lv[depth];
        if (log(gsl_rng_uniform_pos(rng)) < lv->lsw - lsw_tree) {
            memcpy(s->wp, lv->q_s, d * sizeof *s->wp);
            memcpy(s->gp, lv->g_s, d * sizeof *s->gp);
            Usel = lv->U_s;
            dHsel = lv->dH_s;
            moved = true;
        }
        lsw_tree = logaddexp(lsw_tree, lv->lsw);
        if (uturn(s, ws->qm, ws->pm, ws->qp, ws->pp, 1)) {
            depth++;
            break;
        }
    }
    ev->tree_depth = depth + (ws->stop ? 1 : 0);
    ev->divergent = ws->divergent;
    /* A non-finite leaf is a divergence (counted in nonfinite too): the
     * subtree holding it is discarded, the point drawn from the rest stands. */
    ev->nonfinite = ws->nonfinite;
    ev->energy_error = dHsel;
    ev->energy = ws->H0 + dHsel;
    ev->accept_prob = ws->nleaf > 0 ? ws->acc_sum / (double)ws->nleaf : 0.0;
    memcpy(ev->proposal, s->wp, d * sizeof *s->wp);
    if (moved) {
        memcpy(s->w, s->wp, d * sizeof *s->w);
        memcpy(s->g, s->gp, d * sizeof *s->g);
        s->U = Usel;
        ev->accepted = true;
    }
    return BL_OK;
}

static void
nuts_describe(const sampler_event *ev, char *buf, size_t size)
{
    snprintf(buf, size, "%s (tree depth %d, %zu leapfrog steps, accept stat %.3g)",
             ev->accepted ? "moved" : "stayed", ev->tree_depth, ev->n_grad, ev->accept_prob);
}

static const sampler_tunable nuts_max_depth = {
    .name = "max_depth",
    .min = 1.0,
    .max = SAMPLER_MAX_DEPTH,
    .integer = true,
    .def = SAMPLER_MAX_DEPTH,
    .store = SAMPLER_TUN_INT,
    .offset = offsetof(sampler_opts, max_depth),
    .help = "nuts max tree depth (default 10)",
};

static const sampler_tunable *const nuts_tunables[] = {&sampler_tun_step, &nuts_max_depth, NULL};

const sampler_type sampler_type_nuts = {
    .name = "nuts",
    .help = "No-U-Turn sampler (multinomial): a leapfrog tree doubled until it turns back",
    .step = nuts_step,
    .needs_grad = true,
    .adapts = true,
    .stan_warmup = true,
    .scale = &sampler_tun_step,
    .accept_target = 0.8,
    .events = SAMPLER_EV_PROPOSAL | SAMPLER_EV_TRAJECTORY | SAMPLER_EV_TREE | SAMPLER_EV_MOMENTUM |
              SAMPLER_EV_ACCEPT | SAMPLER_EV_ENERGY | SAMPLER_EV_HAMILTON,
    .tunables = nuts_tunables,
    .ws_size = sizeof(nuts_ws),
    .ws_init = nuts_ws_init,
    .ws_free = nuts_ws_free,
    .step_default = sampler_leapfrog_step_default,
    .step_limit = sampler_leapfrog_step_limit,
    .step_limit_name = sampler_leapfrog_limit_name,
    .step_limit_effect = sampler_leapfrog_limit_effect,
    .describe = nuts_describe,
};
