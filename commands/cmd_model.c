/* commands/cmd_model.c - "model NAME ...": the Bayesian model conditioned
 * on the stream. The subjects and their keys come from the model classes
 * (commands/model.h); changing the model replays the stream through it
 * (O(n) arrivals), so its traces always describe the data seen so far. */
#include "commands/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/model.h"
#include "commands/session.h"

/* Keep the command's given keys as words `sweep` can re-bind with one key
 * changed: model NAME key="value"..., quoted so that kernel specs survive. */
static void
record_words(struct session *s, const struct cmd_args *a)
{
    size_t cap = strlen(a->subject->name) + 16;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].given && a->v[i].str != NULL)
            cap += strlen(a->v[i].spec->name) + 2 * strlen(a->v[i].str) + 8;
    char *w = malloc(cap);
    if (w == NULL) {
        free(s->model_words);
        s->model_words = NULL; /* sweep then says it has no model command to re-bind */
        return;
    }
    size_t len = (size_t)snprintf(w, cap, "model %s", a->subject->name);
    for (size_t i = 0; i < a->n; i++) {
        const struct arg_value *v = &a->v[i];
        if (!v->given || v->str == NULL)
            continue;
        bool quote = v->str[strcspn(v->str, " \t;#\"'\\")] != '\0';
        len += (size_t)snprintf(w + len, cap - len, " %s=%s", v->spec->name, quote ? "\"" : "");
        for (const char *c = v->str; *c != '\0'; c++) {
            if (*c == '"' || *c == '\\')
                w[len++] = '\\';
            w[len++] = *c;
        }
        if (quote)
            w[len++] = '"';
        w[len] = '\0';
    }
    free(s->model_words);
    s->model_words = w;
}

static int
model_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    const struct model_class *mc = model_find(a->subject->name);
    void *opts = calloc(1, mc->opts_size ? mc->opts_size : 1);
    if (opts == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    int rc = mc->configure(s, a, opts, err);
    if (rc == BL_OK)
        rc = session_set_model(s, mc, opts, err);
    free(opts);
    if (rc != BL_OK)
        return rc;
    record_words(s, a);
    char buf[700];
    session_describe_model(s, buf, sizeof buf);
    if (s->blr != NULL)
        out_printf(out, "model: %s (dim %zu, n = %zu)", buf, s->dim, s->n);
    else if (s->m == NULL && mc->weights != NULL)
        out_printf(out, "model: %s (built when data arrives)", buf);
    else
        out_printf(out, "model: %s (n = %zu)", buf, s->n);
    return BL_OK;
}

const struct cmd_entry cmd_model_entry = {
    .name = "model",
    .usage = "model NAME [key=value...]",
    .summary = "the Bayesian model conditioned on the stream",
    .detail = "Feature maps rescale each input coordinate to [-1,1] over the world's range "
              "(poly, rbf, fourier). The stream seen so far is replayed through a new model.",
    .example = "model blr alpha=2 beta=25 features=poly degree=3",
    .subjects_fn = model_subjects,
    .exec = model_exec,
};
