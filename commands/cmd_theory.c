/* commands/cmd_theory.c - the theory instruments: lens, bma, judge, and
 * `run` which advances the current one (paced in the live screen like a
 * stream, at once in batch mode). See commands/instrument.h. */
#include "commands/cmd.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "commands/job.h"
#include "commands/memlimit.h"
#include "commands/session.h"

static const char *const off_choice[] = {"off", NULL};
/* `lens off` (bma off, judge off): the instrument and its run go. */
#define INSTRUMENT_OFF                                                               \
    {                                                                                \
        .name = "state", .type = ARG_CHOICE, .positional = 1, .choices = off_choice, \
        .help = "off: remove the instrument, its run and its pane"                   \
    }

static int
instrument_off(struct session *s, struct out *out, bl_err *err)
{
    if (s->inst == NULL)
        return bl_fail(err, BL_ESTATE, "no instrument to remove");
    char name[32];
    snprintf(name, sizeof name, "%s", instrument_name(s->inst));
    session_set_instrument(s, NULL);
    view_show(&s->view, "theory", false);
    if (view_layout_is(&s->view, "theory"))
        s->view.preset = 0; /* the default */
    if (view_has_focus(&s->view, "theory"))
        s->view.focus = view_pane_first() < 0 ? 0 : view_pane_first();
    out_printf(out, "%s removed", name);
    return BL_OK;
}

static const struct arg_spec lens_args[] = {
    {.name = "m",
     .type = ARG_INT,
     .min = 2,
     .max = 10000000,
     .def = "100000",
     .help = "hypotheses in the class (random linear models)"},
    {.name = "d",
     .type = ARG_INT,
     .min = 1,
     .max = 1000,
     .def = "3",
     .help = "dimension (the class covers low dimensions densely)"},
    {.name = "alpha",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .def = "1",
     .help = "hypotheses w_j ~ N(0, I/alpha)"},
    {.name = "noise",
     .type = ARG_REAL,
     .min = 1e-20,
     .max = 1e6,
     .def = "1",
     .help = "noise sd of the data and of every hypothesis",
     .why = "below 1e-20 the precision 1/sd^2 overflows"},
    {.name = "r",
     .type = ARG_REAL,
     .min = 0,
     .max = 100,
     .def = "2.5",
     .help = "the complex truth's distance in typical radii (the simple one is the centre)"},
    INSTRUMENT_OFF,
    {0},
};

static void
announce(struct session *s, struct out *out)
{
    view_focus(&s->view, "theory");
    view_set_layout(&s->view, "theory");
    s->view.zoom = false;
    out_printf(out, "%s (layout theory; 'layout default' to go back)", s->inst->desc);
    out_printf(out, "advance it with: run N (live: run rate=R)");
}

static int
lens_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (args_given(a, "state"))
        return instrument_off(s, out, err);
    struct lens_setup o = {
        .M = (size_t)args_int(a, "m"),
        .d = (size_t)args_int(a, "d"),
        .alpha = args_real(a, "alpha"),
        .noise = args_real(a, "noise"),
        .r = args_real(a, "r"),
        .seed = s->seed,
        .mem_limit = mem_limit(),
        .cancel = s->cancel,
    };
    /* Both classes, before drawing either (17 GB for m=10^7, d=100). */
    char what[96];
    snprintf(what, sizeof what, "lens m=%zu d=%zu (two classes of %zu x %zu)", o.M, o.d, o.M, o.d);
    if (mem_check(2 * lens_bytes(o.M, o.d), what, err) != BL_OK)
        return BL_ENOMEM;
    struct instrument *in = instrument_lens(&o, err);
    if (in == NULL)
        return err ? err->code : BL_EINVAL;
    session_set_instrument(s, in);
    announce(s, out);
    return BL_OK;
}

const struct cmd_entry cmd_lens_entry = {
    .name = "lens",
    .usage = "lens [m=M] [d=D] [alpha=A] [noise=S] [r=R] | lens off",
    .summary = "universality lens: a mixture over M hypotheses, regret vs bound",
    .detail = "Two Bayes mixtures over the same class (uniform prior), one learning a truth at "
              "the prior's centre (many neighbours, large weight W(eps)), one a truth r typical "
              "radii out (few). Their regrets are drawn against the bound "
              "min_eps [-log W(eps) + n eps] (docs/math.md 3.3). Beside them, an ensemble of 16 "
              "SGLD chains on the class's Gaussian prior approximates the mixture.",
    .example = "lens m=100000 d=3 noise=1",
    .args = lens_args,
    .exec = lens_exec,
};

static const struct arg_spec bma_args[] = {
    {.name = "classes",
     .type = ARG_STR,
     .def = "dense,sparse",
     .help = "the task prior's classes: dense, sparse, fourier, gp (equal prior mass)"},
    {.name = "truth", .type = ARG_STR, .def = "sparse", .help = "class the prompts come from"},
    {.name = "d",
     .type = ARG_INT,
     .min = 1,
     .max = 64,
     .def = "8",
     .help = "input dimension (1 with fourier)"},
    {.name = "s", .type = ARG_INT, .min = 1, .max = 64, .def = "2", .help = "sparse: non-zeros"},
    {.name = "freq",
     .type = ARG_INT,
     .min = 0,
     .max = 20,
     .def = "3",
     .help = "fourier: highest frequency N"},
    {.name = "sigma",
     .type = ARG_REAL,
     .min = 1e-20,
     .max = 100,
     .def = "0.1",
     .help = "noise sd",
     .why = "below 1e-20 the precision 1/sd^2 overflows"},
    {.name = "prompts",
     .type = ARG_INT,
     .min = 1,
     .max = BMA_MAX_PROMPTS,
     .def = "50",
     .help = "independent prompts averaged per curve"},
    INSTRUMENT_OFF,
    {0},
};

static int
bma_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (args_given(a, "state"))
        return instrument_off(s, out, err);
    struct bma_setup o = {
        .d = (size_t)args_int(a, "d"),
        .s = (size_t)args_int(a, "s"),
        .N = (size_t)args_int(a, "freq"),
        .R = (size_t)args_int(a, "prompts"),
        .sigma = args_real(a, "sigma"),
        .classes = args_str(a, "classes"),
        .truth = args_str(a, "truth"),
        .seed = s->seed,
    };
    if (o.s > o.d && strstr(o.classes, "sparse") != NULL)
        return bl_fail(err, BL_EINVAL, "s=%zu: must be <= d=%zu", o.s, o.d);
    struct instrument *in = instrument_bma(&o, err);
    if (in == NULL)
        return err ? err->code : BL_EINVAL;
    session_set_instrument(s, in);
    announce(s, out);
    return BL_OK;
}

const struct cmd_entry cmd_bma_entry = {
    .name = "bma",
    .usage = "bma [classes=dense,sparse,fourier,gp] [truth=C] [d=D] ... | bma off",
    .summary = "in-context learning as Bayesian model averaging over classes",
    .detail = "Each prompt's examples come from one class; the posterior over classes locks "
              "on and the BMA's regret against the class-aware oracle stays below "
              "log(1/pi) (so per example O(1/T)) (docs/math.md 8).",
    .example = "bma classes=dense,sparse truth=sparse d=8 s=2",
    .args = bma_args,
    .exec = bma_exec,
};

static const char *const reward_choices[] = {"teacher", "misspecified", NULL};

static const struct arg_spec judge_args[] = {
    {.name = "k",
     .type = ARG_INT,
     .min = 1,
     .max = 4096,
     .def = "64",
     .help = "largest number of samples k"},
    {.name = "temp",
     .type = ARG_REAL,
     .min = 0,
     .max = 1e6,
     .def = "0",
     .help = "judge temperature T (0: best-of-k)"},
    {.name = "reward",
     .type = ARG_CHOICE,
     .choices = reward_choices,
     .def = "teacher",
     .help = "the judge's reward: the teacher's, or a misspecified one"},
    {.name = "c",
     .type = ARG_REAL,
     .min = -100,
     .max = 100,
     .def = "1",
     .help = "misspecification strength (reward=misspecified)"},
    {.name = "d", .type = ARG_INT, .min = 1, .max = 2000, .def = "20", .help = "dimension"},
    {.name = "n",
     .type = ARG_INT,
     .min = 1,
     .max = 100000,
     .def = "40",
     .help = "training samples of the student"},
    {.name = "inputs",
     .type = ARG_INT,
     .min = 1,
     .max = 10000,
     .def = "40",
     .help = "test inputs averaged over"},
    {.name = "sigma",
     .type = ARG_REAL,
     .min = 1e-20,
     .max = 100,
     .def = "0.5",
     .help = "teacher noise sd",
     .why = "below 1e-20 the precision 1/sd^2 overflows"},
    INSTRUMENT_OFF,
    {0},
};

static int
judge_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (args_given(a, "state"))
        return instrument_off(s, out, err);
    judge_sim_opts o = {
        .d = (size_t)args_int(a, "d"),
        .n = (size_t)args_int(a, "n"),
        .n_test = (size_t)args_int(a, "inputs"),
        .k_max = (size_t)args_int(a, "k"),
        .S = 1,
        .sigma = args_real(a, "sigma"),
        .gamma = 1,
        .T = args_real(a, "temp"),
        .c = strcmp(args_str(a, "reward"), "teacher") == 0 ? 0 : args_real(a, "c"),
    };
    struct instrument *in = instrument_judge(&o, s->seed, s->cancel, err);
    if (in == NULL)
        return err ? err->code : BL_EINVAL;
    session_set_instrument(s, in);
    announce(s, out);
    return BL_OK;
}

const struct cmd_entry cmd_judge_entry = {
    .name = "judge",
    .usage = "judge [k=K] [temp=T] [reward=teacher|misspecified] [c=C] ... | judge off",
    .summary = "best-of-k selection by a judge: error against k",
    .detail = "k posterior-predictive draws, one selected by softmax at temperature T over a "
              "quadratic reward; with the teacher's reward the error falls like 1/k^2, a "
              "misspecified reward has a finite best k (docs/math.md 7). `run N` adds N trials.",
    .example = "judge k=64 reward=misspecified c=3",
    .args = judge_args,
    .exec = judge_exec,
};

static const struct arg_spec run_args[] = {
    {.name = "n", .type = ARG_INT, .positional = 1, .min = 1, .max = 10000000,
     .help = "arrivals (lens, bma) or trials (judge); default: until paused"},
    {.name = "rate", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "20",
     .help = "per second in the live screen"},
    {0},
};

static int
run_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (s->inst == NULL)
        return bl_fail(err, BL_ESTATE, "no instrument: start one with lens, bma or judge");
    if (!s->interactive) {
        if (!args_given(a, "n"))
            return bl_fail(err, BL_EINVAL, "run: give N in batch mode (it runs at once)");
        int rc = instrument_advance(s->inst, (size_t)args_int(a, "n"), s->cancel, err);
        s->generation++;
        if (rc == BL_OK)
            out_printf(out, "%s: %zu %s", instrument_name(s->inst), s->inst->n,
                       s->inst->kind == INST_JUDGE ? "trials" : "arrivals");
        return rc;
    }
    struct job *j = job_set_use(&s->jobs, &instrument_job_class);
    job_start(j, args_real(a, "rate"), args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX);
    s->generation++;
    out_printf(out, "%s running at %g/s (%s pauses, Ctrl-C stops)", instrument_name(s->inst),
               j->pace.rate, s->fkeys ? "F5" : "'pause'");
    return BL_OK;
}

const struct cmd_entry cmd_run_entry = {
    .name = "run",
    .usage = "run [N] [rate=R]",
    .summary = "advance the theory instrument (lens, bma, judge)",
    .example = "run 2000",
    .args = run_args,
    .exec = run_exec,
};
