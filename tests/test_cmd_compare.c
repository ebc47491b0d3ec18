/* tests/test_cmd_compare.c - `compare` and `sweep` (docs/compare.md): the
 * command language and its refusals, side b equal to a fresh session with
 * its model on the same stream (every trace, to 1e-12), sweep values equal
 * to single fits' log evidence, and side b cleared by world changes and
 * session_compare_clear. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/compare.h"
#include "commands/session.h"
#include "commands/sweep.h"

#include "harness.h"
#include "cmd_harness.h"

/* Every trace of b equals f's over n arrivals, NaN where f's is NaN. */
static void
same_traces(const struct session *b, const struct session *f, const char *what)
{
    CHECK(b->n == f->n, "%s: side b n=%zu, fresh n=%zu", what, b->n, f->n);
    size_t bad = 0, n = b->n < f->n ? b->n : f->n;
    for (int id = 0; id < TR_COUNT; id++)
        for (size_t t = 0; t < n; t++) {
            double x = b->trace[id][t], y = f->trace[id][t];
            if (isnan(x) != isnan(y) || (!isnan(y) && fabs(x - y) > 1e-12 * fmax(1, fabs(y))))
                bad++;
        }
    CHECK(bad == 0, "%s: %zu trace entries differ by more than 1e-12", what, bad);
    CHECK_REL(session_log_evidence(b), session_log_evidence(f), 1e-12);
}

static void
test_follows(const char *wld, const char *ma, const char *mb)
{
    bl_err err;
    char line[512];
    struct session *a = session_alloc(&err), *f = session_alloc(&err);
    /* Side b made after 30 points (replayed), then fed 200 in blocks and 7
     * one at a time, as the fresh session is. */
    snprintf(line, sizeof line, "seed 5; %s; %s; observe 30; compare %s; observe 200; observe 1; "
             "observe 1; observe 5", wld, ma, mb);
    CHECK(run(a, line, &err) == BL_OK, "%s", err.msg);
    snprintf(line, sizeof line, "seed 5; %s; %s; observe 30; observe 200; observe 1; observe 1; "
             "observe 5", wld, mb);
    CHECK(run(f, line, &err) == BL_OK, "%s", err.msg);
    CHECK(a->side_b != NULL, "compare made side b");
    if (a->side_b != NULL)
        same_traces(a->side_b, f, mb);
    /* The live path: one point at a time for both. */
    bl_err_clear(&err);
    CHECK(session_stream(a, 40, &ob.out, &err) == BL_OK, "%s", err.msg);
    CHECK(session_stream(f, 40, &ob.out, &err) == BL_OK, "%s", err.msg);
    if (a->side_b != NULL)
        same_traces(a->side_b, f, "after a stream");
    /* A new world clears both streams; side b keeps its model. */
    CHECK(run(a, "data linear d=1 noise=0.5; observe 12", &err) == BL_OK, "%s", err.msg);
    CHECK(a->side_b != NULL && a->side_b->n == 12, "side b follows a new world");
    session_compare_clear(a);
    CHECK(a->side_b == NULL, "session_compare_clear drops side b");
    CHECK(run(a, "observe 3", &err) == BL_OK, "%s", err.msg);
    session_free(a);
    session_free(f);
}

static void
test_errors(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    static const char *const bad[] = {
        "show evidence side=b",          /* no side b yet */
        "compare observe 10",            /* not a side command */
        "compare show evidence",         /* show takes side=b instead */
        "compare | model blr",           /* nothing before | */
        "compare model blr | model blr | model blr",
        "compare model nosuch",
        "sweep",                         /* no range */
        "sweep degree=0..9",             /* no model yet */
        NULL,
    };
    for (size_t i = 0; bad[i] != NULL; i++) {
        CHECK(run(s, bad[i], &err) != BL_OK, "'%s' must fail", bad[i]);
        CHECK(err.msg[0] != '\0', "'%s' says why", bad[i]);
    }
    CHECK(s->side_b == NULL, "failed compare commands made no side b");
    CHECK(run(s, "data linear d=1; model blr features=poly degree=2; observe 20", &err) == BL_OK,
          "%s", err.msg);
    static const char *const bad2[] = {
        "sweep degree=3..1",   "sweep degree=0..99",  "sweep degree=0.5..3", "sweep nosuch=0..3",
        "sweep degree=0..3 n=1", "sweep degree=0..3 scale=cubic", "sweep degree", "sweep x",
        "sweep degree=0..3 rate=0", "sweep alpha=0..3 scale=log", NULL,
    };
    for (size_t i = 0; bad2[i] != NULL; i++) {
        CHECK(run(s, bad2[i], &err) != BL_OK, "'%s' must fail", bad2[i]);
        CHECK(err.msg[0] != '\0', "'%s' says why", bad2[i]);
    }
    CHECK(s->sweep == NULL, "failed sweeps leave none");
    CHECK(run(s, "compare model blr features=poly degree=5", &err) == BL_OK, "%s", err.msg);
    CHECK(run(s, "show evidence side=b", &err) == BL_OK, "%s", err.msg);
    CHECK(run(s, "compare", &err) == BL_OK && strstr(ob.text, "b = blr") != NULL, "%s",
          err.msg);
    CHECK(run(s, "compare model blr | model blr alpha=-1", &err) != BL_OK, "bad side a fails");
    CHECK(run(s, "compare off", &err) == BL_OK && s->side_b == NULL, "%s", err.msg);
    CHECK(run(s, "show evidence side=b", &err) != BL_OK, "side b gone");
    session_free(s);
    /* Side b's model class guards its size like side a's (its fits hook): a
     * GP is refused on a stream longer than it can hold, before any work. */
    s = session_alloc(&err);
    CHECK(run(s, "data linear d=1; model blr; observe 60000", &err) == BL_OK, "%s", err.msg);
    CHECK(run(s, "compare model gp kernel=rbf", &err) != BL_OK &&
              strstr(err.msg, "60000 points") != NULL,
          "gp side b on 60000 points refused: %s", err.msg);
    CHECK(s->side_b == NULL && s->n == 60000, "nothing changed");
    session_free(s);
    /* Ctrl-C while side b is made (its replay of the stream): no side b. */
    s = session_alloc(&err);
    bl_cancel stop = 1;
    CHECK(run(s, "data linear d=1; model blr; observe 300", &err) == BL_OK, "%s", err.msg);
    s->cancel = &stop;
    CHECK(run(s, "compare model nig", &err) == BL_ECANCEL, "interrupted: %s", err.msg);
    CHECK(s->side_b == NULL, "an interrupted compare made no side b");
    session_free(s);
}

static void
test_sweep(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 4; data linear d=1 noise=0.3 inputs=uniform; "
                 "model blr alpha=1 beta=11.1 features=poly degree=1; observe 30; "
                 "sweep degree=0..6",
              &err) == BL_OK,
          "%s", err.msg);
    const struct sweep *sw = s->sweep;
    CHECK(sw != NULL && sw->done == 7 && sw->nv == 7, "seven values fitted");
    for (size_t i = 0; sw != NULL && i < sw->done; i++) {
        struct session *f = session_alloc(&err);
        char line[256];
        snprintf(line, sizeof line, "seed 4; data linear d=1 noise=0.3 inputs=uniform; "
                 "model blr alpha=1 beta=11.1 features=poly degree=%g; observe 30", sw->value[i]);
        CHECK(run(f, line, &err) == BL_OK, "%s", err.msg);
        CHECK_REL(sw->log_ev[i], session_log_evidence(f), 1e-12);
        session_free(f);
    }
    CHECK(sweep_best(sw) == 1, "the evidence peaks at degree 1 (got index %ld)", sweep_best(sw));
    CHECK(sw != NULL && sw->fit_ll[6] > sw->fit_ll[1], "the training fit rises with degree");
    /* A kernel parameter on a log grid. */
    CHECK(run(s, "data builtin sunspots_yearly standardize=yes; "
                 "model gp kernel=\"rbf(var=0.5, ls=0.05)\" noise=0.3; observe 60; "
                 "sweep ls=0.01..1 n=5",
              &err) == BL_OK,
          "%s", err.msg);
    sw = s->sweep;
    CHECK(sw != NULL && sw->log && sw->done == 5, "log grid of 5");
    if (sw != NULL) {
        CHECK_REL(sw->value[2], 0.1, 1e-12);
        struct session *f = session_alloc(&err);
        CHECK(run(f, "data builtin sunspots_yearly standardize=yes; "
                     "model gp kernel=\"rbf(var=0.5, ls=0.1)\" noise=0.3; observe 60",
                  &err) == BL_OK,
              "%s", err.msg);
        CHECK_REL(sw->log_ev[2], session_log_evidence(f), 1e-12);
        session_free(f);
    }
    CHECK(run(s, "show sweep", &err) == BL_OK && strstr(ob.text, "log_evidence = [") != NULL,
          "%s", err.msg);
    session_free(s);
}

static void
test_samplers(void)
{
    bl_err err;
    struct session *s = session_alloc(&err), *f = session_alloc(&err);
    CHECK(run(s, "seed 2; sampler hmc target=banana; compare sampler rwm target=banana; "
                 "sample 300",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(run(f, "seed 2; sampler rwm target=banana; sample 300", &err) == BL_OK, "%s", err.msg);
    CHECK(s->side_b != NULL && s->side_b->smp != NULL && s->side_b->smp->iter == 300,
          "side b sampled 300");
    if (s->side_b != NULL && s->side_b->smp != NULL)
        CHECK_REL(s->side_b->smp->acceptance, f->smp->acceptance, 1e-12);
    CHECK(run(s, "show sampler side=b", &err) == BL_OK && strstr(ob.text, "name = rwm") != NULL,
          "%s", err.msg);
    session_free(s);
    session_free(f);
}
/* A side b that trains (review: `compare model nn` made a side b that could
 * never be trained; train named side a's class and `compare train` was
 * refused). compare train trains side b, as compare optimize optimizes it;
 * train on a side a that does not train says so. Live, side b's run is a
 * job in side a's set, ended once, dropped with side b or its instance. */
static void
test_train_side_b(void)
{
    bl_err err;
    struct session *s = session_alloc(&err), *f = session_alloc(&err);
    CHECK(run(s, "seed 1; data fourier k=3 noise=0.1; model blr; observe 50; "
                 "compare model nn width=16",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(run(s, "train 50", &err) == BL_ESTATE &&
              strstr(err.msg, "side a's model blr does not train; side b's model nn does: "
                              "compare train N") != NULL,
          "%s", err.msg);
    CHECK(run(s, "compare train 50", &err) == BL_OK, "%s", err.msg);
    CHECK(strstr(ob.text, "side b: trained 50 steps: nn sgd step 50") != NULL, "%s", ob.text);
    /* The same steps as a fresh session training that model. */
    CHECK(run(f, "seed 1; data fourier k=3 noise=0.1; observe 50; model nn width=16; train 50",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK_REL(session_log_evidence(s->side_b), session_log_evidence(f), 1e-12);
    session_free(f);
    CHECK(run(s, "compare model blr | model blr; compare train 5", &err) == BL_ESTATE &&
              strstr(err.msg, "model blr does not train") != NULL,
          "%s", err.msg);
    session_free(s);

    s = session_alloc(&err);
    s->interactive = true;
    CHECK(run(s, "seed 1; data fourier k=1 noise=0.1; observe 10; "
                 "compare model nn width=8 depth=1; compare train 30 rate=100",
              &err) == BL_OK,
          "%s", err.msg);
    struct job *j = job_set_find(&s->jobs, &side_b_train_class);
    CHECK(j != NULL && j->pace.active && s->side_b->jobs.n <= 1, "side b's run in side a's set");
    struct run_ctx ctx = session_run_ctx(s);
    ob.len = 0;
    ob.text[0] = '\0';
    for (int i = 0; j != NULL && i < 5 && j->pace.active; i++)
        job_advance(j, 1, 100, &ctx, &ob.out);
    CHECK(j != NULL && !j->pace.active &&
              s->side_b->mc->train->steps(s->side_b->m) == 30,
          "side b trained 30");
    CHECK(strstr(ob.text, "side b: training done: nn sgd step 30") != NULL &&
              strstr(ob.text, "training done") == strstr(ob.text, "side b: training done") + 8,
          "one end line: %s", ob.text);
    CHECK(run(s, "compare train rate=10; compare train rate=20", &err) == BL_OK, "%s", err.msg);
    CHECK(strstr(ob.text, "side b: training stopped, weights kept: nn sgd step 30") != NULL &&
              strstr(ob.text, "side b: side b:") == NULL,
          "a new run ends the last, once headed: %s", ob.text);
    CHECK(run(s, "compare model nn width=8 depth=1", &err) == BL_OK, "%s", err.msg);
    CHECK(job_set_find(&s->jobs, &side_b_train_class) == NULL, "a new side b instance drops it");
    CHECK(run(s, "compare train rate=10; compare off", &err) == BL_OK, "%s", err.msg);
    CHECK(job_set_find(&s->jobs, &side_b_train_class) == NULL, "compare off drops it");
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_follows("data linear d=1 noise=0.3", "model blr features=poly degree=3",
                 "model blr features=poly degree=9");
    test_follows("data linear d=2 noise=0.3", "model blr", "model nig");
    test_follows("data builtin sunspots_yearly standardize=yes",
                 "model gp kernel=\"rbf(var=0.5, ls=0.05)\" noise=0.3",
                 "model tp kernel=\"rbf(var=0.5, ls=0.05)\" noise=0.3 a=2 b=1");
    test_errors();
    test_sweep();
    test_samplers();
    test_train_side_b();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
