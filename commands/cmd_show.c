/* commands/cmd_show.c - "show WHAT": key = value lines (docs/design.md contract).
 * Measures too costly for every arrival (covariance, ball mass, gamma) are
 * computed here, when asked. */
#include "commands/cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/compare.h"
#include "commands/session.h"
#include "commands/show_gp.h"
#include "commands/sweep.h"

static const struct arg_spec predictive_args[] = {
    {.name = "x",
     .type = ARG_VEC,
     .positional = 1,
     .required = 1,
     .help = "input point (one number per input coordinate)"},
    {0},
};

static const struct arg_spec concentration_args[] = {
    {.name = "r",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e100,
     .why = "the mass is P(|w - w*|^2 <= r^2): r^2 must stay a finite double",
     .help = "radius of the ball around the truth for mass_ball (default 0.1, remembered)"},
    {0},
};

static const struct subject_spec show_subjects[] = {
    {"data", "the world, its truth where known, and the stream", NULL, "show data"},
    {"model", "the model and its options", NULL, "show model"},
    {"posterior", "n, dim, posterior mean and covariance (nig: also a, b)", NULL, "show posterior"},
    {"predictive", "predictive mean, var (with noise) and var_f (without) at x", predictive_args,
     "show predictive x=0.5"},
    {"evidence", "log evidence, hyperparameters and gamma", NULL, "show evidence"},
    {"regret", "cumulative log-loss regret against the truth, hindsight and theory", NULL,
     "show regret"},
    {"concentration", "how the posterior concentrates around the truth", concentration_args,
     "show concentration r=0.05"},
    {"lens", "the universality lens: n, regret, bound, eps_star, log_weight", NULL, "show lens"},
    {"bma", "model averaging: t, class_posterior, regret, oracle_regret", NULL, "show bma"},
    {"judge", "best-of-k: k, error, error_se, slope, k_opt", NULL, "show judge"},
    {"kernel", "gp/tp: the kernel, its hyperparameters, noise, jitter (nngp: q*, chi1, phase)",
     NULL, "show kernel"},
    {"spectrum", "eigenvalues, effective rank and alpha-ReQ (posterior cov or kernel Gram)", NULL,
     "show spectrum"},
    {"sampler",
     "the sampler's diagnostics: acceptance, rhat, ess_bulk, ess_tail, mcse, ebfmi, distance to "
     "the exact posterior",
     NULL, "show sampler"},
    {"sweep", "the last sweep: values, log_evidence, fit_loglik, rmse, best", NULL, "show sweep"},
    {"nn", "a network: step, loss, width, depth, params, ntk_change, per layer effective_rank, "
     "alpha_req, cka_nngp", NULL, "show nn"},
    {0},
};

static const struct arg_spec show_args[] = {
    COMPARE_SIDE_ARG,
    {0},
};

static int
need_model(const struct session *s, bl_err *err)
{
    if (!session_has_model(s))
        return bl_fail(err, BL_ESTATE,
                       s->mc == NULL
                           ? "no model yet: choose one (e.g. model blr)"
                           : "no data yet: choose a world (e.g. data linear d=3)");
    return BL_OK;
}

static double
last(const struct session *s, enum trace_id id)
{
    return s->n ? s->trace[id][s->n - 1] : (double)NAN;
}

static int
show_data(struct session *s, struct out *out)
{
    out_kv_str(out, "world", s->world ? world_describe(s->world) : "none");
    out_kv_int(out, "n", (long long)s->n);
    out_kv_int(out, "in_dim", (long long)s->in_dim);
    if (s->world != NULL && world_knows_truth(s->world)) {
        size_t len;
        const double *t = world_truth(s->world, &len);
        out_kv_real(out, "noise", world_noise(s->world));
        out_kv_real(out, "nu", world_nu(s->world));
        out_kv_vec(out, "truth", t, len);
    }
    if (s->n > 0) {
        out_kv_vec(out, "last_x", s->X + (s->n - 1) * s->in_dim, s->in_dim);
        out_kv_real(out, "last_y", s->Y[s->n - 1]);
    }
    return BL_OK;
}

static int
show_posterior(struct session *s, struct out *out, bl_err *err)
{
    int rc = need_model(s, err);
    if (rc != BL_OK)
        return rc;
    if (s->mc->show.posterior == NULL)
        return bl_fail(err, BL_ESTATE, "a %s has no weights: its posterior lives in function "
                       "space (show predictive x=.., show evidence, show kernel)",
                       s->mc->subject.name);
    return s->mc->show.posterior(s, out, err);
}

static int
show_predictive(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    int rc = need_model(s, err);
    size_t len;
    const double *x = args_vec(a, "x", &len);
    if (rc != BL_OK)
        return rc;
    if (len != s->in_dim)
        return bl_fail(err, BL_EINVAL, "x has %zu number%s, the inputs have %zu", len,
                       len == 1 ? "" : "s", s->in_dim);
    double mean, var, var_f;
    if ((rc = session_predict(s, x, &mean, &var, &var_f, err)) != BL_OK)
        return rc;
    out_kv_why(out, "mean", mean, "overflows double precision");
    /* An infinite variance is an overflow far out (x^2 and the posterior
     * variances are kept below 1e300 by the key ranges, so |x| > 1e100 is
     * where it starts), else a Student-t with df <= 2. */
    double xmax = 0;
    for (size_t i = 0; i < len; i++)
        xmax = fmax(xmax, fabs(x[i]));
    const char *why_var = xmax > 1e100 ? "overflows double precision this far out (|x| > 1e100)"
                                       : "no finite variance: the predictive's tails are too "
                                         "heavy (Student-t with df <= 2)";
    out_kv_why(out, "var", var, why_var);
    out_kv_why(out, "var_f", var_f, why_var);
    if (s->mc->show.predictive != NULL && (rc = s->mc->show.predictive(s, x, out, err)) != BL_OK)
        return rc;
    if (s->world != NULL && world_knows_truth(s->world))
        out_kv_real(out, "truth", world_mean(s->world, x));
    return BL_OK;
}

static int
show_evidence(struct session *s, struct out *out, bl_err *err)
{
    int rc = need_model(s, err);
    if (rc != BL_OK)
        return rc;
    if (s->mc->show.evidence != NULL)
        return s->mc->show.evidence(s, out, err);
    out_kv_why(out, session_score_name(s, true), session_log_evidence(s),
               "overflows: the model gives the points (almost) zero density");
    out_kv_int(out, "n", (long long)s->n);
    return BL_OK;
}

/* Why a trace shown by show regret is not a number (issue 10), or NULL when
 * it is one. Before any point the sums are empty: 0 for the regrets the
 * model defines. */
static const char *
trace_why(const struct session *s, enum trace_id id, double *v, char *buf, size_t size)
{
    uint32_t bit = MODEL_TRACE(id);
    bool own = (s->mc->traces & bit) != 0;
    bool truth = s->world != NULL && world_knows_truth(s->world);
    const char *name = s->mc->subject.name;
    switch (id) {
    case TR_REGRET_TRUTH:
        if (s->n == 0)
            *v = 0;
        else if (!truth)
            return "the world's true density is unknown (a data set)";
        else if (*v == HUGE_VAL && world_noise(s->world) == 0)
            return "the world is noiseless: its density at the points is infinite, and so "
                   "is the regret against it";
        break;
    case TR_REGRET_HINDSIGHT:
        if (!own)
            return snprintf(buf, size, "a %s has no fixed parameter to compare with", name), buf;
        if (s->n == 0)
            *v = 0;
        break;
    case TR_REGRET_CLOSED:
        if (!own)
            return snprintf(buf, size,
                            s->blr != NULL ? "the closed form assumes a known noise; a %s learns it"
                                           : "a %s has no weights: the closed form is about d weights",
                            name),
                   buf;
        if (s->wstar == NULL)
            return truth ? "the truth is not a point of the model's features"
                         : "the world's truth is unknown (a data set)";
        if (!s->truth_in_model)
            return s->world != NULL && world_nu(s->world) > 0
                       ? "not applicable: the world's noise is not the model's Gaussian (the "
                         "regret pane draws the hindsight regret as the reference)"
                       : "not applicable: the model's beta is not the world's 1/noise^2, so its "
                         "y | x is not the world's (the regret pane draws the hindsight regret "
                         "as the reference)";
        if (s->n == 0)
            *v = 0;
        break;
    case TR_BOUND:
    case TR_ASYMPTOTE:
        if (!own)
            return snprintf(buf, size,
                            s->blr != NULL ? "the %s assumes a known noise; a %s learns it"
                                           : "a %2$s has no weights: the %1$s is about d weights",
                            id == TR_BOUND ? "bound" : "asymptote", name),
                   buf;
        if (s->n == 0)
            return id == TR_BOUND ? "no points yet: w_ML (or the truth's |w|) from n = 1"
                                  : "no points yet: (d/2) log n needs n >= 1";
        break;
    case TR_CUM_LOGLOSS:
        if (s->n == 0)
            *v = 0;
        break;
    default: break;
    }
    if (isnan(*v))
        return "not a number: a quantity of the model overflowed double precision";
    if (isinf(*v))
        return *v > 0 ? "overflows: the model gives the points (almost) zero density"
                      : "overflows double precision";
    return NULL;
}

static int
show_regret(struct session *s, struct out *out, bl_err *err)
{
    static const enum trace_id ids[] = {TR_REGRET_TRUTH, TR_REGRET_HINDSIGHT, TR_REGRET_CLOSED,
                                        TR_BOUND, TR_ASYMPTOTE, TR_CUM_LOGLOSS};
    static const char *const keys[] = {"regret_truth", "regret_hindsight", "regret_closed_form",
                                       "bound", "asymptote", "cum_logloss"};
    int rc = need_model(s, err);
    if (rc != BL_OK)
        return rc;
    out_kv_int(out, "n", (long long)s->n);
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char buf[160];
        double v = last(s, ids[i]);
        const char *why = trace_why(s, ids[i], &v, buf, sizeof buf);
        /* A regret is a difference of two log-losses: when they are huge
         * (a precision far from the data's) it keeps few or no digits, and
         * the line says so rather than print rounding as a number. */
        double cum = last(s, TR_CUM_LOGLOSS), ulp = 1e-10 * fabs(cum);
        if (why == NULL && (ids[i] == TR_REGRET_TRUTH || ids[i] == TR_REGRET_HINDSIGHT) &&
            isfinite(cum) && fabs(v) < ulp) {
            char num[32];
            out_printf(out, "%s = %s  # not resolved: a difference of log-losses near %.3g "
                       "(a hyperparameter far from the data's scale)",
                       keys[i], out_num(num, sizeof num, v), cum);
            continue;
        }
        out_kv_why(out, keys[i], v, why);
    }
    return BL_OK;
}

static int
show_concentration(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    int rc = need_model(s, err);
    if (rc != BL_OK)
        return rc;
    if (s->mc->show.concentration == NULL)
        return bl_fail(err, BL_ESTATE, "concentration is about weights: a %s has none (show "
                       "predictive x=.. shows how its bands narrow)", s->mc->subject.name);
    if (args_given(a, "r"))
        s->ball_radius = args_real(a, "r");
    return s->mc->show.concentration(s, out, err);
}

static int
show_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    const char *what = a->subject->name;
    if ((s = compare_side(s, a, err)) == NULL)
        return err->code;
    if (strcmp(what, "sweep") == 0)
        return sweep_show(s->sweep, out, err);
    if (strcmp(what, "data") == 0)
        return show_data(s, out);
    if (strcmp(what, "model") == 0) {
        char buf[256];
        session_describe_model(s, buf, sizeof buf);
        out_kv_str(out, "model", buf);
        out_kv_int(out, "dim", (long long)s->dim);
        out_kv_str(out, "truth_in_model", s->truth_in_model ? "yes" : "no");
        return BL_OK;
    }
    if (strcmp(what, "posterior") == 0)
        return show_posterior(s, out, err);
    if (strcmp(what, "sampler") == 0)
        return sampler_job_show(s->smp, session_sampler_current(s), out, err);
    if (strcmp(what, "kernel") == 0) {
        if (s->m == NULL || s->mc->show.kernel == NULL)
            return bl_fail(err, BL_ESTATE,
                           "show kernel needs a gp or tp model (model gp kernel=rbf)");
        return s->mc->show.kernel(s, out, err);
    }
    if (strcmp(what, "spectrum") == 0)
        return show_spectrum(s, out, err);
    if (strcmp(what, "nn") == 0) {
        if (s->m == NULL || s->mc->show.nn == NULL)
            return bl_fail(err, BL_ESTATE, "show nn needs a network: model nn (the model is %s)",
                           s->mc != NULL ? s->mc->subject.name : "none yet");
        return s->mc->show.nn(s, out, err);
    }
    if (strcmp(what, "lens") == 0 || strcmp(what, "bma") == 0 || strcmp(what, "judge") == 0) {
        if (s->inst == NULL || strcmp(instrument_name(s->inst), what) != 0)
            return bl_fail(err, BL_ESTATE, "no %s instrument running (start one with: %s)",
                           what, what);
        return instrument_show(s->inst, out, err);
    }
    if (strcmp(what, "predictive") == 0)
        return show_predictive(s, a, out, err);
    if (strcmp(what, "evidence") == 0)
        return show_evidence(s, out, err);
    if (strcmp(what, "regret") == 0)
        return show_regret(s, out, err);
    return show_concentration(s, a, out, err);
}

const struct cmd_entry cmd_show_entry = {
    .name = "show",
    .usage = "show WHAT (data, model, posterior, predictive, evidence, regret, ...)",
    .summary = "print a summary as key = value lines",
    .detail = "Numbers print with %.10g, vectors as [a, b], matrices as [[a, b], [c, d]]; "
              "a value that is not finite says why after a '#' (no truth known, not in the "
              "model, no points yet).",
    .example = "show predictive x=0.5",
    .subjects = show_subjects,
    .args = show_args,
    .exec = show_exec,
};
