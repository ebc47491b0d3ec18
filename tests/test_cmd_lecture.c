/* tests/test_cmd_lecture.c - reset, say, pause, wait and the stepped script
 * (commands/script.c) without a terminal: what a fresh session and a reset
 * one print is the same; a stepped script runs one command per step, holds
 * at pause, wait and the jobs it starts, and a key or Esc moves it on or
 * ends it; batch and --plain ignore pause and wait. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"

#include "harness.h"
#include "cmd_harness.h"

static void
register_view(void)
{
    static const struct view_key w_key[] = {
        {.arg = {.name = "w", .type = ARG_VEC, .help = "weights"}, .init = {0, 1}, .init_len = 2},
        {.arg = {.name = NULL}},
    };
    static const struct view_pane data = {.name = "data", .shown = true, .order = 0};
    static const struct view_pane post = {
        .name = "posterior", .keys = w_key, .shown = true, .order = 1};
    static const struct view_pane *const panes[] = {&data, &post, NULL};
    static const struct view_layout def = {"default", NULL}, th = {"theory", NULL};
    static const struct view_layout *const layouts[] = {&def, &th, NULL};
    bl_err err;
    CHECK(view_register(panes, layouts, &err) == BL_OK, "register: %s", err.msg);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

/* What a line prints in a session (fresh output buffer). */
static char *
output_of(struct session *s, const char *line)
{
    bl_err err;
    out_buffer_free(&ob);
    out_buffer_init(&ob);
    int rc = run(s, line, &err);
    CHECK(rc == BL_OK, "'%s': %s", line, err.msg);
    return strdup(ob.text ? ob.text : "");
}

static void
test_reset(void)
{
    bl_err err;
    static const char *const script =
        "seed 4; data linear d=2 noise=0.3; model blr; observe 40; show evidence; "
        "sampler rwm; sample 200; show posterior";
    struct session *fresh = session_alloc(&err);
    char *want = output_of(fresh, script);
    session_free(fresh);

    struct session *s = session_alloc(&err);
    CHECK(run(s,
              "seed 9; data linear d=2; model blr; observe 30; show concentration r=0.3; "
              "lens m=1000 d=2; sampler hmc target=banana; layout theory; "
              "pane posterior w=1,0; pane data off",
              &err) == BL_OK,
          "setup: %s", err.msg);
    struct view fresh_view;
    view_init(&fresh_view);
    CHECK(run(s, "reset", &err) == BL_OK, "reset: %s", err.msg);
    CHECK(strstr(ob.text, "reset: a fresh session (seed 9 kept)") != NULL, "reset says so: %s",
          ob.text);
    CHECK(s->world == NULL && s->n == 0 && s->mc == NULL && s->m == NULL && s->inst == NULL &&
              s->smp == NULL && s->blr == NULL,
          "reset clears world, stream, model, instrument, sampler");
    CHECK(s->seed == 9, "reset keeps the seed (%lu)", s->seed);
    CHECK(s->jobs.n == 1 && !s->jobs.slot[0].pace.active, "only the idle stream job is left");
    CHECK(memcmp(&s->view, &fresh_view, sizeof fresh_view) == 0,
          "layout, panes and pane options are a new session's");
    CHECK(s->ball_radius == 0.1, "the ball radius is the default again");
    char *got = output_of(s, script);
    CHECK(strcmp(want, got) == 0, "after reset a script prints what it prints fresh:\n%s\n---\n%s",
          want, got);
    free(got);
    /* reset in a script says nothing: examples start with it. */
    write_file("reset.lens", "reset\nseed 4\n");
    got = output_of(s, "source reset.lens");
    CHECK(got[0] == '\0', "reset in a script is silent: '%s'", got);
    free(got);
    free(want);
    session_free(s);
}

static void
test_batch_ignores_pauses(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    write_file("talk.lens", "say The line: y = 0.8 x, alpha=2 (no key parsed)\n"
                            "data linear d=1 noise=0.2 w=0.8\npause\nwait 600\n"
                            "say \"quoted; with # and it's\"\nobserve 5\n");
    char *got = output_of(s, "source talk.lens");
    CHECK(strcmp(got, "The line: y = 0.8 x, alpha=2 (no key parsed)\n"
                      "world: linear d=1 noise=0.2 inputs=gaussian\n"
                      "quoted; with # and it's\n"
                      "observed 5 points (n = 5)\n") == 0,
          "batch: say prints, pause and wait do nothing:\n%s", got);
    CHECK(s->caption[0] == '\0', "batch sets no caption");
    free(got);
    CHECK(run(s, "wait 601", &err) != BL_OK && strstr(err.msg, "wait 601: must be in 0..600"),
          "wait is bounded: %s", err.msg);
    CHECK(run(s, "say", &err) == BL_OK && s->caption[0] == '\0', "say alone: nothing: %s",
          err.msg);
    /* Typed (not in a script), pause is the stream's. */
    CHECK(run(s, "pause", &err) != BL_OK && strstr(err.msg, "nothing is running"),
          "pause at the prompt pauses a job: %s", err.msg);
    session_free(s);
}

/* Steps until the script holds or ends; returns the hold. */
static enum script_hold
steps(struct session *s, int *count)
{
    bl_err err;
    enum script_hold h;
    *count = 0;
    while ((h = session_script_hold(s, NULL)) == SCRIPT_READY) {
        bl_err_clear(&err);
        int rc = session_script_step(s, &ob.out, &err);
        CHECK(rc == BL_OK, "step: %s", err.msg);
        if (rc != BL_OK)
            break;
        ++*count;
    }
    return h;
}

static void
test_stepped(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    s->interactive = s->stepwise = true;
    write_file("inner.lens", "say inner\nobserve 2\n");
    write_file("lecture.lens", "reset\nseed 1\nsay First the world.\ndata linear d=2 noise=0.3\n"
                               "model blr; observe 10\npause\nsource inner.lens\n"
                               "stream n=30 rate=5; show model\nwait 600\nsampler rwm\n"
                               "sample 500\nshow sampler\nsay The end.\n");
    CHECK(run(s, "source lecture.lens", &err) == BL_OK, "source: %s", err.msg);
    CHECK(s->script != NULL && s->n == 0, "live: source only opens the script");
    int count;
    CHECK(steps(s, &count) == SCRIPT_KEY, "holds at pause");
    CHECK(count == 7 && s->n == 10, "seven commands before the pause (%d), n = %zu", count, s->n);
    CHECK(strcmp(s->caption, "First the world.") == 0, "say sets the caption: '%s'", s->caption);
    CHECK(strstr(ob.text, "> data linear d=2 noise=0.3\n") != NULL &&
              strstr(ob.text, "> say") == NULL && strstr(ob.text, "> pause") == NULL,
          "commands echoed, say and pause not:\n%s", ob.text);
    session_script_go(s, &ob.out);
    /* The nested script, then the stream: it holds the script until done. */
    CHECK(steps(s, &count) == SCRIPT_JOB, "holds for the stream");
    CHECK(s->n == 12 && strcmp(s->caption, "inner") == 0, "nested source ran (n = %zu)", s->n);
    size_t len = strlen(ob.text);
    session_script_go(s, &ob.out); /* a key: the stream's 30 points at once */
    CHECK(s->n == 42 && !s->jobs.slot[0].pace.active, "a key finishes the stream (n = %zu)", s->n);
    CHECK(strstr(ob.text + len, "stream done (n = 42)") != NULL, "and says so: %s", ob.text + len);
    CHECK(steps(s, &count) == SCRIPT_TIME && count == 2, "show model, then holds at wait (%d)",
          count);
    session_script_go(s, &ob.out);
    CHECK(steps(s, &count) == SCRIPT_JOB, "holds for sample");
    session_script_go(s, &ob.out);
    CHECK(s->smp != NULL, "the sampler is there");
    CHECK(steps(s, &count) == SCRIPT_NONE && s->script == NULL, "the script ends");
    CHECK(strstr(ob.text, "iterations = 500") != NULL, "show sampler sees the finished run:\n%s",
          ob.text);
    CHECK(strcmp(s->caption, "The end.") == 0, "the last caption stays");
    CHECK(run(s, "say", &err) == BL_OK && s->caption[0] == '\0', "say alone clears it");

    /* Esc in the middle: the script closes, the job it waited for stops. */
    CHECK(run(s, "source lecture.lens", &err) == BL_OK, "source again: %s", err.msg);
    CHECK(steps(s, &count) == SCRIPT_KEY, "pause again");
    session_script_go(s, &ob.out);
    CHECK(steps(s, &count) == SCRIPT_JOB, "the stream again");
    len = strlen(ob.text);
    session_script_stop(s, &ob.out);
    CHECK(s->script == NULL && !s->jobs.slot[0].pace.active && s->caption[0] == '\0',
          "stopped: no script, no job, no caption");
    CHECK(strstr(ob.text + len, "lecture stopped at lecture.lens:8") != NULL, "says where: %s",
          ob.text + len);
    CHECK(run(s, "observe 3", &err) == BL_OK && s->n == 15, "the session goes on (n = %zu)", s->n);

    /* A failing line stops every script and is named by file and line. */
    write_file("bad.lens", "observe 1\nsource inner.lens\nobserve 0\nobserve 1\n");
    size_t n0 = s->n;
    CHECK(run(s, "source bad.lens", &err) == BL_OK, "source: %s", err.msg);
    int rc = BL_OK;
    for (int k = 0; k < 20 && s->script != NULL && rc == BL_OK; k++) {
        bl_err_clear(&err);
        rc = session_script_step(s, &ob.out, &err);
    }
    CHECK(rc != BL_OK && strstr(err.msg, "bad.lens:3: observe 0: must be in") == err.msg,
          "named: %s", err.msg);
    CHECK(s->script == NULL && s->n == n0 + 3, "stopped there (n = %zu)", s->n - n0);
    session_free(s);
}

static void
test_plain_waits_for_jobs(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    s->interactive = true; /* --plain: a person at the prompt, scripts run at once */
    write_file("plain.lens", "seed 1; data linear d=2 noise=0.3; model blr; observe 20\n"
                             "sampler rwm\nsample 300; show sampler\npause\nstream n=7\n");
    char *got = output_of(s, "source plain.lens");
    CHECK(strstr(got, "iterations = 300") != NULL, "show after sample sees 300:\n%s", got);
    CHECK(s->n == 27 && !s->jobs.slot[0].pace.active, "the stream ran to its end (n = %zu)", s->n);
    free(got);
    session_free(s);
}

static void
test_off_and_latest(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "data linear d=2; model blr; observe 10", &err) == BL_OK, "%s", err.msg);
    CHECK(s->latest == LATEST_MODEL, "a model is the latest subject");
    CHECK(run(s, "lens m=100 d=2", &err) == BL_OK && s->latest == LATEST_INSTRUMENT &&
              view_layout_is(&s->view, "theory"),
          "lens: the instrument, layout theory: %s", err.msg);
    CHECK(run(s, "sampler rwm", &err) == BL_OK && s->latest == LATEST_SAMPLER, "sampler: %s",
          err.msg);
    CHECK(run(s, "sampler off", &err) == BL_OK && s->latest == LATEST_INSTRUMENT,
          "sampler off: the lens is the latest again");
    CHECK(run(s, "lens off", &err) == BL_OK, "lens off: %s", err.msg);
    CHECK(s->inst == NULL && job_set_find(&s->jobs, &instrument_job_class) == NULL &&
              !view_layout_is(&s->view, "theory") && s->latest == LATEST_MODEL,
          "lens off removes the instrument, its run and its layout");
    CHECK(run(s, "lens off", &err) != BL_OK && strstr(err.msg, "no instrument to remove"),
          "twice: %s", err.msg);
    CHECK(run(s, "run 5", &err) != BL_OK && strstr(err.msg, "no instrument"), "run: %s", err.msg);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    register_view();
    out_buffer_init(&ob);
    test_reset();
    test_batch_ignores_pauses();
    test_stepped();
    test_plain_waits_for_jobs();
    test_off_and_latest();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
