/* commands/cmd_data.c - "data SUBJECT ...": choose where data comes from.
 * Synthetic worlds (linear, sparse, fourier) draw their truth from the session
 * seed; `load` and `builtin` replay a table's rows in order. A refused file or
 * bad option leaves the previous world and stream untouched. */
#include "commands/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "commands/session.h"
#include "datasets/builtin.h"
#include "datasets/csv.h"
#include "core/base/rng.h"

static const char *const input_choices[] = {"gaussian", "uniform", NULL};
static const char *const yesno[] = {"no", "yes", NULL};
static const char *const builtin_choices[] = {"breast_cancer", "co2_monthly", "diabetes",
                                              "sunspots_yearly", NULL};

#define NOISE_MIN 1e-20 /* 1/noise^2 <= 1e40, inside model blr's beta range */
#define NU_MIN 0.1

#define NOISE_ARGS                                                                             \
    {.name = "noise",                                                                          \
     .type = ARG_REAL,                                                                         \
     .min = 0,                                                                                 \
     .max = 1e6,                                                                               \
     .def = "0.1",                                                                             \
     .help = "noise scale (sd when Gaussian); 0 or >= 1e-20"},                                                \
        {.name = "nu",                                                                         \
         .type = ARG_REAL,                                                                     \
         .min = 0,                                                                             \
         .max = 1e6,                                                                           \
         .def = "0",                                                                           \
         .help = "Student-t noise with nu dof; 0 = Gaussian, else >= 0.1"},                                 \
    {                                                                                          \
        .name = "wscale", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e50, .def = "1", \
        .help = "sd of the drawn true weights",                                                \
        .why = "above 1e50 the squares of y overflow in the models' evidence"                  \
    }

#define INPUTS_ARG                                                                          \
    {.name = "inputs", .type = ARG_CHOICE, .choices = input_choices, .def = "gaussian",     \
     .help = "x ~ N(0, I) or U[-1,1]^d"}

static const struct arg_spec linear_args[] = {
    {.name = "d",
     .type = ARG_INT,
     .min = 1,
     .max = WORLD_MAX_DIM,
     .def = "1",
     .help = "input dimension"},
    NOISE_ARGS,
    INPUTS_ARG,
    {.name = "w", .type = ARG_VEC, .help = "true weights (d numbers) instead of drawing them"},
    {0},
};

static const struct arg_spec sparse_args[] = {
    {.name = "d",
     .type = ARG_INT,
     .min = 1,
     .max = WORLD_MAX_DIM,
     .def = "10",
     .help = "input dimension"},
    {.name = "s",
     .type = ARG_INT,
     .min = 1,
     .max = WORLD_MAX_DIM,
     .def = "2",
     .help = "non-zero weights (<= d)"},
    NOISE_ARGS,
    INPUTS_ARG,
    {0},
};

static const struct arg_spec fourier_args[] = {
    {.name = "k", .type = ARG_INT, .min = 0, .max = 200, .def = "3", .help = "highest frequency K",
     .alias = "m"},
    NOISE_ARGS,
    {0},
};

#define TABLE_ARGS                                                                         \
    {.name = "y",                                                                          \
     .type = ARG_STR,                                                                      \
     .help = "target column, name or 0-based index (default: last)"},                      \
        {.name = "x",                                                                      \
         .type = ARG_STR,                                                                  \
         .help = "input columns, comma-separated names or indices (default: all others)"}, \
    {                                                                                      \
        .name = "standardize", .type = ARG_CHOICE, .choices = yesno, .def = "no",          \
        .help = "z-score every column"                                                     \
    }

static const struct arg_spec load_args[] = {
    {.name = "file",
     .type = ARG_FILE,
     .positional = 1,
     .required = 1,
     .help = "CSV with a header row, numeric cells"},
    TABLE_ARGS,
    {0},
};

static const struct arg_spec builtin_args[] = {
    {.name = "name",
     .type = ARG_CHOICE,
     .positional = 1,
     .required = 1,
     .choices = builtin_choices,
     .help = "data set"},
    TABLE_ARGS,
    {0},
};

static const struct subject_spec data_subjects[] = {
    {"linear", "y = w.x + noise, w drawn from N(0, wscale^2 I) or given", linear_args,
     "data linear d=3 noise=0.1"},
    {"sparse", "linear with s non-zero weights at random positions", sparse_args,
     "data sparse d=20 s=3"},
    {"fourier", "1-D x ~ U[-1,1], y = a0 + sum_k a_k cos(pi k x) + b_k sin(pi k x) + noise",
     fourier_args, "data fourier k=4 noise=0.2 nu=3"},
    {"load", "a CSV file: one row per point, streamed in file order", load_args,
     "data load points.csv y=price x=size,rooms"},
    {"builtin", "a classic data set shipped with bayeslens", builtin_args,
     "data builtin sunspots_yearly standardize=yes"},
    {0},
};

/* Resolve y= and x= against the table's columns. */
static int
pick_columns(const table *t, const struct cmd_args *a, size_t *ycol, size_t **xcols, size_t *nx,
             bl_err *err)
{
    const char *ys = args_str(a, "y"), *xs = args_str(a, "x");
    long y = ys ? table_column(t, ys) : (long)t->cols - 1;
    if (y < 0)
        return bl_fail(err, BL_EINVAL, "y=%s: no such column in %s", ys, t->source);
    if (t->cols < 2 && xs == NULL)
        return bl_fail(err, BL_EINVAL, "%s has one column: nothing left for the inputs", t->source);
    size_t *cols = malloc(t->cols * sizeof *cols), n = 0;
    if (cols == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    if (xs == NULL) {
        for (size_t j = 0; j < t->cols; j++)
            if ((long)j != y)
                cols[n++] = j;
    } else {
        char *copy = strdup(xs), *save = NULL;
        if (copy == NULL) {
            free(cols);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            long c = table_column(t, tok);
            if (c < 0 || c == y || n >= t->cols) {
                bl_fail(err, BL_EINVAL,
                        c < 0 ? "x=%s: no column '%s' in %s"
                              : "x=%s: column '%s' is the target or repeated (%s)",
                        xs, tok, t->source);
                free(copy);
                free(cols);
                return BL_EINVAL;
            }
            for (size_t k = 0; k < n; k++)
                if (cols[k] == (size_t)c) {
                    bl_fail(err, BL_EINVAL, "x=%s: column '%s' given twice", xs, tok);
                    free(copy);
                    free(cols);
                    return BL_EINVAL;
                }
            cols[n++] = (size_t)c;
        }
        free(copy);
        if (n == 0) {
            free(cols);
            return bl_fail(err, BL_EINVAL, "x=%s: no input columns", xs);
        }
    }
    *ycol = (size_t)y;
    *xcols = cols;
    *nx = n;
    return BL_OK;
}

static int
data_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    const char *what = a->subject->name;
    world *w = NULL;
    gsl_rng *rng = NULL;

    if (strcmp(what, "load") == 0 || strcmp(what, "builtin") == 0) {
        table *t = what[0] == 'l' ? csv_load(args_str(a, "file"), err)
                                  : builtin_load(args_str(a, "name"), err);
        if (t == NULL)
            return err ? err->code : BL_EINVAL;
        if (strcmp(args_str(a, "standardize"), "yes") == 0)
            table_standardize(t);
        size_t ycol = 0, nx = 0, *xcols = NULL;
        int rc = pick_columns(t, a, &ycol, &xcols, &nx, err);
        if (rc != BL_OK) {
            table_free(t);
            return rc;
        }
        w = world_from_table(t, ycol, xcols, nx, err);
        free(xcols);
    } else {
        world_opts o = {
            .noise = args_real(a, "noise"),
            .nu = args_real(a, "nu"),
            .wscale = args_real(a, "wscale"),
        };
        /* 0 means noiseless and Gaussian; just above 0 the numbers break. */
        if (o.noise > 0 && o.noise < NOISE_MIN)
            return bl_fail(err, BL_EINVAL,
                           "noise=%s: must be 0 or in %g..1e+06: below that the models' noise "
                           "precision 1/noise^2 overflows",
                           args_str(a, "noise"), NOISE_MIN);
        if (o.nu > 0 && o.nu < NU_MIN)
            return bl_fail(err, BL_EINVAL,
                           "nu=%s: must be 0 (Gaussian) or in %g..1e+06: below that the "
                           "Student-t draws (|y| ~ u^(-1/nu)) overflow",
                           args_str(a, "nu"), NU_MIN);
        if (strcmp(what, "fourier") == 0) {
            o.kind = WORLD_FOURIER;
            o.d = 1;
            o.k = (size_t)args_int(a, "k");
        } else {
            o.kind = what[0] == 'l' ? WORLD_LINEAR : WORLD_SPARSE;
            o.d = (size_t)args_int(a, "d");
            o.input = strcmp(args_str(a, "inputs"), "uniform") == 0 ? WORLD_INPUT_UNIFORM
                                                                    : WORLD_INPUT_GAUSSIAN;
            if (o.kind == WORLD_SPARSE)
                o.s = (size_t)args_int(a, "s");
            else if (args_given(a, "w")) {
                o.w = args_vec(a, "w", &o.w_len);
                if (o.w_len != o.d)
                    return bl_fail(err, BL_EINVAL, "w= has %zu numbers but d=%zu", o.w_len, o.d);
            }
        }
        /* A new world restarts its stream from the seed: same script, same data.
         * Its own generator, so that a refused world leaves the old stream as it was. */
        rng = gsl_rng_alloc(bl_rng_mt19937);
        if (rng == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        gsl_rng_set(rng, s->seed);
        w = world_alloc(&o, rng, err);
    }
    if (w == NULL) {
        gsl_rng_free(rng);
        return err ? err->code : BL_EINVAL;
    }
    int rc = session_set_world(s, w, rng, err);
    if (rc == BL_OK)
        out_printf(out, "world: %s", world_describe(s->world));
    return rc;
}

const struct cmd_entry cmd_data_entry = {
    .name = "data",
    .usage = "data linear|sparse|fourier|load|builtin ...",
    .summary = "choose where data comes from (a synthetic world or a data set)",
    .detail = "A new world clears the stream; the model keeps its options and starts from its "
              "prior. A file that cannot be loaded changes nothing.",
    .example = "data linear d=3 noise=0.1",
    .subjects = data_subjects,
    .exec = data_exec,
};
