/* commands/cmd_sampler.c - "sampler NAME key=value..." chooses a sampler and
 * its target; "sample N [rate=R]" runs it (paced in the live screen like a
 * stream, at once in batch mode); `step` (commands/cmd_stream.c) does one
 * transition when the sampler is the active job. See commands/sampler_job.h.
 *
 * The tunables' specs below repeat the core's table (sampler_params(): names,
 * ranges, whole numbers) so the dispatcher validates them like every other
 * key; tests/test_cmd_sampler.c checks that the two tables agree. */
#include "commands/cmd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands/memlimit.h"
#include "commands/session.h"
#include "core/spectrum/spectrum.h"

static const char *const kind_choices[] = {"exact", "rwm",   "mala", "hmc", "nuts",
                                           "sgld",  "gibbs", "off",  NULL};

/* The tunables, as in core/sampler.c's table (same order). */
#define TUNABLE_ARGS                                                                            \
    {.name = "sigma",                                                                           \
     .type = ARG_REAL,                                                                          \
     .open_min = 1,                                                                             \
     .min = 0,                                                                                  \
     .max = 1e6,                                                                                \
     .help = "rwm proposal sd (default: 2.38/sqrt(d) x the posterior's smallest sd, or 1)"},    \
        {.name = "step",                                                                        \
         .type = ARG_REAL,                                                                      \
         .open_min = 1,                                                                         \
         .min = 0,                                                                              \
         .max = 1e6,                                                                            \
         .help = "mala h, hmc/nuts eps, sgld fixed h (default: from the posterior's scale, or " \
                 "0.1)"},                                                                       \
        {.name = "leapfrog",                                                                    \
         .type = ARG_INT,                                                                       \
         .min = 1,                                                                              \
         .max = SAMPLER_MAX_LEAPFROG,                                                           \
         .help = "hmc leapfrog steps L (default 20)"},                                          \
        {.name = "max_depth",                                                                   \
         .type = ARG_INT,                                                                       \
         .min = 1,                                                                              \
         .max = SAMPLER_MAX_DEPTH,                                                              \
         .help = "nuts max tree depth (default 10)"},                                           \
        {.name = "adapt",                                                                       \
         .type = ARG_INT,                                                                       \
         .min = 0,                                                                              \
         .max = 1,                                                                              \
         .help = "1: Robbins-Monro warmup of sigma/step; warmup draws are left out"},           \
        {.name = "warmup",                                                                      \
         .type = ARG_INT,                                                                       \
         .min = 0,                                                                              \
         .max = 1e9,                                                                            \
         .help = "iterations adapted (default 500)"},                                           \
        {.name = "target_accept",                                                               \
         .type = ARG_REAL,                                                                      \
         .min = 0,                                                                              \
         .max = 0.99,                                                                           \
         .help = "adaptation target, 0 = the kind's default"},                                  \
        {.name = "minibatch",                                                                   \
         .type = ARG_INT,                                                                       \
         .min = 0,                                                                              \
         .max = 1e9,                                                                            \
         .help = "sgld batch b, 0 = full gradient"},                                            \
        {.name = "schedule",                                                                    \
         .type = ARG_INT,                                                                       \
         .min = 0,                                                                              \
         .max = 1,                                                                              \
         .help = "sgld: 1 for h_t = a (b0 + t)^-gamma instead of step"},                        \
        {.name = "a",                                                                           \
         .type = ARG_REAL,                                                                      \
         .open_min = 1,                                                                         \
         .min = 0,                                                                              \
         .max = 1e6,                                                                            \
         .help = "sgld schedule scale (default 0.01)"},                                         \
        {.name = "b0",                                                                          \
         .type = ARG_REAL,                                                                      \
         .open_min = 1,                                                                         \
         .min = 0,                                                                              \
         .max = 1e12,                                                                           \
         .help = "sgld schedule offset (default 1)"},                                           \
    {                                                                                           \
        .name = "gamma", .type = ARG_REAL, .open_min = 1, .min = 0.5, .max = 1,                 \
        .help = "sgld schedule decay (default 0.55)"                                            \
    }

#define NTUNABLES 12

static const struct arg_spec sampler_args[] = {
    {.name = "name",
     .type = ARG_CHOICE,
     .positional = 1,
     .required = 1,
     .choices = kind_choices,
     .help = "exact, rwm, mala, hmc, nuts, sgld, gibbs; off removes the sampler"},
    {.name = "target",
     .type = ARG_CHOICE,
     .choices = smp_target_names,
     .def = "posterior",
     .help = "the model's posterior, a 2-D teaching density, or logistic (breast_cancer)"},
    {.name = "chains",
     .type = ARG_INT,
     .min = 1,
     .max = 64,
     .def = "4",
     .help = "chains run side by side (split R-hat needs several)"},
    {.name = "spread",
     .type = ARG_REAL,
     .min = 0,
     .max = 1000,
     .def = "2",
     .help = "starts: reference mean + spread x sd x N(0, 1) per coordinate"},
    {.name = "init", .type = ARG_VEC, .help = "start point instead of the reference mean"},
    {.name = "features",
     .type = ARG_INT,
     .min = 1,
     .max = 30,
     .def = "2",
     .help = "logistic: the first features used (plus an intercept)"},
    {.name = "alpha",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e6,
     .def = "1",
     .help = "logistic: prior precision of the weights"},
    TUNABLE_ARGS,
    {0},
};

/* For tests: the tunables' specs (NTUNABLES entries, in the core's order). */
const struct arg_spec *cmd_sampler_tunables(void);
const struct arg_spec *
cmd_sampler_tunables(void)
{
    return sampler_args + 7;
}

static void
announce(struct session *s, const struct sampler_setup *o, struct out *out)
{
    struct sampler_job *j = s->smp;
    s->view.on[PANE_SAMPLER] = true;
    s->view.on[PANE_POSTERIOR] = true;
    s->view.preset = LAYOUT_SAMPLER;
    s->view.focus = PANE_SAMPLER;
    s->view.zoom = false;
    if (s->view.post_w[0] >= j->d || s->view.post_w[1] >= j->d) {
        s->view.post_w[0] = 0;
        s->view.post_w[1] = j->d > 1 ? 1 : 0;
    }
    out_printf(out, "%s (layout sampler; 'layout default' to go back)", j->desc);
    const sampler_opts *eo = sampler_options(sampler_ens_chain(j->ens, 0));
    bool step_given = false, sigma_given = false;
    for (size_t i = 0; i < o->nset; i++) {
        step_given |= strcmp(o->set_name[i], "step") == 0;
        sigma_given |= strcmp(o->set_name[i], "sigma") == 0;
        /* A tunable of another kind is kept but unused: say so. */
        for (const sampler_param *p = sampler_params(); p->name != NULL; p++)
            if (strcmp(p->name, o->set_name[i]) == 0 && !(p->kinds & (1u << j->kind)))
                out_printf(out, "note: %s does not apply to %s (kept, unused)", p->name,
                           sampler_kind_name(j->kind));
    }
    bool scaled = o->tid == SMP_POSTERIOR || o->tid == SMP_LOGISTIC;
    if (scaled && !step_given &&
        (j->kind == SAMPLER_MALA || j->kind == SAMPLER_HMC || j->kind == SAMPLER_NUTS ||
         j->kind == SAMPLER_SGLD))
        out_printf(out, "step = %.4g (from the posterior's smallest sd; step= to choose)",
                   eo->step);
    /* Leapfrog is stable on a Gaussian only for step < 2 sqrt(lambda_min(cov))
     * (MATH.md 9): warn before the lecture turns into a divergence show. */
    if (step_given && j->ref == TARGET_MOMENTS_EXACT &&
        (j->kind == SAMPLER_HMC || j->kind == SAMPLER_NUTS || j->kind == SAMPLER_MALA)) {
        double *lam = malloc(j->d * sizeof *lam);
        if (lam != NULL && spectrum_eig_desc(j->ref_cov, j->d, lam, NULL) == BL_OK &&
            lam[j->d - 1] > 0) {
            double limit = 2 * sqrt(lam[j->d - 1]);
            if (eo->step >= limit)
                out_printf(out, "warning: step=%g is above the leapfrog stability limit "
                           "2 sqrt(lambda_min(cov)) = %.3g for this posterior: expect "
                           "divergences (try step=%.2g)",
                           eo->step, limit, 0.4 * limit);
        }
        free(lam);
    }
    if (scaled && !sigma_given && j->kind == SAMPLER_RWM)
        out_printf(out, "sigma = %.4g (from the posterior's smallest sd; sigma= to choose)",
                   eo->sigma);
    if (s->interactive)
        out_printf(out, "step through it: step (F6); run it: sample 5000 rate=200");
    else
        out_printf(out, "run it with: sample N, or one transition at a time: step");
}

static int
sampler_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    const char *name = args_str(a, "name");
    if (strcmp(name, "off") == 0) {
        if (s->smp == NULL)
            return bl_fail(err, BL_ESTATE, "no sampler to remove");
        sampler_job_free(s->smp);
        s->smp = NULL;
        s->sample = (struct stream_job){0};
        s->view.on[PANE_SAMPLER] = false;
        if (s->view.preset == LAYOUT_SAMPLER)
            s->view.preset = LAYOUT_DEFAULT;
        if (s->view.focus == PANE_SAMPLER)
            s->view.focus = PANE_DATA;
        if (s->job == JOB_SAMPLE)
            s->job = JOB_STREAM;
        s->generation++;
        out_printf(out, "sampler removed");
        return BL_OK;
    }
    struct sampler_setup o = {
        .kind = (sampler_kind)sampler_kind_from_name(name),
        .tid = SMP_POSTERIOR,
        .K = (size_t)args_int(a, "chains"),
        .spread = args_real(a, "spread"),
        .features = (size_t)args_int(a, "features"),
        .alpha = args_real(a, "alpha"),
    };
    const char *tn = args_str(a, "target");
    for (int i = 0; i < SMP_NTARGETS; i++)
        if (strcmp(smp_target_names[i], tn) == 0)
            o.tid = (enum smp_target)i;
    if (args_given(a, "init"))
        o.init = args_vec(a, "init", &o.ninit);
    const struct arg_spec *tun = cmd_sampler_tunables();
    for (size_t i = 0; i < NTUNABLES; i++)
        if (args_given(a, tun[i].name)) {
            o.set_name[o.nset] = tun[i].name;
            o.set_value[o.nset++] = args_real(a, tun[i].name);
        }
    if (mem_check_sampler(s->dim > 0 ? s->dim : s->in_dim + 1, o.K, err) != BL_OK)
        return err ? err->code : BL_ENOMEM;
    struct sampler_job *j = sampler_job_new(s, &o, err);
    if (j == NULL)
        return err ? err->code : BL_EINVAL;
    sampler_job_free(s->smp);
    s->smp = j;
    s->sample = (struct stream_job){0};
    s->job = JOB_SAMPLE;
    s->generation++;
    announce(s, &o, out);
    return BL_OK;
}

const struct cmd_entry cmd_sampler_entry = {
    .name = "sampler",
    .usage = "sampler exact|rwm|mala|hmc|nuts|sgld|gibbs|off [target=T] [chains=K] [step=H] ...",
    .summary = "choose a sampler and its target (then step, or sample N)",
    .detail = "Targets: posterior (the current blr or nig model's posterior, as of now: later "
              "observations do not change it), banana, donut, mixture, funnel, squiggle (2-D "
              "teaching densities with known moments), logistic (Bayesian logistic regression "
              "on breast_cancer, standardized; features=K first features plus an intercept). "
              "gibbs needs the nig posterior (model nig). The chains start at the reference "
              "mean plus spread standard deviations of noise. With adapt=1 the first warmup "
              "iterations tune sigma/step and are left out of the draws. The posterior pane "
              "shows the draws, the last proposal (filled dot: accepted, ring: rejected) and "
              "the HMC/NUTS trajectory (solid: accepted, dotted: rejected); the sampler pane "
              "the traces and diagnostics (MATH.md 9).",
    .example = "sampler hmc step=0.02 leapfrog=10",
    .args = sampler_args,
    .exec = sampler_exec,
};

static const struct arg_spec sample_args[] = {
    {.name = "n",
     .type = ARG_INT,
     .positional = 1,
     .min = 1,
     .max = 100000000,
     .help = "iterations of every chain (live default: until paused)"},
    {.name = "rate",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e6,
     .def = "200",
     .help = "iterations per second in the live screen"},
    {0},
};

static int
sample_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    struct sampler_job *j = s->smp;
    if (j == NULL)
        return bl_fail(err, BL_ESTATE,
                       "no sampler: choose one first (sampler hmc, or sampler nuts target=banana)");
    if (!s->interactive) {
        if (!args_given(a, "n"))
            return bl_fail(err, BL_EINVAL, "sample: give N in batch mode (it runs at once)");
        s->job = JOB_SAMPLE;
        int rc = sampler_job_run(s, (size_t)args_int(a, "n"), err);
        if (rc == BL_OK) {
            char e[32], r[32], acc[32];
            out_printf(out, "%s: %zu iterations, acceptance %s, ESS %s, R-hat %s",
                       sampler_kind_name(j->kind), j->iter, out_num(acc, sizeof acc, j->acceptance),
                       out_num(e, sizeof e, round(j->ess)), out_num(r, sizeof r, j->rhat));
        }
        return rc;
    }
    s->sample = (struct stream_job){
        .active = true,
        .rate = args_real(a, "rate"),
        .remaining = args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX,
    };
    s->job = JOB_SAMPLE;
    s->generation++;
    out_printf(out, "sampling at %g/s (F5 pauses, F6 steps, Ctrl-C stops)", s->sample.rate);
    return BL_OK;
}

const struct cmd_entry cmd_sample_entry = {
    .name = "sample",
    .usage = "sample [N] [rate=R]",
    .summary = "run the sampler N iterations (live: R per second)",
    .detail = "Batch: N iterations of every chain at once, diagnostics at checkpoints. Live: "
              "paced like a stream; F5 pauses, F6 (step) does one transition with its "
              "trajectory, Ctrl-C stops. The chains depend only on the seed and the count.",
    .example = "sample 5000 rate=200",
    .args = sample_args,
    .exec = sample_exec,
};
