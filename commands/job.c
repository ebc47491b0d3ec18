/* commands/job.c - see job.h. */
#include "commands/job.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

void
job_start(struct job *j, double rate, size_t n)
{
    j->pace = (struct job_pace){.active = true, .rate = rate, .remaining = n};
    j->starts++;
}

void
job_pause(struct job *j, bool paused)
{
    j->pace.paused = paused;
    j->pace.credit = 0;
    /* A pause is no shortfall: measure afresh. */
    j->pace.win_n = j->pace.win_t = j->pace.achieved = 0;
}

bool
job_running(const struct job *j)
{
    return j->pace.active && !j->pace.paused;
}

double
job_achieved_rate(const struct job *j)
{
    return job_running(j) ? j->pace.achieved : 0.0;
}

/* Count dt seconds of running and got units into the window. dt is the
 * wall time since the last frame, the previous advance's work included, so
 * the window's sums are what the screen saw. */
static void
pace_measure(struct job_pace *p, double dt, size_t got)
{
    if (!p->active || p->paused || !(dt > 0))
        return;
    p->win_t += dt;
    p->win_n += (double)got;
    if (p->win_t >= JOB_RATE_WINDOW) {
        p->achieved = p->win_n / p->win_t;
        p->win_n = p->win_t = 0;
    }
}

/* The units owed after dt more seconds, at most max_units and the units left. */
static size_t
pace_due(struct job_pace *p, double dt, size_t max_units)
{
    if (!p->active || p->paused || dt <= 0)
        return 0;
    p->credit += dt * p->rate;
    if (p->credit > p->rate + 1) /* a stalled frame does not cause a burst later */
        p->credit = p->rate + 1;
    size_t want = (size_t)p->credit;
    if (want > max_units)
        want = max_units;
    if (want > p->remaining)
        want = p->remaining;
    return want;
}

/* Account for got units done; whether the job has done all it was asked for. */
static bool
pace_done(struct job_pace *p, size_t got)
{
    p->credit -= (double)got;
    if (p->remaining != SIZE_MAX)
        p->remaining -= got < p->remaining ? got : p->remaining;
    return p->remaining == 0;
}

size_t
job_advance(struct job *j, double dt, size_t max_units, const struct run_ctx *ctx, struct out *out)
{
    size_t want = pace_due(&j->pace, dt, max_units);
    if (want == 0) {
        pace_measure(&j->pace, dt, 0);
        return 0;
    }
    bl_err err;
    bl_err_clear(&err);
    size_t got = j->cls->advance(j->self, want, ctx, out, &err);
    /* Stopped from inside (Ctrl-C seen by the pump): its end is out. */
    if (!j->pace.active)
        return got;
    pace_measure(&j->pace, dt, got);
    bool finished = pace_done(&j->pace, got);
    if (err.code != BL_OK) {
        /* Ctrl-C raised the cancel flag mid-unit: a stop, as in job_finish. */
        j->pace = (struct job_pace){0};
        j->cls->end(j->self, err.code == BL_ECANCEL ? JOB_STOPPED : JOB_FAILED, &err, out);
    } else if (finished) {
        j->pace = (struct job_pace){0};
        j->cls->end(j->self, JOB_DONE, NULL, out);
    }
    return got;
}

void
job_stop(struct job *j, struct out *out)
{
    if (!j->pace.active)
        return;
    j->pace = (struct job_pace){0};
    j->cls->end(j->self, JOB_STOPPED, NULL, out);
}

struct job *
job_set_find(struct job_set *js, const struct job_class *cls)
{
    for (size_t i = 0; i < js->n; i++)
        if (js->slot[i].cls == cls)
            return &js->slot[i];
    return NULL;
}

struct job *
job_set_add(struct job_set *js, const struct job_class *cls, void *self)
{
    struct job *j = job_set_find(js, cls);
    if (j == NULL) {
        assert(js->n < JOB_MAX); /* one slot per class: more classes need a larger JOB_MAX */
        j = &js->slot[js->n++];
        *j = (struct job){.cls = cls};
    }
    j->self = self;
    j->pace = (struct job_pace){0};
    js->current = (size_t)(j - js->slot);
    return j;
}

void
job_set_remove(struct job_set *js, const struct job_class *cls)
{
    struct job *j = job_set_find(js, cls);
    if (j == NULL)
        return;
    size_t i = (size_t)(j - js->slot);
    memmove(js->slot + i, js->slot + i + 1, (js->n - i - 1) * sizeof *js->slot);
    js->n--;
    if (js->current == i)
        js->current = 0;
    else if (js->current > i)
        js->current--;
}

struct job *
job_set_use(struct job_set *js, const struct job_class *cls)
{
    struct job *j = job_set_find(js, cls);
    if (j != NULL)
        js->current = (size_t)(j - js->slot);
    return j;
}

struct job *
job_set_current(struct job_set *js)
{
    return js->n > 0 ? &js->slot[js->current] : NULL;
}

const struct job *
job_set_const_current(const struct job_set *js)
{
    return js->n > 0 ? &js->slot[js->current] : NULL;
}

bool
job_set_running(const struct job_set *js)
{
    for (size_t i = 0; i < js->n; i++)
        if (job_running(&js->slot[i]))
            return true;
    return false;
}

void
job_finish(struct job *j, const struct run_ctx *ctx, struct out *out)
{
    if (!j->pace.active)
        return;
    if (j->pace.remaining == SIZE_MAX) {
        job_stop(j, out);
        return;
    }
    bl_err err;
    bl_err_clear(&err);
    j->cls->advance(j->self, j->pace.remaining, ctx, out, &err);
    if (!j->pace.active)
        return; /* stopped from inside, as in job_advance */
    j->pace = (struct job_pace){0};
    if (err.code != BL_OK)
        j->cls->end(j->self, err.code == BL_ECANCEL ? JOB_STOPPED : JOB_FAILED, &err, out);
    else
        j->cls->end(j->self, JOB_DONE, NULL, out);
}
