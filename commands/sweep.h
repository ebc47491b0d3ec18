/* commands/sweep.h - `sweep KEY=LO..HI`: the current model class refitted on
 * the stream once per value of one key, its log evidence and training fit
 * against the key (docs/compare.md). The figure of Occam's razor: the fit
 * keeps improving with complexity, the evidence peaks.
 *
 * This file holds the results (plain arrays the sweep pane and `show sweep`
 * read); the command and its paced job are in commands/cmd_sweep.c. */
#ifndef BAYESLENS_COMMANDS_SWEEP_H
#define BAYESLENS_COMMANDS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/out.h"
#include "core/base/err.h"

#define SWEEP_MAX 200 /* values of one sweep */

struct session;

struct sweep {
    char key[32];      /* as typed: "m", "ls" */
    char model[512];   /* the model command refitted, KEY's value shown as KEY=* */
    size_t nv;         /* values asked for */
    size_t done;       /* values fitted so far (0..nv) */
    bool log;          /* values on a log grid */
    bool in_kernel;    /* KEY is a parameter inside kernel=SPEC */
    size_t n;          /* points of the stream each value is fitted to */
    double value[SWEEP_MAX];
    double log_ev[SWEEP_MAX]; /* log p(y_1..n | x_1..n) of each fit */
    double fit_ll[SWEEP_MAX]; /* sum_i log N(y_i; mean(x_i), noise var): the training fit */
    double rmse[SWEEP_MAX];   /* of the posterior mean on the training points */
    /* Borrowed by the job (cmd_sweep.c): the session swept and its world as
     * of the start (a new world stops the sweep). */
    struct session *owner;
    const void *world;
    char *words; /* the model command's words with KEY's value as "%s" (owned) */
};

void sweep_free(struct sweep *sw); /* NULL is a no-op */
/* The sweep as a paced job (commands/cmd_sweep.c; self: the sweep), in the
 * session's job set while s->sweep exists: whoever frees s->sweep removes it
 * first (job_set_remove). */
struct job_class;
extern const struct job_class sweep_job_class;
/* Index of the largest log evidence among the values done, or -1. */
long sweep_best(const struct sweep *sw);
/* `show sweep`: key, values, log_evidence, fit_loglik, rmse, best, n. */
int sweep_show(const struct sweep *sw, struct out *out, bl_err *err);

#endif
