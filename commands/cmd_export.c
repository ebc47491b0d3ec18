/* commands/cmd_export.c - "export stream|trace ...": write CSV files.
 * Numbers are written with %.17g so that a re-read is exact. Files are
 * written through commands/wfile.h (a temporary renamed into place; only
 * regular files replaced; "-" is standard output). */
#include "commands/cmd.h"

#include <stdio.h>
#include <string.h>

#include "commands/compare.h"
#include "commands/session.h"
#include "commands/show_gp.h"
#include "commands/wfile.h"

static const struct arg_spec stream_args[] = {
    {.name = "file", .type = ARG_FILE, .positional = 1, .required = 1, .help = "CSV to write (- for standard output)"},
    {0},
};

static const struct arg_spec trace_args[] = {
    {.name = "name",
     .type = ARG_CHOICE,
     .positional = 1,
     .required = 1,
     .choices = trace_names,
     .help = "trace"},
    {.name = "file", .type = ARG_FILE, .positional = 1, .required = 1, .help = "CSV to write (- for standard output)"},
    {0},
};

static const struct arg_spec gram_args[] = {
    {.name = "file", .type = ARG_FILE, .positional = 1, .required = 1, .help = "CSV to write (- for standard output)"},
    {.name = "layer", .type = ARG_INT, .min = 0, .max = 1001, .def = "0",
     .help = "nngp, dkm: layer 1..L+1 (0: the model's kernel)"},
    {0},
};

static const struct subject_spec export_subjects[] = {
    {"stream", "the observed points: inputs, then the target", stream_args,
     "export stream points.csv"},
    {"trace", "one per-arrival trace against n", trace_args, "export trace regret_truth r.csv"},
    {"lens", "the lens curves: regret and bound per arrival", stream_args,
     "export lens lens.csv"},
    {"bma", "the model-averaging curves per example", stream_args, "export bma bma.csv"},
    {"judge", "error and its standard error against k", stream_args, "export judge judge.csv"},
    {"gram", "gp/tp/dkm: the kernel matrix of the observed inputs (nn: the empirical one)", gram_args,
     "export gram gram.csv layer=3"},
    {"draws", "the sampler's draws: chain, iteration, w0.., weight", stream_args,
     "export draws draws.csv"},
    {"weights", "nn: the network's parameters as text (model nn load=FILE reads them)",
     stream_args, "export weights net.txt"},
    {0},
};

static const struct arg_spec export_args[] = {
    COMPARE_SIDE_ARG,
    {0},
};

static int
export_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if ((s = compare_side(s, a, err)) == NULL)
        return err->code;
    const char *path = args_str(a, "file");
    const char *what = a->subject->name;
    if (strcmp(what, "gram") == 0) {
        int rc = export_gram(s, path, (long)args_int(a, "layer"), err);
        if (rc == BL_OK)
            out_printf(out, "wrote the %zu x %zu Gram matrix to %s", s->n, s->n, path);
        return rc;
    }
    if (strcmp(what, "weights") == 0) {
        if (s->m == NULL || s->mc->train == NULL || s->mc->train->save == NULL)
            return bl_fail(err, BL_ESTATE, "export weights needs a network: model nn");
        struct wfile w;
        int rc = wfile_open(&w, path, err);
        if (rc != BL_OK)
            return rc;
        if ((rc = s->mc->train->save(s->m, w.f, err)) == BL_OK)
            rc = wfile_commit(&w, err);
        else
            wfile_abort(&w);
        if (rc == BL_OK)
            out_printf(out, "wrote the weights (step %zu) to %s", s->mc->train->steps(s->m),
                       path);
        return rc;
    }
    if (strcmp(what, "draws") == 0) {
        /* The sampler writes by name: let it fill the writer's temporary,
         * which then takes the target's place like every other export. */
        struct wfile w;
        int rc = wfile_open(&w, path, err);
        if (rc == BL_OK && w.to_stdout) {
            wfile_abort(&w);
            rc = sampler_job_export(s->smp, "/dev/stdout", err);
        } else if (rc == BL_OK) {
            rc = sampler_job_export(s->smp, w.tmp, err);
            if (rc == BL_OK)
                rc = wfile_commit(&w, err);
            else
                wfile_abort(&w);
        }
        if (rc == BL_OK)
            out_printf(out, "wrote the draws to %s", path);
        return rc;
    }
    if (strcmp(what, "lens") == 0 || strcmp(what, "bma") == 0 || strcmp(what, "judge") == 0) {
        if (s->inst == NULL || strcmp(instrument_name(s->inst), what) != 0)
            return bl_fail(err, BL_ESTATE, "no %s instrument running", what);
        int rc = instrument_export(s->inst, path, err);
        if (rc == BL_OK)
            out_printf(out, "wrote the %s curves to %s", what, path);
        return rc;
    }
    bool stream = strcmp(what, "stream") == 0;
    int id = stream ? -1 : trace_find(args_str(a, "name"));
    struct wfile w;

    if (s->world == NULL)
        return bl_fail(err, BL_ESTATE, "nothing to export: no data yet");
    if (!stream && !session_has_model(s))
        return bl_fail(err, BL_ESTATE, "no traces: choose a model first (model blr)");
    int rc = wfile_open(&w, path, err);
    if (rc != BL_OK)
        return rc;
    FILE *f = w.f;
    if (stream) {
        for (size_t j = 0; j < s->in_dim; j++)
            fprintf(f, "%s,", world_input_name(s->world, j));
        fprintf(f, "%s\n", world_target_name(s->world));
        for (size_t t = 0; t < s->n; t++) {
            for (size_t j = 0; j < s->in_dim; j++)
                fprintf(f, "%.17g,", s->X[t * s->in_dim + j]);
            fprintf(f, "%.17g\n", s->Y[t]);
        }
    } else {
        fprintf(f, "n,%s\n", trace_info[id].name);
        for (size_t t = 0; t < s->n; t++)
            fprintf(f, "%zu,%.17g\n", t + 1, s->trace[id][t]);
    }
    if ((rc = wfile_commit(&w, err)) == BL_OK)
        out_printf(out, "wrote %zu rows to %s", s->n, path);
    return rc;
}

const struct cmd_entry cmd_export_entry = {
    .name = "export",
    .usage = "export stream|draws|weights|lens|bma|judge FILE | export trace NAME FILE",
    .summary = "write the observed points or a trace as CSV",
    .example = "export trace regret_truth regret.csv",
    .subjects = export_subjects,
    .args = export_args,
    .exec = export_exec,
};
