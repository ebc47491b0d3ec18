/* tests/test_cmd_presets.c - `sampler preset=NAME` through the command
 * language: every preset is accepted, sets its kind, target and keys, and
 * shows the failure it is named after at a fixed seed (batch mode, so the
 * numbers are reproducible). The thresholds are far from what the fixed
 * setting gives (in brackets, measured), so they test the signature, not
 * the seed:
 *  step_large         hmc on banana, step 1.5: acceptance < 0.1 and divergences (0, all)
 *  step_small         rwm sigma 0.02: acceptance > 0.85 and R-hat > 1.5 (0.90, 13.6)
 *  modes              rwm: rank-normalized R-hat > 1.3 (1.54); pt on the same preset: R-hat < 1.1 (1.02)
 *  funnel_centered    nuts: divergences > 100 of 4000 (2000)
 *  funnel_noncentered nuts: no divergence, R-hat < 1.05 (1.016)
 *  highdim            rwm in d = 1000: acceptance < 0.05 (0.0125); hmc on the
 *                     same preset: acceptance > 0.6 and R-hat < 1.1 (0.83, 1.003)
 * and the new kinds and targets through the verb: given keys win over the
 * preset's, a kind reading none of a preset's keys gets none of them, and
 * ess refuses a teaching density in one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"

#include "harness.h"
#include "cmd_harness.h"

/* Runs `sampler ARGS; sample N; show sampler` in a fresh session at seed 1
 * and leaves the `show` output in ob. */
static bool
preset(const char *args, int n)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    char line[256];
    snprintf(line, sizeof line, "seed 1; sampler %s", args);
    bool ok = s != NULL && run_fresh(s, line, &err) == BL_OK;
    CHECK(ok, "sampler %s: %s", args, err.msg);
    CHECK(!ok || strstr(ob.text, "preset ") != NULL || strstr(args, "preset") == NULL,
          "sampler %s: says what to look for:\n%s", args, ob.text);
    snprintf(line, sizeof line, "sample %d; show sampler", n);
    ok = ok && run_fresh(s, line, &err) == BL_OK;
    CHECK(ok, "sample after sampler %s: %s", args, err.msg);
    session_free(s);
    return ok;
}

static void
test_presets(void)
{
    if (preset("preset=step_large", 300)) {
        CHECK(strstr(ob.text, "name = hmc") && strstr(ob.text, "target = banana"), "step_large");
        CHECK(shown("acceptance") < 0.1 && shown("divergences") > 0,
              "step_large: acceptance %g, divergences %g", shown("acceptance"),
              shown("divergences"));
        CHECK(shown("step") == 1.5 && shown("leapfrog") == 10, "step_large keys");
    }
    if (preset("preset=step_small", 1000))
        CHECK(shown("acceptance") > 0.85 && shown("rhat_max") > 1.5 && shown("sigma") == 0.02,
              "step_small: acceptance %g, rhat %g", shown("acceptance"), shown("rhat_max"));
    if (preset("preset=modes", 1000))
        /* Rank-normalized R-hat is bounded for chains split between two
         * modes (ranks do not see how far apart they are): about 1.5 for
         * 4 chains, 2 in each, however far apart; 1.01 is the alarm. */
        CHECK(strstr(ob.text, "target = modes") && shown("rhat_max") > 1.3, "modes: rhat %g",
              shown("rhat_max"));
    if (preset("pt preset=modes", 2000))
        CHECK(strstr(ob.text, "name = pt") && shown("rhat_max") < 1.1 && shown("temps") == 6 &&
                  shown("tmax") == 100,
              "pt on modes: rhat %g", shown("rhat_max"));
    if (preset("preset=funnel_centered", 1000))
        CHECK(strstr(ob.text, "name = nuts") && shown("divergences") > 100,
              "funnel_centered: %g divergences", shown("divergences"));
    if (preset("preset=funnel_noncentered", 1000))
        CHECK(strstr(ob.text, "target = funnel_nc") && shown("divergences") == 0 &&
                  shown("rhat_max") < 1.05,
              "funnel_noncentered: %g divergences, rhat %g", shown("divergences"), shown("rhat_max"));
    if (preset("preset=highdim", 200)) {
        CHECK(strstr(ob.text, "target = normal") && shown("dim") == 1000, "highdim: d = 1000");
        CHECK(shown("acceptance") < 0.05, "highdim rwm: acceptance %g", shown("acceptance"));
    }
    if (preset("hmc preset=highdim", 200))
        CHECK(shown("acceptance") > 0.6 && shown("rhat_max") < 1.1 && shown("step") == 0.25,
              "highdim hmc: acceptance %g, rhat %g", shown("acceptance"), shown("rhat_max"));
    /* Given keys win; a preset's keys reach only a kind that reads them. */
    if (preset("preset=step_large step=0.15", 300))
        CHECK(shown("step") == 0.15 && shown("divergences") == 0, "step=0.15 wins: %g divergences",
              shown("divergences"));
    if (preset("slice preset=modes width=2", 50))
        CHECK(strstr(ob.text, "name = slice") && shown("width") == 2 && isnan(shown("sigma")),
              "slice on modes: width 2, no sigma");
    if (preset("preset=highdim dim=10", 50))
        CHECK(shown("dim") == 10, "dim=10 wins");
}

static void
test_kinds_through_the_verb(void)
{
    static const char *const kinds[] = {"am",    "slice", "demcz", "svgd chains=16",
                                        "mclmc", "pt",    "h2mc",  NULL};
    char args[96];
    for (size_t k = 0; kinds[k] != NULL; k++) {
        snprintf(args, sizeof args, "%s target=banana", kinds[k]);
        if (preset(args, 100))
            CHECK(shown("iterations") == 100 && shown("nonfinite") == 0, "%s: %s", args, ob.text);
    }
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run_fresh(s, "sampler ess target=banana", &err) == BL_EINVAL &&
              strstr(err.msg, "ess needs a Gaussian prior") != NULL &&
              strstr(err.msg, "not banana (use slice, rwm or nuts)") != NULL,
          "ess on banana: %s", err.msg);
    CHECK(run_fresh(s, "sampler svgd target=banana chains=8", &err) == BL_OK &&
              strstr(ob.text, "8 chains are svgd's particles") != NULL,
          "svgd says its chains are particles: %s", ob.text);
    CHECK(run_fresh(s,
                    "seed 1; data linear d=2 noise=0.3; model blr; observe 30; sampler ess; "
                    "sample 300; show sampler",
                    &err) == BL_OK,
          "ess on the blr posterior: %s", err.msg);
    CHECK(shown("rhat_max") < 1.1 && shown("acceptance") == 1, "ess: rhat %g", shown("rhat_max"));
    CHECK(run_fresh(s, "model nig; sampler ess", &err) == BL_EINVAL &&
              strstr(err.msg, "not the nig posterior") != NULL,
          "ess on nig: %s", err.msg);
    CHECK(run_fresh(s, "sampler", &err) == BL_EINVAL && strstr(err.msg, "preset=") != NULL,
          "no kind: %s", err.msg);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_presets();
    test_kinds_through_the_verb();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
