/* commands/job.h - paced jobs: work that advances in units (points of a
 * stream, an instrument's arrivals, a sampler's iterations, and later the
 * steps of a training run) at a rate, within a budget, pausable.
 *
 * A job is a class (a const table of hooks, like a pane class) and the
 * object it works on (`self`: the session for the stream, the instrument,
 * the sampler). The object is built with everything it needs from the
 * session (a target, a seed, data) and never sees the session again: what
 * varies from one advance to the next comes in a struct run_ctx.
 *
 * Pacing lives here and only here (docs/jobs.md): in batch mode a command
 * does all its units at once; live, the front end calls job_advance every
 * frame with the elapsed time and the units it can afford, and the job does
 * rate * dt of them, the owed fraction carried over as credit bounded to one
 * second's worth, so a stalled frame never causes a burst. Results depend
 * only on the seed and the unit counts, never on timing. */
#ifndef BAYESLENS_COMMANDS_JOB_H
#define BAYESLENS_COMMANDS_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/clock.h"
#include "commands/out.h"
#include "core/base/err.h"

/* What the session hands a job for one advance. */
struct run_ctx {
    const bl_cancel *cancel; /* Ctrl-C, polled between units; may be NULL */
    bool live;               /* a front end paces the job (else batch: reproducible checkpoints) */
    struct clock_pump *pump; /* ticked from long advances; may be NULL */
};

/* How a job ended (its `end` hook says so on out). */
enum job_end {
    JOB_DONE,    /* did all the units it was started for */
    JOB_FAILED,  /* an advance failed (err says why); the units done stay */
    JOB_STOPPED, /* stopped from outside (Ctrl-C) */
};

struct job_class {
    const char *name;    /* "stream", "run", "sample" */
    const char *verb;    /* status line while running: "streaming" */
    const char *unit;    /* what a unit is, plural: "points", "arrivals", "iterations" */
    size_t first_budget; /* units of a first live advance, before their cost is measured */
    /* Do up to n units now; returns the units done. On an interrupt or an
     * error err is filled (err->code != BL_OK, err cleared by the caller)
     * and the units done stay done. out gets what the work itself reports. */
    size_t (*advance)(void *self, size_t n, const struct run_ctx *ctx, struct out *out,
                      bl_err *err);
    /* A live run ended: say so on out (err: the failure, JOB_FAILED only). */
    void (*end)(void *self, enum job_end how, const bl_err *err, struct out *out);
    /* Progress for the status line ("lens 120", "hmc iteration 500"; "" for none). */
    void (*describe)(const void *self, char *buf, size_t size);
    /* One line about the newest unit after `step` did `done` of them. */
    void (*describe_step)(const void *self, size_t done, char *buf, size_t size);
};

/* Pacing of a live run (all zero: not running). */
struct job_pace {
    bool active; /* started and not yet done or stopped (maybe paused) */
    bool paused;
    double rate;      /* units per second */
    size_t remaining; /* units still to do; SIZE_MAX: until stopped */
    double credit;    /* fractional units owed by elapsed time */
    /* The achieved rate: units and seconds of the window being measured,
     * and units per second over the last full one (0: none yet). */
    double win_n, win_t, achieved;
};

struct job {
    const struct job_class *cls;
    unsigned long starts; /* job_start calls so far (a lecture waits for the jobs it started) */
    void *self; /* borrowed: its owner frees it after job_set_remove */
    struct job_pace pace;
    double cost; /* seconds per unit, measured by the front end (0: not yet) */
};

/* Start j live: rate units per second, n units in all (SIZE_MAX: until stopped). */
void job_start(struct job *j, double rate, size_t n);
/* Pause or resume (owed credit is dropped either way: no burst after a pause). */
void job_pause(struct job *j, bool paused);
/* Whether j is started and not paused. */
bool job_running(const struct job *j);
/* Seconds of running time a measurement of the achieved rate spans. */
#define JOB_RATE_WINDOW 2.0
/* Units per second j did over its last JOB_RATE_WINDOW seconds of running
 * (what a slow unit leaves of the rate asked), 0 before the first window
 * or when j is not running. */
double job_achieved_rate(const struct job *j);
/* Advance a live job by dt seconds of wall time: the units owed, at most
 * max_units of them now. When the job has done all it was started for or
 * an advance fails it stops (its end hook reports). Returns the units done. */
size_t job_advance(struct job *j, double dt, size_t max_units, const struct run_ctx *ctx,
                   struct out *out);
/* Stop a live job now (Ctrl-C); its end hook reports JOB_STOPPED. No-op when
 * it is not active. */
void job_stop(struct job *j, struct out *out);
/* Skip a live job to its end (a key during a lecture's job): the units it
 * still owes now, unpaced, then its end hook as if it had run out; a job
 * started without a count is stopped. No-op when it is not active. */
void job_finish(struct job *j, const struct run_ctx *ctx, struct out *out);

/* The jobs of a session: at most one per class, in the order their classes
 * were first added; one of them is current (what pause, resume, step and
 * the status line act on). */
#define JOB_MAX 8
struct job_set {
    struct job slot[JOB_MAX];
    size_t n;
    size_t current; /* index into slot (0 when n == 0) */
};

/* Give the class cls the object self (a new slot, or the class's slot with
 * its pacing reset) and make it current. Returns the job. */
struct job *job_set_add(struct job_set *js, const struct job_class *cls, void *self);
/* Drop the job of class cls (if any); when it was current, slot 0 is. */
void job_set_remove(struct job_set *js, const struct job_class *cls);
/* The job of class cls, or NULL. */
struct job *job_set_find(struct job_set *js, const struct job_class *cls);
/* Make the job of class cls current; returns it (NULL, and nothing changes,
 * when there is none). */
struct job *job_set_use(struct job_set *js, const struct job_class *cls);
/* The current job (NULL when the set is empty); const variant for readers. */
struct job *job_set_current(struct job_set *js);
const struct job *job_set_const_current(const struct job_set *js);
/* Whether any job is running (started and not paused): the front end animates. */
bool job_set_running(const struct job_set *js);

#endif
