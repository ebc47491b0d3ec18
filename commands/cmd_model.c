/* commands/cmd_model.c - "model blr|nig ...": the Bayesian model conditioned
 * on the stream. Changing the model replays the stream through it (O(n d^2)),
 * so its traces always describe the data seen so far. */
#include "cmd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands/session.h"

static const char *const feat_choices[] = {"identity", "poly", "rbf", "fourier", "relu", NULL};
static const char *const yesno[] = {"no", "yes", NULL};

static const struct arg_spec blr_args[] = {
    {.name = "alpha",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .def = "1",
     .help = "prior precision of the weights, w ~ N(0, I/alpha)"},
    {.name = "beta",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .help = "noise precision (default: the world's 1/noise^2 when known, else 1)"},
    {0},
};

static const struct arg_spec nig_args[] = {
    {.name = "v0",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .def = "1",
     .help = "prior scale, w | s2 ~ N(0, s2 v0 I)"},
    {.name = "a0",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .def = "1",
     .help = "noise variance prior s2 ~ IG(a0, b0): shape"},
    {.name = "b0",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .def = "1",
     .help = "noise variance prior: scale"},
    {0},
};

static const struct arg_spec model_args[] = {
    {.name = "features",
     .type = ARG_CHOICE,
     .choices = feat_choices,
     .def = "identity",
     .help = "feature map phi(x)"},
    {.name = "bias",
     .type = ARG_CHOICE,
     .choices = yesno,
     .def = "no",
     .help = "identity/relu: prepend a constant feature"},
    {.name = "degree",
     .type = ARG_INT,
     .min = 0,
     .max = 30,
     .def = "3",
     .help = "poly: degree p (Legendre basis above 6)"},
    {.name = "m",
     .type = ARG_INT,
     .min = 1,
     .max = FEAT_MAX_DIM,
     .def = "10",
     .help = "rbf: centres; fourier: frequencies K; relu: units"},
    {.name = "ls",
     .type = ARG_REAL,
     .open_min = 1,
     .min = 0,
     .max = 1e308,
     .help = "rbf: lengthscale on the [-1,1] scale (default 2/m)"},
    {0},
};

static const struct subject_spec model_subjects[] = {
    {"blr", "Bayesian linear regression, known noise precision beta", blr_args,
     "model blr alpha=1 beta=100"},
    {"nig", "BLR with unknown noise: Normal-Inverse-Gamma prior, Student-t predictive", nig_args,
     "model nig v0=2 a0=2 b0=0.5 features=poly degree=2"},
    {0},
};

static int
model_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    bool nig = strcmp(a->subject->name, "nig") == 0;
    blr_opts bo = s->bopts;
    feat_opts fo = {0};

    if (nig) {
        bo.kind = BLR_NIG;
        bo.v0 = args_real(a, "v0");
        bo.a0 = args_real(a, "a0");
        bo.b0 = args_real(a, "b0");
    } else {
        bo.kind = BLR_KNOWN;
        bo.alpha = args_real(a, "alpha");
        if (args_given(a, "beta")) {
            bo.beta = args_real(a, "beta");
        } else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0 &&
                   world_nu(s->world) == 0) {
            double sd = world_noise(s->world);
            bo.beta = 1 / (sd * sd);
        } else {
            bo.beta = 1;
        }
    }
    fo.kind = (feat_kind)features_kind_parse(args_str(a, "features"));
    fo.bias = strcmp(args_str(a, "bias"), "yes") == 0;
    fo.degree = (size_t)args_int(a, "degree");
    fo.m = (size_t)args_int(a, "m");
    fo.lengthscale = args_has(a, "ls") ? args_real(a, "ls") : 0;
    fo.seed = s->seed;
    int rc = session_set_model(s, nig ? MODEL_NIG : MODEL_BLR, &bo, &fo, err);
    if (rc == BL_OK) {
        char buf[256];
        session_describe_model(s, buf, sizeof buf);
        if (s->blr != NULL)
            out_printf(out, "model: %s (dim %zu, n = %zu)", buf, s->dim, s->n);
        else
            out_printf(out, "model: %s (built when data arrives)", buf);
    }
    return rc;
}

const struct cmd_entry cmd_model_entry = {
    .name = "model",
    .usage = "model blr|nig [key=value...]",
    .summary = "the Bayesian model conditioned on the stream",
    .detail = "Feature maps rescale each input coordinate to [-1,1] over the world's range "
              "(poly, rbf, fourier). The stream seen so far is replayed through a new model.",
    .example = "model blr alpha=2 beta=25 features=poly degree=3",
    .subjects = model_subjects,
    .args = model_args,
    .exec = model_exec,
};
