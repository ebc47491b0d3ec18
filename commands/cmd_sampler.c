/* commands/cmd_sampler.c - "sampler NAME key=value..." chooses a sampler and
 * its target; "sample N [rate=R]" runs it (paced in the live screen like a
 * stream, at once in batch mode); `step` (commands/cmd_stream.c) does one
 * transition when the sampler is the active job. See commands/sampler_job.h.
 *
 * The kind names and the tunables' specs are not written here: the entry's
 * spec (commands/cmd.h) builds them from the core's kind table
 * (core/mcmc/sampler.h: sampler_types(), sampler_tunable_at()) the first
 * time parsing, `help` or Tab completion asks. A new kind or tunable in
 * core/mcmc so reaches validation, help and completion with no edit here. */
#include "commands/cmd.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/compare.h"
#include "commands/job.h"
#include "commands/memlimit.h"
#include "commands/sampler_preset.h"
#include "commands/session.h"

#define MAX_KINDS 32

/* The arguments every kind shares, between the kind's name and the tunables. */
static const struct arg_spec common_args[] = {
    {.name = "target",
     .type = ARG_CHOICE,
     .choices = smp_target_names,
     .def = "posterior",
     .help = "the model's posterior, a 2-D teaching density, logistic (breast_cancer), or "
             "normal (d = dim)"},
    {.name = "preset",
     .type = ARG_CHOICE,
     .choices = smp_preset_names,
     .help = "a classic failure in one word: sets kind, target and keys (given ones win)"},
    {.name = "dim",
     .type = ARG_INT,
     .min = 1,
     .max = 1000,
     .def = "100",
     .help = "normal: the dimension d"},
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
    {0},
};

/* The spec made from the kind table: filled by the first sampler_spec()
 * call, read-only after (the table is const, so every call would build the
 * same). */
static struct {
    bool built;
    const char *kind_choices[MAX_KINDS + 2];
    char name_help[512];
    char usage[512];
    struct arg_spec args[CMD_MAX_ARGS + 1];
    struct cmd_spec spec;
} made;

/* Appends to buf[*len..size) like snprintf, never past the end. */
static void
cat(char *buf, size_t size, size_t *len, const char *s)
{
    int k = snprintf(buf + *len, size - *len, "%s", s);
    if (k > 0)
        *len = *len + (size_t)k < size ? *len + (size_t)k : size - 1;
}

static const struct cmd_spec *
sampler_spec(void)
{
    if (made.built)
        return &made.spec;
    const char **kind_choices = made.kind_choices;
    char *name_help = made.name_help, *usage = made.usage;
    struct arg_spec *sampler_args = made.args;
    const sampler_type *const *types = sampler_types();
    size_t nk = 0, nh = 0, nu = 0, na = 0;
    cat(usage, sizeof made.usage, &nu, "sampler ");
    for (; types[nk] != NULL; nk++) {
        assert(nk < MAX_KINDS);
        kind_choices[nk] = types[nk]->name;
        cat(name_help, sizeof made.name_help, &nh, nk ? ", " : "");
        cat(name_help, sizeof made.name_help, &nh, types[nk]->name);
        cat(usage, sizeof made.usage, &nu, types[nk]->name);
        cat(usage, sizeof made.usage, &nu, "|");
    }
    kind_choices[nk] = "off";
    cat(name_help, sizeof made.name_help, &nh, "; off removes the sampler");
    cat(usage, sizeof made.usage, &nu, "off [target=T] [preset=P] [chains=K] [step=H] ...");
    sampler_args[na++] = (struct arg_spec){
        .name = "name",
        .type = ARG_CHOICE,
        .positional = 1,
        .choices = kind_choices,
        .help = name_help,
    };
    for (size_t i = 0; common_args[i].name != NULL; i++)
        sampler_args[na++] = common_args[i];
    const sampler_tunable *tu;
    for (size_t i = 0; (tu = sampler_tunable_at(i)) != NULL; i++) {
        assert(na < CMD_MAX_ARGS);
        sampler_args[na++] = (struct arg_spec){
            .name = tu->name,
            .type = tu->choices != NULL ? ARG_CHOICE
                    : tu->integer       ? ARG_INT
                                        : ARG_REAL,
            .choices = tu->choices,
            .open_min = tu->min_open,
            .min = tu->min,
            .max = tu->max,
            .help = tu->help,
        };
    }
    made.spec = (struct cmd_spec){.usage = usage, .args = sampler_args};
    made.built = true;
    return &made.spec;
}

static void
announce(struct session *s, const struct sampler_setup *o, struct out *out)
{
    struct sampler_job *j = s->smp;
    view_show(&s->view, "posterior", true);
    view_focus(&s->view, "sampler");
    view_set_layout(&s->view, "sampler");
    s->view.zoom = false;
    if (view_num(&s->view, "posterior", "w", 0) >= (double)j->d ||
        view_num(&s->view, "posterior", "w", 1) >= (double)j->d) {
        const double w[2] = {0, j->d > 1 ? 1 : 0};
        view_put(&s->view, "posterior", "w", w, 2);
    }
    /* compare's side b: side a's screen shows it; the plain REPL (typed
     * commands, no live keys) has no panes to lay out. */
    if (s->side_of != NULL || (s->interactive && !s->fkeys))
        out_printf(out, "%s", j->desc);
    else
        out_printf(out, "%s (layout sampler; 'layout default' to go back)", j->desc);
    if (o->preset != NULL)
        out_printf(out, "preset %s: %s", o->preset->name, o->preset->expect);
    const sampler_opts *eo = sampler_options(sampler_ens_chain(j->ens, 0));
    bool step_given = false, sigma_given = false;
    for (size_t i = 0; i < o->nset; i++) {
        step_given |= strcmp(o->set_name[i], "step") == 0;
        sigma_given |= strcmp(o->set_name[i], "sigma") == 0;
        /* A tunable of another kind is kept but unused: say so (the
         * preset's own are applied only where they are read). */
        const sampler_tunable *tu = sampler_tunable_find(o->set_name[i]);
        if (tu != NULL && i < o->nset_user && !sampler_type_accepts(j->kind, tu))
            out_printf(out, "note: %s does not apply to %s (kept, unused)", tu->name,
                       sampler_kind_name(j->kind));
    }
    bool scaled = smp_target_scaled(o->tid);
    bool reads_step = sampler_type_accepts(j->kind, sampler_tunable_find("step"));
    if (scaled && !step_given && reads_step)
        out_printf(out, "step = %.4g (from the posterior's smallest sd; step= to choose)",
                   eo->step);
    /* Each kind knows its stability bound on a Gaussian (leapfrog: step <
     * 2 sqrt(lambda_min(cov)), Langevin: 4 lambda_min(cov); docs/math.md §9): warn
     * before the lecture turns into a divergence show. */
    if (step_given && reads_step) {
        double limit = sampler_job_step_limit(j);
        if (eo->step >= limit)
            out_printf(
                out, "warning: step=%g is above %s = %.3g for this posterior: %s (try step=%.2g)",
                eo->step, j->kind->step_limit_name, limit, j->kind->step_limit_effect, 0.4 * limit);
    }
    if (scaled && !sigma_given && sampler_type_accepts(j->kind, sampler_tunable_find("sigma")))
        out_printf(out, "sigma = %.4g (from the posterior's smallest sd; sigma= to choose)",
                   eo->sigma);
    if (j->kind->events & SAMPLER_EV_PARTICLES)
        out_printf(out,
                   "note: the %zu chains are %s's particles, moved together: R-hat and ESS "
                   "compare particles, not independent chains; W2 and KL say how close they are",
                   j->K, sampler_kind_name(j->kind));
    if (s->interactive)
        out_printf(out, "step through it: step%s; run it: sample 5000 rate=200",
                   s->fkeys ? " (F6)" : "");
    else
        out_printf(out, "run it with: sample N, or one transition at a time: step");
}

static int
sampler_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    const struct smp_preset *pr =
        args_given(a, "preset") ? smp_preset_find(args_str(a, "preset")) : NULL;
    const char *name = args_given(a, "name") ? args_str(a, "name") : pr != NULL ? pr->kind : NULL;
    if (name == NULL)
        return bl_fail(err, BL_EINVAL,
                       "sampler: give a kind (sampler hmc) or a preset (sampler preset=modes)");
    if (strcmp(name, "off") == 0) {
        if (s->smp == NULL)
            return bl_fail(err, BL_ESTATE, "no sampler to remove");
        session_set_sampler(s, NULL);
        view_show(&s->view, "sampler", false);
        if (view_layout_is(&s->view, "sampler"))
            s->view.preset = 0; /* the default */
        if (view_has_focus(&s->view, "sampler"))
            s->view.focus = view_pane_first() < 0 ? 0 : view_pane_first();
        out_printf(out, "sampler removed");
        return BL_OK;
    }
    struct sampler_setup o = {
        .kind = sampler_type_find(name),
        .tid = SMP_POSTERIOR,
        .K = (size_t)args_int(a, "chains"),
        .spread = args_real(a, "spread"),
        .features = (size_t)args_int(a, "features"),
        .alpha = args_real(a, "alpha"),
        .dim = (size_t)args_int(a, "dim"),
        .preset = pr,
    };
    const char *tn = args_str(a, "target");
    for (int i = 0; i < SMP_NTARGETS; i++)
        if (strcmp(smp_target_names[i], tn) == 0)
            o.tid = (enum smp_target)i;
    if (pr != NULL && !args_given(a, "target"))
        o.tid = pr->tid;
    if (pr != NULL && pr->dim > 0 && !args_given(a, "dim"))
        o.dim = pr->dim;
    if (args_given(a, "init"))
        o.init = args_vec(a, "init", &o.ninit);
    const sampler_tunable *tu;
    for (size_t i = 0; (tu = sampler_tunable_at(i)) != NULL; i++)
        if (args_given(a, tu->name)) {
            if (o.nset == sizeof o.set_name / sizeof o.set_name[0])
                return bl_fail(err, BL_EINVAL, "%s: at most %zu tunables at once", tu->name,
                               o.nset);
            o.set_name[o.nset] = tu->name;
            double v = 0;
            if (tu->choices != NULL) /* a word: its index */
                for (size_t c = 0; tu->choices[c] != NULL; c++)
                    if (strcmp(tu->choices[c], args_str(a, tu->name)) == 0)
                        v = (double)c;
            o.set_value[o.nset++] = tu->choices != NULL ? v : args_real(a, tu->name);
        }
    o.nset_user = o.nset;
    /* The preset's keys, where the user gave none and the kind reads them. */
    for (size_t i = 0; pr != NULL && i < SMP_PRESET_KEYS && pr->key[i] != NULL; i++) {
        tu = sampler_tunable_find(pr->key[i]);
        if (tu == NULL || args_given(a, tu->name) || !sampler_type_accepts(o.kind, tu) ||
            o.nset == sizeof o.set_name / sizeof o.set_name[0])
            continue;
        o.set_name[o.nset] = tu->name;
        o.set_value[o.nset++] = pr->value[i];
    }
    size_t md = o.tid == SMP_NORMAL ? o.dim : s->dim > 0 ? s->dim : s->in_dim + 1;
    if (mem_check_sampler(md, o.K, err) != BL_OK)
        return err ? err->code : BL_ENOMEM;
    /* Each chain keeps the full event of the last visible step: a trajectory
     * of SAMPLER_TRAJ_MAX points and the segments (normal at dim=1000 with
     * 64 chains: 0.5 GB). */
    char what[96];
    snprintf(what, sizeof what, "the step events of %zu chains in %zu dimensions", o.K, md);
    if (mem_check(8.0 * (double)o.K * (SAMPLER_TRAJ_MAX + 3 + 2 * SAMPLER_SEG_MAX) * (double)md,
                  what, err) != BL_OK)
        return err ? err->code : BL_ENOMEM;
    struct sampler_job *j = session_sampler_new(s, &o, err);
    if (j == NULL)
        return err ? err->code : BL_EINVAL;
    session_set_sampler(s, j);
    announce(s, &o, out);
    return BL_OK;
}

const struct cmd_entry cmd_sampler_entry = {
    .name = "sampler",
    .summary = "choose a sampler and its target (then step, or sample N)",
    .detail = "Targets: posterior (the current blr or nig model's posterior, as of now: later "
              "observations do not change it), banana, donut, mixture, funnel, squiggle, modes "
              "(two isolated modes), funnel_nc (the funnel non-centred) (2-D teaching densities "
              "with known moments), logistic (Bayesian logistic regression on breast_cancer, "
              "standardized; features=K first features plus an intercept), normal (the standard "
              "normal in dim=D dimensions). gibbs needs the nig posterior (model nig); ess a "
              "Gaussian prior (the blr posterior, logistic); svgd moves the chains together as "
              "particles (chains=32 or more). preset=step_large, step_small, modes, "
              "funnel_centered, funnel_noncentered or highdim sets kind, target and keys of a "
              "classic failure and says what to look for; what is given besides wins (sampler "
              "hmc preset=highdim). The chains start at the reference "
              "mean plus spread standard deviations of noise. With adapt=1 the first warmup "
              "iterations tune sigma/step and are left out of the draws: rwm and mala by "
              "Robbins-Monro towards target_accept, hmc and nuts as Stan (dual averaging of "
              "the step towards delta, and a diag or dense metric from windows; metric=unit "
              "tunes the step alone). The posterior pane "
              "shows the draws, the last proposal (filled dot: accepted, ring: rejected) and "
              "the HMC/NUTS trajectory (solid: accepted, dotted: rejected), slice brackets, "
              "ellipses, archive differences, replicas and swaps, particle moves; the sampler "
              "pane the traces and diagnostics (docs/math.md 9).",
    .example = "sampler hmc step=0.02 leapfrog=10",
    .spec = sampler_spec,
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
        return bl_fail(err, BL_ESTATE, SMP_NONE_MSG);
    if (!s->interactive) {
        if (!args_given(a, "n"))
            return bl_fail(err, BL_EINVAL, "sample: give N in batch mode (it runs at once)");
        job_set_use(&s->jobs, &sampler_job_class);
        struct run_ctx ctx = session_run_ctx(s);
        int rc = sampler_job_run(j, (size_t)args_int(a, "n"), &ctx, err);
        s->generation++;
        if (rc == BL_OK) {
            sampler_job_summary(j, "", out);
            /* compare: side b's sampler runs as many iterations */
            rc = compare_sample(s, (size_t)args_int(a, "n"), false, 0, out, err);
        }
        return rc;
    }
    struct job *q = job_set_use(&s->jobs, &sampler_job_class);
    job_start(q, args_real(a, "rate"), args_given(a, "n") ? (size_t)args_int(a, "n") : SIZE_MAX);
    compare_sample(s, args_given(a, "n") ? (size_t)args_int(a, "n") : 0, !args_given(a, "n"),
                   args_real(a, "rate"), out, err); /* compare: side b's sampler beside it */
    s->generation++;
    out_printf(out, "sampling at %g/s (%s, Ctrl-C stops)", q->pace.rate,
               s->fkeys ? "F5 pauses, F6 steps" : "'pause' pauses, 'step' steps");
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
