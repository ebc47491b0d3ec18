/* commands/cmd_model.c - "model blr|nig ...": the Bayesian model conditioned
 * on the stream. Changing the model replays the stream through it (O(n d^2)),
 * so its traces always describe the data seen so far. */
#include "commands/cmd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "commands/session.h"
#include "core/kernel/kernel.h"
#include "core/kernel/nngp.h"

static const char *const feat_choices[] = {"identity", "poly", "rbf", "fourier", "relu", NULL};
static const char *const yesno[] = {"no", "yes", NULL};

#define FEATURE_ARGS                                                                       \
    {.name = "features", .type = ARG_CHOICE, .choices = feat_choices, .def = "identity",  \
     .help = "feature map phi(x)"},                                                       \
    {.name = "bias", .type = ARG_CHOICE, .choices = yesno, .def = "no",                   \
     .help = "identity/relu: prepend a constant feature"},                                \
    {.name = "degree", .type = ARG_INT, .min = 0, .max = 30, .def = "3",                  \
     .help = "poly: degree p (Legendre basis above 6)"},                                  \
    {.name = "m", .type = ARG_INT, .min = 1, .max = FEAT_MAX_DIM, .def = "10",            \
     .help = "rbf: centres; fourier: frequencies K; relu: units"},                        \
    {.name = "ls", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e308,               \
     .help = "rbf: lengthscale on the [-1,1] scale (default 2/m)"}

static const char *const act_choices[] = {"relu", "erf", "tanh", "gelu", "silu", "sin",
                                          "leaky_relu", "abs", NULL};

#define KERNEL_ARGS                                                                        \
    {.name = "kernel", .type = ARG_STR, .def = "rbf",                                      \
     .help = "kernel spec, e.g. \"rbf(ls=0.5) + periodic(period=11)\", or nngp"},          \
    {.name = "noise", .type = ARG_REAL, .min = 0, .max = 1e6,                              \
     .help = "noise sd (default: the world's when known, else 0.1)"},                      \
    {.name = "act", .type = ARG_CHOICE, .choices = act_choices, .def = "relu",             \
     .help = "kernel=nngp: activation"},                                                  \
    {.name = "depth", .type = ARG_INT, .min = 1, .max = NNGP_MAX_DEPTH, .def = "3",       \
     .help = "kernel=nngp: hidden layers L"},                                             \
    {.name = "sw2", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",    \
     .help = "kernel=nngp: weight variance"},                                             \
    {.name = "sb2", .type = ARG_REAL, .min = 0, .max = 1e6, .def = "0.1",                 \
     .help = "kernel=nngp: bias variance"},                                               \
    {.name = "ntk", .type = ARG_CHOICE, .choices = yesno, .def = "no",                    \
     .help = "kernel=nngp: the neural tangent kernel instead"},                           \
    {.name = "order", .type = ARG_INT, .min = 2, .max = NNGP_GH_MAX, .def = "80",         \
     .help = "kernel=nngp: Gauss-Hermite nodes per axis (tanh, gelu, silu, sin)"}

static const struct arg_spec gp_args[] = {
    KERNEL_ARGS,
    {0},
};

static const char *const prior_choices[] = {"invgamma", "gamma", "burr12", "halfcauchy", NULL};

static const struct arg_spec tp_args[] = {
    KERNEL_ARGS,
    {.name = "prior", .type = ARG_CHOICE, .choices = prior_choices, .def = "invgamma",
     .help = "prior of the output scale s (invgamma: the Student-t process)"},
    {.name = "a", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e308, .def = "2",
     .help = "invgamma / gamma: shape"},
    {.name = "b", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e308, .def = "2",
     .help = "invgamma: scale b (E s = b/(a-1)); gamma: scale"},
    {.name = "c", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "2",
     .help = "burr12: c"},
    {.name = "d", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "1",
     .help = "burr12: d"},
    {.name = "scale", .type = ARG_REAL, .open_min = 1, .min = 0, .max = 1e6, .def = "1",
     .help = "halfcauchy: scale of sqrt(s)"},
    {0},
};

static const struct arg_spec blr_args[] = {
    FEATURE_ARGS,
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
    FEATURE_ARGS,
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

static const struct subject_spec model_subjects[] = {
    {"blr", "Bayesian linear regression, known noise precision beta", blr_args,
     "model blr alpha=1 beta=100"},
    {"nig", "BLR with unknown noise: Normal-Inverse-Gamma prior, Student-t predictive", nig_args,
     "model nig v0=2 a0=2 b0=0.5 features=poly degree=2"},
    {"gp", "Gaussian process regression with any kernel (classic, sums, products, NNGP/NTK)",
     gp_args, "model gp kernel=nngp act=relu depth=5"},
    {"tp", "scale mixture of a GP: Student-t process (invgamma) or another scale prior", tp_args,
     "model tp kernel=\"rbf(ls=0.2)\" a=2 b=2"},
    {0},
};

/* The gp and tp subjects: a kernel spec (or the nngp shortcut keys). */
static int
gp_model(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    bool tp = strcmp(a->subject->name, "tp") == 0;
    struct gp_setup gs = {0};
    const char *spec = args_str(a, "kernel");
    if (strcmp(spec, "nngp") == 0 || strcmp(spec, "ntk") == 0) {
        gs.nngp = true;
        gs.nn = nngp_opts_default();
        if (nngp_act_parse(args_str(a, "act"), &gs.nn.act, err) != BL_OK)
            return BL_EINVAL;
        gs.nn.depth = (size_t)args_int(a, "depth");
        gs.nn.sw2 = args_real(a, "sw2");
        gs.nn.sb2 = args_real(a, "sb2");
        gs.nn.gh_order = (size_t)args_int(a, "order");
        bool ntk = strcmp(spec, "ntk") == 0 || strcmp(args_str(a, "ntk"), "yes") == 0;
        snprintf(gs.kernel, sizeof gs.kernel, "nngp(act=%s, depth=%zu, sw2=%.10g, sb2=%.10g, "
                 "order=%zu, ntk=%d)",
                 args_str(a, "act"), gs.nn.depth, gs.nn.sw2, gs.nn.sb2, gs.nn.gh_order, ntk);
    } else {
        if (strlen(spec) >= sizeof gs.kernel)
            return bl_fail(err, BL_EINVAL, "kernel: spec longer than %zu characters",
                           sizeof gs.kernel - 1);
        snprintf(gs.kernel, sizeof gs.kernel, "%s", spec);
    }
    if (args_given(a, "noise"))
        gs.noise = args_real(a, "noise");
    else if (s->world != NULL && world_knows_truth(s->world) && world_noise(s->world) > 0)
        gs.noise = world_noise(s->world);
    else
        gs.noise = 0.1;
    if (tp) {
        const char *p = args_str(a, "prior");
        if (strcmp(p, "invgamma") == 0)
            gs.prior = (gp_scale_prior){GP_SCALE_INVGAMMA, args_real(a, "a"), args_real(a, "b")};
        else if (strcmp(p, "gamma") == 0)
            gs.prior = (gp_scale_prior){GP_SCALE_GAMMA, args_real(a, "a"), args_real(a, "b")};
        else if (strcmp(p, "burr12") == 0)
            gs.prior = (gp_scale_prior){GP_SCALE_BURR12, args_real(a, "c"), args_real(a, "d")};
        else
            gs.prior = (gp_scale_prior){GP_SCALE_HALFCAUCHY, args_real(a, "scale"), 0};
        if (gp_scale_prior_check(&gs.prior, err) != BL_OK)
            return BL_EINVAL;
    }
    /* Parse the kernel now, so a bad spec is refused even before data exist. */
    kernel *k = kernel_parse(gs.kernel, s->world ? s->in_dim : 1, err);
    if (k == NULL)
        return err ? err->code : BL_EINVAL;
    kernel_free(k);
    int rc = session_set_model(s, tp ? MODEL_TP : MODEL_GP, NULL, NULL, &gs, err);
    if (rc == BL_OK) {
        char buf[700];
        session_describe_model(s, buf, sizeof buf);
        out_printf(out, "model: %s (n = %zu)", buf, s->n);
    }
    return rc;
}

static int
model_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    if (strcmp(a->subject->name, "gp") == 0 || strcmp(a->subject->name, "tp") == 0)
        return gp_model(s, a, out, err);
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
    int rc = session_set_model(s, nig ? MODEL_NIG : MODEL_BLR, &bo, &fo, NULL, err);
    if (rc == BL_OK) {
        char buf[256];
        session_describe_model(s, buf, sizeof buf);
        if (session_has_model(s))
            out_printf(out, "model: %s (dim %zu, n = %zu)", buf, s->dim, s->n);
        else
            out_printf(out, "model: %s (built when data arrives)", buf);
    }
    return rc;
}

const struct cmd_entry cmd_model_entry = {
    .name = "model",
    .usage = "model blr|nig|gp|tp [key=value...]",
    .summary = "the Bayesian model conditioned on the stream",
    .detail = "Feature maps rescale each input coordinate to [-1,1] over the world's range "
              "(poly, rbf, fourier). The stream seen so far is replayed through a new model.",
    .example = "model blr alpha=2 beta=25 features=poly degree=3",
    .subjects = model_subjects,
    .exec = model_exec,
};
