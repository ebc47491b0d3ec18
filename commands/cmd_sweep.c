/* commands/cmd_sweep.c - `sweep KEY=LO..HI [n=N] [scale=lin|log] [rate=R]`:
 * the current model class refitted on the stream at each value of KEY (a
 * model key such as degree= or m=, or a parameter inside kernel=SPEC such as
 * ls=), its log evidence and training fit recorded (commands/sweep.h). Each
 * value is one unit of a paced job: all at once in batch mode, frame by frame
 * live, Ctrl-C keeping the values done. Each fit is a side-b session fed the
 * stream (commands/compare.h), so it equals a fresh `model ...; observe n`. */
#include "commands/cmd.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/session.h"
#include "commands/sweep.h"

extern const struct cmd_entry cmd_model_entry;

#define SWEEP_RATE 4.0 /* values per second live: a figure that builds while the class watches */

#define SWEEP_WORDS CMD_MAX_ARGS

/* The model command's words with KEY set to value, into argv (borrowed from
 * l and kbuf): the key's own word replaced (or added), or inside
 * kernel=SPEC the parameter's number. */
static int
words_for(const struct sweep *sw, double value, struct cmd_line *l, char **argv, size_t *argc,
          char *kbuf, size_t ksize, bl_err *err)
{
    int rc = cmd_split(sw->words, l, err);
    if (rc != BL_OK)
        return rc;
    if (l->n != 1 || l->cmds[0].argc + 1 > SWEEP_WORDS) {
        cmd_line_free(l);
        return bl_fail(err, BL_EINVAL, "sweep: the model command is not one short command");
    }
    const struct cmd_words *w = &l->cmds[0];
    size_t klen = strlen(sw->key), k = 0;
    char num[40];
    snprintf(num, sizeof num, "%.10g", value);
    bool put = false;
    for (size_t i = 0; i < w->argc; i++) {
        const char *a = w->argv[i];
        if (sw->in_kernel && strncmp(a, "kernel=", 7) == 0) {
            const char *at = NULL;
            for (const char *p = a + 7; (p = strstr(p, sw->key)) != NULL; p++)
                if ((p[-1] == '(' || p[-1] == ',' || p[-1] == ' ') && p[klen] == '=') {
                    at = p + klen + 1;
                    break;
                }
            if (at != NULL) {
                size_t end = strcspn(at, ",)");
                snprintf(kbuf, ksize, "%.*s%s%s", (int)(at - a), a, num, at + end);
                argv[k++] = kbuf;
                put = true;
                continue;
            }
        }
        if (!sw->in_kernel && strncmp(a, sw->key, klen) == 0 && a[klen] == '=')
            continue;
        argv[k++] = w->argv[i];
    }
    if (!sw->in_kernel) {
        snprintf(kbuf, ksize, "%s=%s", sw->key, num);
        argv[k++] = kbuf;
        put = true;
    }
    if (!put) {
        cmd_line_free(l);
        return bl_fail(err, BL_ESTATE, "sweep %s: the kernel has no %s=", sw->key, sw->key);
    }
    *argc = k;
    return BL_OK;
}

/* Fit value i: a fresh model of the class on the stream, its evidence and
 * its fit to the training points at the posterior mean. */
static int
fit_one(struct sweep *sw, size_t i, bl_err *err)
{
    struct session *s = sw->owner;
    if ((const void *)s->world != sw->world || s->n != sw->n)
        return bl_fail(err, BL_ESTATE, "sweep: the stream changed (n = %zu, was %zu); "
                       "sweep again", s->n, sw->n);
    struct cmd_line l;
    char kbuf[700], *argv[SWEEP_WORDS];
    size_t argc = 0;
    int rc = words_for(sw, sw->value[i], &l, argv, &argc, kbuf, sizeof kbuf, err);
    if (rc != BL_OK)
        return rc;
    struct cmd_args a;
    rc = cmd_bind(&cmd_model_entry, argv, argc, &a, err);
    if (rc != BL_OK) {
        cmd_line_free(&l);
        return rc;
    }
    const struct model_class *mc = model_find(a.subject->name);
    void *opts = calloc(1, mc->opts_size ? mc->opts_size : 1);
    rc = opts != NULL ? mc->configure(s, &a, opts, err) : bl_fail(err, BL_ENOMEM, "out of memory");
    args_free(&a);
    cmd_line_free(&l);
    struct session *b = rc == BL_OK ? session_follower_new(s, mc, opts, err) : NULL;
    free(opts);
    if (b == NULL)
        return rc != BL_OK ? rc : err->code;
    double ll = 0, se = 0;
    for (size_t t = 0; t < b->n && rc == BL_OK; t++) {
        struct model_pred p;
        rc = b->mc->predict(b->m, b->X + t * b->in_dim, &p, err);
        if (rc != BL_OK)
            break;
        double r = b->Y[t] - p.mean, nv = p.var - p.var_f;
        ll += -0.5 * log(2 * M_PI * nv) - r * r / (2 * nv);
        se += r * r;
        if ((t & 255) == 255)
            session_pump(s);
    }
    if (rc == BL_OK) {
        sw->log_ev[i] = session_log_evidence(b);
        sw->fit_ll[i] = b->n ? ll : (double)NAN;
        sw->rmse[i] = b->n ? sqrt(se / (double)b->n) : (double)NAN;
    }
    session_free(b);
    return rc;
}

static size_t
sweep_advance(void *self, size_t n, const struct run_ctx *ctx, struct out *out, bl_err *err)
{
    struct sweep *sw = self;
    (void)out;
    size_t k = 0;
    for (; k < n && sw->done < sw->nv; k++) {
        if (bl_cancelled(ctx->cancel)) {
            bl_fail(err, BL_ECANCEL, "sweep interrupted after %zu of %zu values", sw->done, sw->nv);
            break;
        }
        if (fit_one(sw, sw->done, err) != BL_OK)
            break;
        sw->done++;
        sw->owner->generation++;
    }
    return k;
}

static void
sweep_say(const struct sweep *sw, struct out *out)
{
    long b = sweep_best(sw);
    if (b < 0) {
        out_printf(out, "sweep %s: no value fitted", sw->key);
        return;
    }
    out_printf(out, "sweep %s: %zu of %zu values on n = %zu; best %s=%.6g (log evidence %.6g)",
               sw->key, sw->done, sw->nv, sw->n, sw->key, sw->value[b], sw->log_ev[b]);
}

static void
sweep_end(void *self, enum job_end how, const bl_err *err, struct out *out)
{
    struct sweep *sw = self;
    if (how == JOB_FAILED)
        out_error(out, "sweep: %s", err->msg);
    sweep_say(sw, out);
}

static void
sweep_describe(const void *self, char *buf, size_t size)
{
    const struct sweep *sw = self;
    snprintf(buf, size, "sweep %s %zu/%zu", sw->key, sw->done, sw->nv);
}

static void
sweep_describe_step(const void *self, size_t done, char *buf, size_t size)
{
    const struct sweep *sw = self;
    (void)done;
    if (sw->done == 0)
        snprintf(buf, size, "sweep %s: nothing fitted", sw->key);
    else
        snprintf(buf, size, "sweep %s=%.6g: log evidence %.6g, fit %.6g", sw->key,
                 sw->value[sw->done - 1], sw->log_ev[sw->done - 1], sw->fit_ll[sw->done - 1]);
}

const struct job_class sweep_job_class = {
    .name = "sweep",
    .verb = "sweeping",
    .unit = "values",
    .first_budget = 1,
    .advance = sweep_advance,
    .end = sweep_end,
    .describe = sweep_describe,
    .describe_step = sweep_describe_step,
};

/* The key's spec among the class's keys (or its alias), or NULL. */
static const struct arg_spec *
class_key(const struct model_class *mc, const char *key)
{
    for (const struct arg_spec *sp = mc->subject.args; sp != NULL && sp->name != NULL; sp++)
        if (strcmp(sp->name, key) == 0 || (sp->alias != NULL && strcmp(sp->alias, key) == 0))
            return sp;
    return NULL;
}

static int
parse_real(const char *t, double *v)
{
    char *end;
    *v = strtod(t, &end);
    return end != t && *end == '\0' && isfinite(*v);
}

/* KEY=LO..HI, n=N, scale=lin|log, rate=R into sw (n, scale, rate: 0 when
 * not given). */
static int
parse_words(char *const *w, size_t nw, struct sweep *sw, double *lo, double *hi, long *n,
            int *scale, double *rate, bl_err *err)
{
    static const char usage[] = "usage: sweep KEY=LO..HI [n=N] [scale=lin|log] [rate=R]";
    bool range = false;
    *n = 0;
    *scale = -1;
    *rate = SWEEP_RATE;
    for (size_t i = 0; i < nw; i++) {
        const char *eq = strchr(w[i], '=');
        if (eq == NULL || eq == w[i])
            return bl_fail(err, BL_EINVAL, "sweep: unexpected word '%s' (%s)", w[i], usage);
        size_t kl = (size_t)(eq - w[i]);
        const char *v = eq + 1;
        double x;
        if (kl == 1 && w[i][0] == 'n' && range) {
            if (!parse_real(v, &x) || x != floor(x) || x < 2 || x > SWEEP_MAX)
                return bl_fail(err, BL_EINVAL, "sweep n=%s: must be an integer in 2..%d", v,
                               SWEEP_MAX);
            *n = (long)x;
        } else if (kl == 5 && strncmp(w[i], "scale", 5) == 0 && range) {
            if (strcmp(v, "lin") != 0 && strcmp(v, "log") != 0)
                return bl_fail(err, BL_EINVAL, "sweep scale=%s: choose lin or log", v);
            *scale = strcmp(v, "log") == 0;
        } else if (kl == 4 && strncmp(w[i], "rate", 4) == 0 && range) {
            if (!parse_real(v, &x) || !(x > 0) || x > 1000)
                return bl_fail(err, BL_EINVAL, "sweep rate=%s: must be in (0, 1000] values/s", v);
            *rate = x;
        } else if (!range) {
            const char *dots = strstr(v, "..");
            if (kl >= sizeof sw->key || dots == NULL)
                return bl_fail(err, BL_EINVAL, "sweep %s: give a range KEY=LO..HI (%s)", w[i],
                               usage);
            char a[64];
            snprintf(a, sizeof a, "%.*s", (int)(dots - v) < 63 ? (int)(dots - v) : 63, v);
            if (!parse_real(a, lo) || !parse_real(dots + 2, hi))
                return bl_fail(err, BL_EINVAL, "sweep %s: LO and HI must be finite numbers", w[i]);
            if (!(*lo < *hi))
                return bl_fail(err, BL_EINVAL, "sweep %s: LO must be below HI", w[i]);
            memcpy(sw->key, w[i], kl);
            sw->key[kl] = '\0';
            range = true;
        } else {
            return bl_fail(err, BL_EINVAL, "sweep: unknown key '%.*s' (n, scale, rate; %s)",
                           (int)kl, w[i], usage);
        }
    }
    if (!range)
        return bl_fail(err, BL_EINVAL, "sweep: say what to sweep (%s)", usage);
    return BL_OK;
}

static int
sweep_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    struct sweep *sw = calloc(1, sizeof *sw);
    if (sw == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    double lo = 0, hi = 0, rate;
    long n;
    int scale;
    int rc = parse_words(a->rest, a->nrest, sw, &lo, &hi, &n, &scale, &rate, err);
    if (rc == BL_OK && (s->mc == NULL || s->model_words == NULL))
        rc = bl_fail(err, BL_ESTATE, "sweep: no model to refit (model blr features=poly ...)");
    if (rc == BL_OK && s->world == NULL)
        rc = bl_fail(err, BL_ESTATE, "sweep: no data yet (data linear d=1; observe 30)");
    const struct arg_spec *sp = rc == BL_OK ? class_key(s->mc, sw->key) : NULL;
    if (sp != NULL) /* the model's words name the key by its own name, not an alias */
        snprintf(sw->key, sizeof sw->key, "%s", sp->name);
    if (rc == BL_OK && sp == NULL) {
        /* Not a key of the model: a parameter of its kernel spec? */
        const char *k = strstr(s->model_words, " kernel=");
        char pat[40];
        snprintf(pat, sizeof pat, "%s=", sw->key);
        const char *p = k != NULL ? strstr(k, pat) : NULL;
        if (p == NULL || !(p[-1] == '(' || p[-1] == ',' || p[-1] == ' ') || p == k + 1)
            rc = bl_fail(err, BL_EINVAL,
                         "sweep %s: not a key of model %s nor a parameter of its kernel",
                         sw->key, s->mc->subject.name);
        sw->in_kernel = true;
    }
    bool integer = sp != NULL && sp->type == ARG_INT;
    if (rc == BL_OK && sp != NULL && sp->type != ARG_INT && sp->type != ARG_REAL)
        rc = bl_fail(err, BL_EINVAL, "sweep %s: not a number key of model %s", sw->key,
                     s->mc->subject.name);
    if (rc == BL_OK && sp != NULL && (lo < sp->min || hi > sp->max))
        rc = bl_fail(err, BL_EINVAL, "sweep %s=%g..%g: outside the key's range %g..%g", sw->key,
                     lo, hi, sp->min, sp->max);
    if (rc == BL_OK && integer && (lo != floor(lo) || hi != floor(hi)))
        rc = bl_fail(err, BL_EINVAL, "sweep %s: an integer key takes integer LO..HI", sw->key);
    bool log = scale >= 0 ? scale == 1 : !integer && lo > 0 && hi / lo >= 10;
    if (rc == BL_OK && log && !(lo > 0))
        rc = bl_fail(err, BL_EINVAL, "sweep %s: scale=log needs LO > 0", sw->key);
    if (rc == BL_OK) {
        long count = n > 0 ? n : integer ? (long)(hi - lo) + 1 : 10;
        if (integer && count > (long)(hi - lo) + 1)
            count = (long)(hi - lo) + 1;
        if (count > SWEEP_MAX)
            rc = bl_fail(err, BL_EINVAL, "sweep %s: %ld values, at most %d (give n=)", sw->key,
                         count, SWEEP_MAX);
        for (long i = 0; rc == BL_OK && i < count; i++) {
            double f = count > 1 ? (double)i / (double)(count - 1) : 0;
            double v = log ? lo * pow(hi / lo, f) : lo + (hi - lo) * f;
            sw->value[i] = integer ? round(v) : v;
        }
        sw->nv = (size_t)count;
    }
    if (rc == BL_OK && (sw->words = strdup(s->model_words)) == NULL)
        rc = bl_fail(err, BL_ENOMEM, "out of memory");
    if (rc != BL_OK) {
        sweep_free(sw);
        return rc;
    }
    sw->log = log;
    sw->n = s->n;
    sw->owner = s;
    sw->world = s->world;
    snprintf(sw->model, sizeof sw->model, "%s (%s swept)", s->model_words, sw->key);
    for (size_t i = 0; i < sw->nv; i++)
        sw->log_ev[i] = sw->fit_ll[i] = sw->rmse[i] = (double)NAN;
    struct sweep *old = s->sweep;
    s->sweep = sw;
    struct job *j = job_set_add(&s->jobs, &sweep_job_class, sw);
    sweep_free(old);
    view_show(&s->view, "sweep", true);
    view_set_layout(&s->view, "sweep");
    s->generation++;
    if (s->interactive) {
        job_start(j, rate, sw->nv);
        out_printf(out, "sweeping %s over %zu values at %g/s (Ctrl-C keeps what is done)", sw->key,
                   sw->nv, rate);
        return BL_OK;
    }
    struct run_ctx ctx = session_run_ctx(s);
    bl_err e = {0};
    sweep_advance(sw, sw->nv, &ctx, out, &e);
    if (e.code != BL_OK) {
        sweep_say(sw, out);
        return bl_fail(err, e.code, "%s", e.msg);
    }
    sweep_say(sw, out);
    return BL_OK;
}

const struct cmd_entry cmd_sweep_entry = {
    .name = "sweep",
    .usage = "sweep KEY=LO..HI [n=N] [scale=lin|log] [rate=R]",
    .summary = "refit the model over one key: log evidence and fit against it",
    .detail = "KEY is a number key of the current model (degree=, m=, alpha=, noise=) or a "
              "parameter inside its kernel=SPEC (ls=, var=). An integer key takes every integer "
              "of LO..HI; a real one n= values (default 10), on a log grid when HI/LO >= 10 "
              "(scale= overrides). Each value is a fresh model on the stream; the sweep pane "
              "plots log evidence and the training log-likelihood at the posterior mean with the "
              "maximum marked, show sweep prints the table. Live it runs at rate= values/s "
              "(default 4); Ctrl-C keeps what is done. docs/compare.md.",
    .example = "sweep degree=0..9",
    .passthrough = true,
    .exec = sweep_exec,
};
