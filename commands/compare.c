/* commands/compare.c - `compare`: side b (see compare.h, docs/compare.md). */
#include "commands/compare.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands/sampler_job.h"

const char *const compare_side_names[] = {"a", "b", NULL};

struct session *
compare_side(struct session *s, const struct cmd_args *a, bl_err *err)
{
    const char *side = args_str(a, "side");
    if (side == NULL || strcmp(side, "b") != 0)
        return s;
    if (s->side_b == NULL)
        return bl_fail(err, BL_ESTATE,
                       "side=b: no side b yet (compare model ..., or compare sampler ...)"),
               NULL;
    return s->side_b;
}

/* The verbs side b runs: what a side is made of. show and export read a
 * side with side=b; the stream, the world and the seed are side a's. */
static const char *const side_verbs[] = {"model", "sampler", "optimize", "train", NULL};

/* Run words[0..n) as one command on session t (side a, or side b of s). */
static int
run_on(struct session *s, struct session *t, char *const *words, size_t n, struct out *out,
       bl_err *err)
{
    if (n == 0)
        return bl_fail(err, BL_EINVAL, "compare: an empty side (usage: compare model ... | model ...)");
    const struct cmd_entry *c = cmd_find(words[0], err);
    if (c == NULL)
        return err->code ? err->code : BL_EINVAL;
    bool ok = false;
    for (size_t i = 0; side_verbs[i] != NULL; i++)
        ok = ok || strcmp(c->name, side_verbs[i]) == 0;
    if (!ok)
        return bl_fail(err, BL_EINVAL,
                       "compare %s: a side is a model, sampler, optimize or train command "
                       "(show and export take side=b; data, observe and stream feed both)",
                       c->name);
    struct cmd_args a;
    int rc = cmd_bind(c, words, n, &a, err);
    if (rc != BL_OK)
        return rc;
    const char *running = t->running;
    t->running = c->name;
    t->cancel = s->cancel; /* side b's replay stops on Ctrl-C like side a's (and rolls back) */
    rc = c->exec(t, &a, out, err);
    if (t != s)
        t->cancel = NULL;
    t->running = running;
    args_free(&a);
    return rc;
}

/* What a command on side b prints, marked as side b's. */
static void
side_b_line(void *ctx, enum out_kind kind, const char *text)
{
    struct out *o = ctx;
    if (kind == OUT_TEXT)
        out_printf(o, "side b: %s", text);
    else
        o->line(o->ctx, kind, text);
}

/* Side b's sampler joins side a's job set (its own class), side a's stays
 * current for pause, step and the status line. */
static void
attach_sampler_job(struct session *s)
{
    struct session *b = s->side_b;
    if (b == NULL || b->smp == NULL) {
        job_set_remove(&s->jobs, &side_b_sample_class);
        return;
    }
    struct job *cur = job_set_current(&s->jobs);
    const struct job_class *keep = cur != NULL ? cur->cls : NULL;
    job_set_add(&s->jobs, &side_b_sample_class, s);
    if (keep != NULL && keep != &side_b_sample_class)
        job_set_use(&s->jobs, keep);
}

static void
describe_side(const struct session *t, char *buf, size_t size)
{
    char m[400] = "none";
    session_describe_model(t, m, sizeof m);
    if (t->smp != NULL)
        snprintf(buf, size, "%s; sampler %s", m, t->smp->desc);
    else
        snprintf(buf, size, "%s", m);
}

static int
compare_status(struct session *s, struct out *out)
{
    char buf[700];
    describe_side(s, buf, sizeof buf);
    out_kv_str(out, "a", buf);
    if (s->side_b == NULL) {
        out_kv_str(out, "b", "none");
        return BL_OK;
    }
    describe_side(s->side_b, buf, sizeof buf);
    out_kv_str(out, "b", buf);
    out_kv_real(out, "log_evidence_a", session_log_evidence(s));
    out_kv_real(out, "log_evidence_b", session_log_evidence(s->side_b));
    out_kv_real(out, "log_bayes_factor_ab",
                session_log_evidence(s) - session_log_evidence(s->side_b));
    return BL_OK;
}

static int
compare_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    char *const *w = a->rest;
    size_t n = a->nrest;
    if (n == 0)
        return compare_status(s, out);
    if (n == 1 && strcmp(w[0], "off") == 0) {
        bool had = s->side_b != NULL;
        session_compare_clear(s);
        view_show(&s->view, "compare", false);
        if (view_layout_is(&s->view, "compare"))
            view_set_layout(&s->view, "default");
        out_printf(out, had ? "compare off: side b dropped" : "compare off: there was no side b");
        return BL_OK;
    }
    size_t bar = n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i], "|") == 0) {
            if (bar < n)
                return bl_fail(err, BL_EINVAL, "compare: two '|' (one separates side a from b)");
            bar = i;
        }
    char *const *bw = bar < n ? w + bar + 1 : w;
    size_t bn = bar < n ? n - bar - 1 : n;
    if (bar == 0)
        return bl_fail(err, BL_EINVAL, "compare: nothing before '|' (side a's command)");

    /* Side b first: a new one is installed only when every part succeeded. */
    struct session *b = s->side_b;
    bool fresh = b == NULL;
    if (fresh && (b = session_follower_new(s, NULL, NULL, err)) == NULL)
        return err->code;
    struct out bout = {side_b_line, out};
    int rc = run_on(s, b, bw, bn, &bout, err);
    if (rc == BL_OK && bar < n)
        rc = run_on(s, s, w, bar, out, err);
    if (rc != BL_OK) {
        if (fresh)
            session_free(b);
        return rc;
    }
    if (fresh) {
        s->side_b = b;
        s->subject_gen++;
    }
    attach_sampler_job(s);
    view_show(&s->view, "compare", true);
    view_set_layout(&s->view, "compare");
    s->generation++;
    return BL_OK;
}

int
compare_sample(struct session *s, size_t n, bool all, double rate, struct out *out, bl_err *err)
{
    struct session *b = s->side_b;
    if (b == NULL || b->smp == NULL)
        return BL_OK;
    struct sampler_job *j = b->smp;
    if (s->interactive) {
        attach_sampler_job(s);
        struct job *q = job_set_find(&s->jobs, &side_b_sample_class);
        if (q != NULL)
            job_start(q, rate, all ? SIZE_MAX : n);
        return BL_OK;
    }
    struct run_ctx ctx = session_run_ctx(s);
    int rc = sampler_job_run(j, n, &ctx, err);
    s->generation++;
    if (rc == BL_OK)
        sampler_job_summary(j, "side b ", out);
    return rc;
}

const struct cmd_entry cmd_compare_entry = {
    .name = "compare",
    .usage = "compare [off | CMD | CMD_A '|' CMD_B]",
    .summary = "a second model or sampler (side b) beside the session's",
    .detail = "compare CMD runs CMD (a model, sampler, optimize or train command) on side b; "
              "side b starts as a copy of side a's model and is fed exactly side a's points "
              "(replayed when made, then every arrival). compare CMD_A | CMD_B sets both "
              "sides. sample runs both samplers; train and optimize act on side a, compare "
              "train N on side b. show and export take side=b. compare alone says what the "
              "sides are; compare off drops side b. docs/compare.md.",
    .example = "compare model blr features=poly degree=3 | model blr features=poly degree=9",
    .passthrough = true,
    .exec = compare_exec,
};
