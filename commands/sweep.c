/* commands/sweep.c - the results of a sweep (see sweep.h). */
#include "commands/sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
sweep_free(struct sweep *sw)
{
    if (sw == NULL)
        return;
    free(sw->words);
    free(sw);
}

long
sweep_best(const struct sweep *sw)
{
    long best = -1;
    for (size_t i = 0; sw != NULL && i < sw->done; i++)
        if (isfinite(sw->log_ev[i]) && (best < 0 || sw->log_ev[i] > sw->log_ev[best]))
            best = (long)i;
    return best;
}

/* `key = [a, b, ...]` over the values done. */
static void
vec(struct out *out, const char *key, const double *v, size_t n)
{
    size_t cap = 24 * (n + 1) + 8;
    char *buf = malloc(cap);
    if (buf == NULL) {
        out_printf(out, "%s = (out of memory)", key);
        return;
    }
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.10g", i ? ", " : "", v[i]);
    snprintf(buf + len, cap - len, "]");
    out_printf(out, "%s = %s", key, buf);
    free(buf);
}

int
sweep_show(const struct sweep *sw, struct out *out, bl_err *err)
{
    if (sw == NULL)
        return bl_fail(err, BL_ESTATE, "no sweep yet: sweep KEY=LO..HI (e.g. sweep m=0..9)");
    out_printf(out, "key = %s", sw->key);
    out_printf(out, "model = %s", sw->model);
    out_kv_int(out, "n", (long long)sw->n);
    out_kv_int(out, "done", (long long)sw->done);
    vec(out, "values", sw->value, sw->done);
    vec(out, "log_evidence", sw->log_ev, sw->done);
    vec(out, "fit_loglik", sw->fit_ll, sw->done);
    vec(out, "rmse", sw->rmse, sw->done);
    long b = sweep_best(sw);
    if (b >= 0) {
        out_kv_real(out, "best", sw->value[b]);
        out_kv_real(out, "best_log_evidence", sw->log_ev[b]);
    }
    return BL_OK;
}
