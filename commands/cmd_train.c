/* commands/cmd_train.c - `train N [rate=R] [keys]`: optimizer steps of the
 * session's model, for any class with train hooks (struct model_train,
 * commands/model.h). Batch: all N steps at once, then one summary line.
 * Live: a paced job (docs/jobs.md) at R steps per second; F5 pauses, F6
 * steps, Ctrl-C stops and keeps the weights. The keys are the union of every
 * class's train keys (the table is const, so they are built once), and a key
 * the current class lacks is refused. Results depend only on the seeds and
 * the step counts: the class records its history at fixed steps. */
#include "commands/cmd.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "commands/job.h"
#include "commands/session.h"

/* Steps per call of the step hook inside one advance: the pump ticks in
 * between, so keys echo while a slow network trains. */
#define TRAIN_CHUNK 8

static const struct model_train *
hooks(const struct session *s)
{
    return s->mc != NULL && s->m != NULL ? s->mc->train : NULL;
}

/* ---- the job (self: the session) ------------------------------------------ */

static size_t
train_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct session *s = self;
    const struct model_train *t = hooks(s);
    (void)out;
    if (t == NULL) {
        bl_fail(err, BL_ESTATE, "the model changed: nothing to train");
        return 0;
    }
    size_t did = 0;
    while (did < n) {
        size_t want = n - did < TRAIN_CHUNK ? n - did : TRAIN_CHUNK, done = 0;
        int rc = t->step(s->m, want, &done, ctx->cancel, err);
        did += done;
        if (rc != BL_OK)
            break;
        if (ctx->pump != NULL)
            clock_pump_tick(ctx->pump);
    }
    if (did > 0)
        s->generation++;
    return did;
}

/* The end of a run on s, its lines headed by who ("" or "side b: "). */
static void
end_on(struct session *s, const char *who, enum job_end how, const bl_err *err, struct out *out)
{
    const struct model_train *t = hooks(s);
    char d[160] = "";
    if (t != NULL) {
        if (t->end != NULL)
            t->end(s->m);
        t->describe(s->m, d, sizeof d);
        s->generation++;
    }
    switch (how) {
    case JOB_DONE: out_printf(out, "%straining done: %s", who, d); break;
    case JOB_FAILED: out_error(out, "%straining stopped: %s", who, err->msg); break;
    case JOB_STOPPED: out_printf(out, "%straining stopped, weights kept: %s", who, d); break;
    }
}

static void
train_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    end_on(self, "", how, err, out);
}

static void
train_describe(const void *self, char *buf, size_t size)
{
    const struct session *s = self;
    const struct model_train *t = hooks(s);
    if (t != NULL)
        t->describe(s->m, buf, size);
    else if (size > 0)
        buf[0] = '\0';
}

static void
train_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    (void)done;
    train_describe(self, buf, size);
}

const struct job_class train_job_class = {
    .name = "train",
    .verb = "training",
    .unit = "steps",
    .first_budget = 1,
    .advance = train_advance,
    .end = train_end,
    .describe = train_describe,
    .describe_step = train_describe_step,
};

/* Side b's training (`compare train`) runs in side a's job set, the one the
 * front end advances, under a class of its own (one job per class). self is
 * side a: side b is looked up at every call, so a side b dropped or remade
 * meanwhile ends the job with a message instead of being used after it is
 * freed. */
static struct session *
side_b_of(const void *self)
{
    return ((const struct session *)self)->side_b;
}

static size_t
side_b_train_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out,
                     bl_err *err)
{
    struct session *a = self, *b = side_b_of(self);
    if (b == NULL) {
        bl_fail(err, BL_ESTATE, "side b is gone: nothing to train");
        return 0;
    }
    size_t did = train_advance(b, n, ctx, out, err);
    if (did > 0)
        a->generation++;
    return did;
}

static void
side_b_train_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    struct session *a = self, *b = side_b_of(self);
    if (b != NULL)
        end_on(b, "side b: ", how, err, out);
    else if (how == JOB_FAILED)
        out_error(out, "side b: training stopped: %s", err->msg);
    a->generation++;
}

static void
side_b_train_describe(const void *self, char *buf, size_t size)
{
    const struct session *b = side_b_of(self);
    if (b != NULL)
        train_describe(b, buf, size);
    else if (size > 0)
        buf[0] = '\0';
}

static void
side_b_train_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    (void)done;
    side_b_train_describe(self, buf, size);
}

const struct job_class side_b_train_class = {
    .name = "train b",
    .verb = "training b",
    .unit = "steps",
    .first_budget = 1,
    .advance = side_b_train_advance,
    .end = side_b_train_end,
    .describe = side_b_train_describe,
    .describe_step = side_b_train_describe_step,
};

/* ---- the command ----------------------------------------------------------- */

static const struct arg_spec common_args[] = {
    {.name = "n", .type = ARG_INT, .positional = 1, .min = 1, .max = 100000000,
     .help = "optimizer steps (required in batch mode; live: until stopped without it)"},
    {.name = "rate", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "50",
     .help = "live: steps per second"},
    {0},
};

static struct {
    bool built;
    char usage[512];
    struct arg_spec args[CMD_MAX_ARGS + 1];
    struct cmd_spec spec;
} made;

static const struct cmd_spec *
train_spec(void)
{
    if (made.built)
        return &made.spec;
    size_t na = 0;
    for (size_t i = 0; common_args[i].name != NULL; i++)
        made.args[na++] = common_args[i];
    for (size_t c = 0; model_table[c] != NULL; c++) {
        const struct model_train *t = model_table[c]->train;
        for (size_t i = 0; t != NULL && t->keys[i].name != NULL; i++) {
            size_t j = 0;
            while (j < na && strcmp(made.args[j].name, t->keys[i].name) != 0)
                j++;
            if (j < na)
                continue; /* two classes share a key: the first one's spec */
            assert(na < CMD_MAX_ARGS);
            made.args[na++] = t->keys[i];
        }
    }
    made.args[na] = (struct arg_spec){0};
    size_t len = (size_t)snprintf(made.usage, sizeof made.usage, "train [N] [rate=R]");
    for (size_t i = 2; i < na && len < sizeof made.usage; i++)
        len += (size_t)snprintf(made.usage + len, sizeof made.usage - len, " [%s=]",
                                made.args[i].name);
    made.spec = (struct cmd_spec){.usage = made.usage, .args = made.args};
    made.built = true;
    return &made.spec;
}

/* A given key that is neither common nor the class's own. */
static int
check_keys(const struct session *s, const struct model_train *t, const struct cmd_args *a,
           bl_err *err)
{
    for (size_t i = 0; i < a->n; i++) {
        const char *k = a->v[i].spec->name;
        if (!a->v[i].given || strcmp(k, "n") == 0 || strcmp(k, "rate") == 0)
            continue;
        size_t j = 0;
        while (t->keys[j].name != NULL && strcmp(t->keys[j].name, k) != 0)
            j++;
        if (t->keys[j].name == NULL)
            return bl_fail(err, BL_EINVAL, "train: %s= is not a key of model %s", k,
                           s->mc->subject.name);
    }
    return BL_OK;
}

static int
train_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    /* Side a cannot train but side b can: say how (compare train, as for
     * compare optimize) rather than name a class side b already is. */
    const struct session *b = s->side_b;
    if ((!session_has_model(s) || s->mc->train == NULL) && b != NULL && b->mc != NULL &&
        b->m != NULL && b->mc->train != NULL)
        return s->mc == NULL ? bl_fail(err, BL_ESTATE,
                                       "side a has no model to train; side b's model %s does: "
                                       "compare train N",
                                       b->mc->subject.name)
                             : bl_fail(err, BL_ESTATE,
                                       "side a's model %s does not train; side b's model %s "
                                       "does: compare train N",
                                       s->mc->subject.name, b->mc->subject.name);
    if (!session_has_model(s))
        return bl_fail(err, BL_ESTATE, s->mc == NULL
                                           ? "no model to train: choose one (model nn width=64)"
                                           : "no data yet: choose a world (data fourier k=3)");
    const struct model_train *t = s->mc->train;
    if (t == NULL)
        return bl_fail(err, BL_ESTATE,
                       "model %s does not train (its posterior is exact): model nn does",
                       s->mc->subject.name);
    int rc = check_keys(s, t, a, err);
    if (rc != BL_OK)
        return rc;
    if (!s->interactive && !args_given(a, "n"))
        return bl_fail(err, BL_EINVAL, "train: give N in batch mode (it runs at once)");
    /* On side b (compare train) the job lives in side a's set. */
    struct session *home = s->side_of != NULL ? s->side_of : s;
    const struct job_class *jc = s->side_of != NULL ? &side_b_train_class : &train_job_class;
    struct job *running = job_set_find(&home->jobs, jc);
    if (running != NULL && running->pace.active && s->side_of != NULL) {
        /* out already heads side b's lines: end it here, not by its class's
         * end hook, which adds the head again. */
        running->pace = (struct job_pace){0};
        end_on(s, "", JOB_STOPPED, NULL, out);
    } else if (running != NULL && running->pace.active) {
        job_stop(running, out); /* new keys apply from a new run */
    }
    if ((rc = t->begin(s->m, a, err)) != BL_OK)
        return rc;
    s->generation++;
    if (!s->interactive) {
        struct run_ctx ctx = session_run_ctx(s);
        size_t n = (size_t)args_int(a, "n"), before = t->steps(s->m);
        bl_err e;
        bl_err_clear(&e);
        train_advance(s, n, &ctx, out, &e);
        if (t->end != NULL)
            t->end(s->m);
        s->generation++;
        char d[160];
        t->describe(s->m, d, sizeof d);
        if (e.code != BL_OK) /* Ctrl-C keeps the steps done: say how far it got */
            return bl_fail(err, e.code, "%s after %zu of %zu steps, weights kept: %s", e.msg,
                           t->steps(s->m) - before, n, d);
        out_printf(out, "trained %zu steps: %s", n, d);
        return BL_OK;
    }
    struct job *j = job_set_add(&home->jobs, jc, home);
    job_start(j, args_real(a, "rate"), args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX);
    out_printf(out, "training at %g steps/s (%s, Ctrl-C stops and keeps the weights)", j->pace.rate,
               s->fkeys ? "F5 pauses, F6 steps" : "'pause' pauses, 'step' steps");
    return BL_OK;
}

const struct cmd_entry cmd_train_entry = {
    .name = "train",
    .summary = "train the model (model nn) N optimizer steps (live: R per second)",
    .detail = "Batch: all N steps at once, then one line. Live: a paced job like sample; F5 "
              "pauses, F6 steps, Ctrl-C stops and keeps the weights. Keys not given keep the "
              "last run's (optimizer, lr, batch, temperature); new ones start new optimizer "
              "state. Training changes the network, never the stream: a new model, world or "
              "a replay rebuilds it from its seed (or load=), and the training is lost.",
    .example = "train 500 optimizer=adam lr=0.01",
    .spec = train_spec,
    .exec = train_exec,
};
