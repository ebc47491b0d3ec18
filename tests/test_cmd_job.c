/* tests/test_cmd_job.c - the paced-job interface (commands/job.h): pacing
 * by rate with credit bounded to one second's worth, the budget, pause,
 * the end hook for done / failed / stopped; the job set's current job; and
 * the session's stream and run jobs driven live through it, with pause,
 * resume and step acting on the current job. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/job.h"
#include "commands/session.h"

#include "harness.h"
#include "cmd_harness.h"

/* A job that counts units, failing once it reaches fail_at. */
struct counter {
    size_t done, fail_at;
    int fail_code; /* 0: BL_ENUM */
    struct job *stop_job; /* stopped from inside advance once done reaches stop_at */
    size_t stop_at;
    enum job_end ended;
    int ends;
    char why[256];
};

static size_t
counter_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct counter *c = self;
    (void)ctx;
    (void)out;
    for (size_t i = 0; i < n; i++) {
        if (c->done == c->fail_at) {
            bl_fail(err, c->fail_code ? c->fail_code : BL_ENUM, "failed at %zu", c->done);
            return i;
        }
        c->done++;
        if (c->stop_job != NULL && c->done == c->stop_at)
            job_stop(c->stop_job, out);
    }
    return n;
}

static void
counter_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    struct counter *c = self;
    (void)out;
    c->ended = how;
    c->ends++;
    snprintf(c->why, sizeof c->why, "%s", err ? err->msg : "");
}

static void
counter_describe(const void *self, char *buf, size_t size)
{
    snprintf(buf, size, "%zu", ((const struct counter *)self)->done);
}

static void
counter_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    snprintf(buf, size, "+%zu = %zu", done, ((const struct counter *)self)->done);
}

static const struct job_class counter_class = {
    .name = "count",
    .verb = "counting",
    .unit = "units",
    .first_budget = 1,
    .advance = counter_advance,
    .end = counter_end,
    .describe = counter_describe,
    .describe_step = counter_describe_step,
};
static const struct job_class other_class = {
    .name = "other",
    .verb = "other",
    .unit = "units",
    .first_budget = 1,
    .advance = counter_advance,
    .end = counter_end,
    .describe = counter_describe,
    .describe_step = counter_describe_step,
};

static void
test_pacing(void)
{
    struct counter c = {.fail_at = SIZE_MAX};
    struct job j = {.cls = &counter_class, .self = &c};
    const struct run_ctx ctx = {0};
    CHECK(job_advance(&j, 1, 100, &ctx, &ob.out) == 0 && c.done == 0, "not started: nothing");
    job_start(&j, 10, 100);
    CHECK(job_running(&j), "started");
    CHECK(job_advance(&j, 0.25, 100, &ctx, &ob.out) == 2, "0.25 s at 10/s: 2 (0.5 owed)");
    CHECK(job_advance(&j, 0.05, 100, &ctx, &ob.out) == 1, "the owed half plus 0.5: 1");
    CHECK(job_advance(&j, 0, 100, &ctx, &ob.out) == 0, "no time, nothing");
    /* A stalled frame: 10 s owed, bounded to one second's worth (rate + 1). */
    CHECK(job_advance(&j, 10, 100, &ctx, &ob.out) == 11, "credit bounded to a second");
    CHECK(job_advance(&j, 0.1, 100, &ctx, &ob.out) == 1, "no burst after the stall");
    /* The budget: at most max_units now, the rest stays owed. */
    CHECK(job_advance(&j, 1, 3, &ctx, &ob.out) == 3, "budget of 3");
    CHECK(job_advance(&j, 0, 100, &ctx, &ob.out) == 0, "dt 0 does nothing even when owed");
    CHECK(job_advance(&j, 1e-9, 100, &ctx, &ob.out) == 7, "the owed 7 of the last second");
    job_pause(&j, true);
    CHECK(job_advance(&j, 1, 100, &ctx, &ob.out) == 0 && !job_running(&j), "paused");
    job_pause(&j, false);
    CHECK(job_advance(&j, 0.1, 100, &ctx, &ob.out) == 1, "resumed without a burst");
    CHECK(c.done == 26 && j.pace.remaining == 74 && c.ends == 0, "done %zu", c.done);
    /* The end: at most the units left, then the end hook and inactive. */
    for (int i = 0; i < 20 && j.pace.active; i++)
        job_advance(&j, 10, 100, &ctx, &ob.out);
    CHECK(c.done == 100 && !j.pace.active && c.ends == 1 && c.ended == JOB_DONE, "done at 100");
    job_stop(&j, &ob.out);
    CHECK(c.ends == 1, "stopping an inactive job is a no-op");
}

static void
test_fail_stop(void)
{
    struct counter c = {.fail_at = 5};
    struct job j = {.cls = &counter_class, .self = &c};
    const struct run_ctx ctx = {0};
    job_start(&j, 100, SIZE_MAX);
    CHECK(job_advance(&j, 0.1, 100, &ctx, &ob.out) == 5, "the units before the failure stay");
    CHECK(!j.pace.active && c.ended == JOB_FAILED && strcmp(c.why, "failed at 5") == 0,
          "failed: %s", c.why);
    c.fail_at = SIZE_MAX;
    job_start(&j, 100, SIZE_MAX);
    job_advance(&j, 0.1, 100, &ctx, &ob.out);
    job_stop(&j, &ob.out);
    CHECK(!j.pace.active && c.ended == JOB_STOPPED && c.ends == 2, "stopped");
}

/* Ctrl-C reaches the front end's pump inside advance, which stops the job
 * (its end hook: "stopped"); the advance's return must not end it again
 * ("done"): one end per run (train printed both). A cancel seen by the unit
 * itself ends it as stopped, not failed. */
static void
test_stop_inside_advance(void)
{
    struct counter c = {.fail_at = SIZE_MAX, .stop_at = 3};
    struct job j = {.cls = &counter_class, .self = &c};
    c.stop_job = &j;
    const struct run_ctx ctx = {0};
    job_start(&j, 100, 10);
    job_advance(&j, 1, 100, &ctx, &ob.out);
    CHECK(!j.pace.active && c.ends == 1 && c.ended == JOB_STOPPED, "advance: %d ends, last %d",
          c.ends, (int)c.ended);
    c.stop_at = c.done + 3;
    job_start(&j, 100, 10);
    job_finish(&j, &ctx, &ob.out);
    CHECK(!j.pace.active && c.ends == 2 && c.ended == JOB_STOPPED, "finish: %d ends, last %d",
          c.ends, (int)c.ended);
    /* The cancel flag seen mid-unit (the advance returns BL_ECANCEL) is a
     * stop too, not a failure ("training stopped: training interrupted"). */
    c.stop_job = NULL;
    c.fail_at = c.done + 2;
    c.fail_code = BL_ECANCEL;
    job_start(&j, 100, 10);
    job_advance(&j, 1, 100, &ctx, &ob.out);
    CHECK(!j.pace.active && c.ends == 3 && c.ended == JOB_STOPPED, "cancel: %d ends, last %d",
          c.ends, (int)c.ended);
}

/* The achieved rate (the status line's, when a slow unit falls short of the
 * rate asked): units over running seconds, per window of JOB_RATE_WINDOW s. */
static void
test_achieved_rate(void)
{
    struct counter c = {.fail_at = SIZE_MAX};
    struct job j = {.cls = &counter_class, .self = &c};
    const struct run_ctx ctx = {0};
    job_start(&j, 1000, SIZE_MAX);
    CHECK(job_achieved_rate(&j) == 0, "nothing measured yet");
    /* One unit a frame of 0.5 s (budget 1, as for a 0.5 s unit): 2/s. */
    for (int i = 0; i < 4; i++)
        job_advance(&j, 0.5, 1, &ctx, &ob.out);
    CHECK_REL(job_achieved_rate(&j), 2.0, 1e-12);
    job_pause(&j, true);
    CHECK(job_achieved_rate(&j) == 0, "paused: none");
    job_pause(&j, false);
    /* Unhindered at 1000/s with frames of 10 ms. */
    for (int i = 0; i < 200; i++)
        job_advance(&j, 0.01, 1000, &ctx, &ob.out);
    CHECK(fabs(job_achieved_rate(&j) - 1000) <= 1, "full speed: %g", job_achieved_rate(&j));
    job_stop(&j, &ob.out);
    CHECK(job_achieved_rate(&j) == 0, "stopped: none");
}

static void
test_set(void)
{
    struct job_set js = {0};
    struct counter a = {.fail_at = SIZE_MAX}, b = a, b2 = a;
    CHECK(job_set_current(&js) == NULL && !job_set_running(&js), "empty");
    struct job *ja = job_set_add(&js, &counter_class, &a);
    struct job *jb = job_set_add(&js, &other_class, &b);
    CHECK(js.n == 2 && job_set_current(&js) == jb, "the newest is current");
    job_start(jb, 10, 5);
    CHECK(job_set_running(&js), "running");
    CHECK(job_set_add(&js, &other_class, &b2) == jb && js.n == 2 && jb->self == &b2 &&
              !jb->pace.active,
          "a class's new object takes its slot, pacing reset");
    CHECK(job_set_use(&js, &counter_class) == ja && job_set_const_current(&js) == ja, "use");
    job_set_remove(&js, &counter_class);
    CHECK(js.n == 1 && job_set_find(&js, &counter_class) == NULL &&
              job_set_current(&js)->cls == &other_class,
          "removing slot 0 keeps the other");
    job_set_add(&js, &counter_class, &a);
    job_set_use(&js, &other_class);
    job_set_remove(&js, &other_class);
    CHECK(job_set_current(&js)->cls == &counter_class, "removing the current: slot 0 is");
    CHECK(job_set_use(&js, &other_class) == NULL && job_set_current(&js)->cls == &counter_class,
          "using a class without a job changes nothing");
}

/* The session's stream and run jobs, live, through the interface. */
static void
test_session_jobs(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    s->interactive = true;
    CHECK(job_set_current(&s->jobs)->cls == &stream_job_class, "the stream is slot 0");
    CHECK(run_fresh(s, "pause", &err) == BL_ESTATE, "nothing to pause");
    CHECK(run_fresh(s, "data linear d=2; model blr; stream rate=10 n=12", &err) == BL_OK, "%s",
          err.msg);
    struct job *j = job_set_current(&s->jobs);
    struct run_ctx ctx = session_run_ctx(s);
    CHECK(j->cls == &stream_job_class && j->pace.active && j->pace.remaining == 12, "started");
    CHECK(job_advance(j, 0.5, 64, &ctx, &ob.out) == 5 && s->n == 5, "0.5 s at 10/s: n = %zu", s->n);
    CHECK(run_fresh(s, "step", &err) == BL_OK && s->n == 6 && j->pace.paused, "step pauses: %s",
          err.msg);
    CHECK(strstr(ob.text, "paused; stepping") != NULL && strstr(ob.text, "n = 6: y = ") != NULL,
          "step line: %s", ob.text);
    CHECK(run_fresh(s, "resume", &err) == BL_OK && job_running(j), "resume");
    for (int i = 0; i < 5 && j->pace.active; i++)
        job_advance(j, 10, 64, &ctx, &ob.out);
    /* The step was extra: the stream still brings its 12. */
    CHECK(s->n == 13 && !j->pace.active, "done at 13: %zu", s->n);
    CHECK(strstr(ob.text, "stream done (n = 13)") != NULL, "done message: %s", ob.text);

    CHECK(run_fresh(s, "lens m=200 d=2; run 3 rate=100", &err) == BL_OK, "%s", err.msg);
    j = job_set_current(&s->jobs);
    CHECK(j->cls == &instrument_job_class && j->self == s->inst, "the run is current");
    char what[64];
    j->cls->describe(j->self, what, sizeof what);
    CHECK(strcmp(what, "lens 0") == 0, "describe: %s", what);
    ctx = session_run_ctx(s);
    for (int i = 0; i < 5 && j->pace.active; i++)
        job_advance(j, 1, 10, &ctx, &ob.out);
    CHECK(s->inst->n == 3 && strstr(ob.text, "lens: run done (3)") != NULL, "run: %s", ob.text);

    CHECK(run_fresh(s, "sampler rwm target=banana", &err) == BL_OK, "%s", err.msg);
    CHECK(job_set_current(&s->jobs)->cls == &sampler_job_class && s->jobs.n == 3, "sampler");
    CHECK(run_fresh(s, "sampler off", &err) == BL_OK && s->jobs.n == 2, "%s", err.msg);
    CHECK(job_set_current(&s->jobs)->cls == &stream_job_class, "off: back to the stream");
    CHECK(run_fresh(s, "step 2", &err) == BL_OK && s->n == 15, "step streams again: %zu", s->n);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_pacing();
    test_fail_stop();
    test_stop_inside_advance();
    test_achieved_rate();
    test_set();
    test_session_jobs();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
