/* commands/cmd_simple.c - the small session verbs: seed, observe, optimize,
 * source, quit. Each is a few lines over the session API. */
#include "commands/cmd.h"

#include <math.h>
#include <stdio.h>

#include "commands/session.h"

static const struct arg_spec seed_args[] = {
    {.name = "n",
     .type = ARG_INT,
     .positional = 1,
     .required = 1,
     .min = 0,
     .max = 4294967295.0,
     .help = "seed of every random stream"},
    {0},
};

static int
seed_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)out;
    (void)err;
    session_seed(s, (unsigned long)args_int(a, "n"));
    return BL_OK;
}

const struct cmd_entry cmd_seed_entry = {
    .name = "seed",
    .usage = "seed N",
    .summary = "seed every random stream; same script and seed, same output",
    .detail = "The seed applies to worlds made afterwards (their truth and their points) and "
              "to random features.",
    .example = "seed 42",
    .args = seed_args,
    .exec = seed_exec,
};

static const struct arg_spec observe_args[] = {
    {.name = "n",
     .type = ARG_INT,
     .positional = 1,
     .min = 1,
     .max = 10000000,
     .def = "1",
     .help = "points"},
    {0},
};

static int
observe_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    size_t before = s->n;
    int rc = session_observe(s, (size_t)args_int(a, "n"), out, err);
    if (rc == BL_OK && s->n > before && session_has_model(s)) {
        double le = s->trace[TR_LOG_EVIDENCE][s->n - 1];
        out_printf(out, "observed %zu point%s (n = %zu); %s %.6g%s", s->n - before,
                   s->n - before == 1 ? "" : "s", s->n, session_score_name(s, false), le,
                   isfinite(le) ? ""
                                    : "  # overflows: the model gives the points (almost) zero "
                                      "density");
    }
    else if (rc == BL_OK)
        out_printf(out, "observed %zu point%s (n = %zu)", s->n - before,
                   s->n - before == 1 ? "" : "s", s->n);
    return rc;
}

const struct cmd_entry cmd_observe_entry = {
    .name = "observe",
    .usage = "observe [N]",
    .summary = "N more points arrive; model and traces update",
    .detail = "Each point updates the posterior in O(d^2). Ctrl-C stops early and keeps the "
              "points that arrived.",
    .example = "observe 50",
    .args = observe_args,
    .exec = observe_exec,
};

static int
optimize_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    return session_optimize(s, out, err);
}

const struct cmd_entry cmd_optimize_entry = {
    .name = "optimize",
    .usage = "optimize",
    .summary = "empirical Bayes: maximize the evidence over the hyperparameters",
    .detail = "blr: MacKay's fixed point for alpha and beta (docs/math.md 2.2). gp and tp: the "
              "kernel's hyperparameters and the noise by maximizing the GP marginal likelihood "
              "(L-BFGS with analytic gradients and a strong-Wolfe line search on the log "
              "parameters, until the gradient or the relative change is below tolerance; "
              "Nelder-Mead for NNGP kernels; docs/optimize.md), staying where Ky factors "
              "without jitter; the stream is then replayed through the optimized model, whose "
              "log marginal the line reports (a note says if it needed jitter). dkm: the "
              "learned Grams by L-BFGS on the DKM objective, in place, from where the last "
              "optimize stopped (docs/dkm.md). nig and nn have no hyperparameters to optimize. "
              "Live, a line every 5 iterations shows the progress and Ctrl-C keeps the best "
              "point so far.",
    .example = "optimize",
    .exec = optimize_exec,
};

static const struct arg_spec source_args[] = {
    {.name = "file", .type = ARG_FILE, .positional = 1, .required = 1, .help = "script to run"},
    {0},
};

static int
source_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    return session_source(s, args_str(a, "file"), out, err);
}

const struct cmd_entry cmd_source_entry = {
    .name = "source",
    .usage = "source FILE",
    .summary = "run the commands of a script file; stops at the first error",
    .detail = "In the live screen the script runs as a lecture, one command at a time with the "
              "screen redrawn in between: say shows its captions, pause waits for space or Enter "
              "(Esc or q stops the script), wait waits, and each stream, sample or run it starts "
              "is paced live until it ends (any key skips to its end) before the next command; "
              "Ctrl-C stops it. Batch and --plain run it at once (docs/lectures.md).",
    .example = "source examples/sequential.lens",
    .args = source_args,
    .exec = source_exec,
};

static int
quit_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    (void)out;
    (void)err;
    s->quit = true;
    return BL_OK;
}

const struct cmd_entry cmd_quit_entry = {
    .name = "quit",
    .usage = "quit",
    .summary = "leave bayeslens (Ctrl-D does the same)",
    .example = "quit",
    .exec = quit_exec,
};
