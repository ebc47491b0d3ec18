/* commands/cmd_stream.c - live arrival: stream, pause, resume, step.
 * In interactive mode `stream` starts a job that the front end paces (rate
 * points per second, every pane updating); in batch mode it runs to
 * completion at once, so scripts stay deterministic: the points depend only
 * on the seed and their count, never on timing. */
#include "commands/cmd.h"

#include <stdint.h>

#include "commands/session.h"

/* The job pause/resume/step act on: the sampler's `sample` when the sampler
 * is the active job (session_job covers streams and instruments). */
static struct stream_job *
active_job(struct session *s)
{
    if (s->job == JOB_SAMPLE && s->smp != NULL)
        return &s->sample;
    return session_job(s);
}

static const struct arg_spec stream_args[] = {
    {.name = "rate", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 100000, .def = "10",
     .help = "points per second"},
    {.name = "n", .type = ARG_INT, .min = 1, .max = 10000000,
     .help = "points in all (default: until paused; required in batch mode)"},
    {0},
};

static int
stream_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (s->world == NULL)
        return bl_fail(err, BL_ESTATE, "no data yet: choose a world first (e.g. data linear d=3)");
    if (!s->interactive) {
        if (!args_given(a, "n"))
            return bl_fail(err, BL_EINVAL,
                           "stream: give n= in batch mode (it runs at once, not paced)");
        size_t before = s->n;
        int rc = session_observe(s, (size_t)args_int(a, "n"), out, err);
        if (rc == BL_OK)
            out_printf(out, "streamed %zu points (n = %zu)", s->n - before, s->n);
        return rc;
    }
    s->job = JOB_STREAM;
    s->stream = (struct stream_job){
        .active = true,
        .rate = args_real(a, "rate"),
        .remaining = args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX,
    };
    s->generation++;
    if (args_given(a, "n"))
        out_printf(out, "streaming %zu points at %g/s (F5 or 'pause' to pause)",
                   s->stream.remaining, s->stream.rate);
    else
        out_printf(out, "streaming at %g/s (F5 or 'pause' to pause, Ctrl-C to stop)",
                   s->stream.rate);
    return BL_OK;
}

const struct cmd_entry cmd_stream_entry = {
    .name = "stream",
    .usage = "stream [rate=R] [n=N]",
    .summary = "points arrive live at R per second, every pane updating",
    .detail = "Interactive: runs until paused, stopped (Ctrl-C) or n points have arrived. "
              "Batch: the n points arrive at once.",
    .example = "stream rate=20",
    .args = stream_args,
    .exec = stream_exec,
};

static int
pause_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    struct stream_job *j = active_job(s);
    if (!j->active)
        return bl_fail(err, BL_ESTATE,
                       "nothing is running (start with: stream rate=10; run for "
                       "an instrument; sample for a sampler)");
    j->paused = true;
    s->generation++;
    out_printf(out, "paused ('resume' or F5 to go on, 'step' for one more)");
    return BL_OK;
}

const struct cmd_entry cmd_pause_entry = {
    .name = "pause",
    .usage = "pause",
    .summary = "pause the stream (F5 toggles)",
    .example = "pause",
    .exec = pause_exec,
};

static int
resume_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    struct stream_job *j = active_job(s);
    if (!j->active)
        return bl_fail(err, BL_ESTATE, "nothing to resume (start with: stream rate=10)");
    j->paused = false;
    j->credit = 0;
    s->generation++;
    out_printf(out, "running at %g/s", j->rate);
    return BL_OK;
}

const struct cmd_entry cmd_resume_entry = {
    .name = "resume",
    .usage = "resume",
    .summary = "resume a paused stream (F5 toggles)",
    .example = "resume",
    .exec = resume_exec,
};

static const struct arg_spec step_args[] = {
    {.name = "n", .type = ARG_INT, .positional = 1, .min = 1, .max = 10000000, .def = "1",
     .help = "points"},
    {0},
};

static int
step_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    struct stream_job *j = active_job(s);
    if (j->active && !j->paused) {
        j->paused = true;
        out_printf(out, "paused; stepping");
    }
    if (s->job == JOB_SAMPLE && s->smp != NULL) {
        int rc = sampler_job_run(s, (size_t)args_int(a, "n"), err);
        if (rc == BL_OK) {
            char line[512];
            sampler_job_describe_step(s->smp, line, sizeof line);
            out_printf(out, "%s", line);
        }
        return rc;
    }
    if (s->job == JOB_RUN && s->inst != NULL) {
        int rc = instrument_advance(s->inst, (size_t)args_int(a, "n"), s->cancel, err);
        s->generation++;
        if (rc == BL_OK)
            out_printf(out, "%s: %zu", instrument_name(s->inst), s->inst->n);
        return rc;
    }
    size_t before = s->n;
    int rc = session_observe(s, (size_t)args_int(a, "n"), out, err);
    if (rc == BL_OK && session_has_model(s) && s->n > 0)
        out_printf(out, "n = %zu: y = %.4g, predicted %.4g +- %.3g, log-loss %.4g", s->n,
                   s->Y[s->n - 1], s->trace[TR_PRED_MEAN][s->n - 1],
                   s->trace[TR_PRED_SD][s->n - 1], s->trace[TR_LOGLOSS][s->n - 1]);
    else if (rc == BL_OK)
        out_printf(out, "n = %zu (+%zu)", s->n, s->n - before);
    return rc;
}

const struct cmd_entry cmd_step_entry = {
    .name = "step",
    .usage = "step [N]",
    .summary = "N more now (F6): points, instrument arrivals or sampler steps",
    .detail = "Prints the newest point, what the model predicted for it before seeing it, and "
              "its log-loss. When the sampler is the active job (after sampler or sample), one "
              "transition of every chain: the posterior pane shows its proposal and trajectory.",
    .example = "step",
    .args = step_args,
    .exec = step_exec,
};
