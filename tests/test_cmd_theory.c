/* tests/test_cmd_theory.c - the theory instruments through the command
 * language (their numerics are tested in test_lens, test_bma, test_judge).
 * Deterministic checks (exact inequalities) and the qualitative claims the
 * lecture scripts make, at fixed seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"
#include "cmd_harness.h"

static void
test_bma(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    const char *cases[] = {
        "seed 2; bma classes=dense,sparse,gp truth=gp d=2 s=1 prompts=10; run 25",
        "seed 3; bma classes=dense,sparse,gp truth=sparse d=4 s=1 prompts=10; run 25",
        "seed 4; bma classes=dense,fourier truth=fourier d=1 freq=2 prompts=10; run 25",
    };
    for (size_t c = 0; c < 3; c++) {
        CHECK(run(s, cases[c], &err) == BL_OK, "%s: %s", cases[c], err.msg);
        struct instrument *in = s->inst;
        size_t t = in->n - 1;
        /* Exact, per prompt and so on average: BMA regret - oracle regret <= log C. */
        double gap = in->bt[BT_REGRET][t] - in->bt[BT_ORACLE_REGRET][t];
        CHECK(gap <= in->bound + 1e-9, "%s: gap %g above log C = %g", cases[c], gap, in->bound);
        /* The posterior locks on the truth's class within 25 examples. */
        double post = in->post[t * in->C + (size_t)in->truth_class];
        CHECK(post > 0.9, "%s: posterior of the true class %g", cases[c], post);
    }
    CHECK(run(s, "bma classes=dense,spline", &err) == BL_EINVAL &&
              strstr(err.msg, "unknown class 'spline'"),
          "unknown class: %s", err.msg);
    CHECK(run(s, "bma classes=dense,fourier truth=dense d=3", &err) == BL_EINVAL &&
              strstr(err.msg, "use d=1"),
          "fourier needs d=1: %s", err.msg);
    CHECK(s->inst != NULL && s->inst->kind == INST_BMA && s->inst->n == 25,
          "a refused instrument keeps the old one");
    session_free(s);
}

static void
test_lens_and_judge(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 3; lens m=20000 d=3; run 500", &err) == BL_OK, "%s", err.msg);
    struct instrument *in = s->inst;
    double rs = in->lt[LT_REGRET_S][499], rc = in->lt[LT_REGRET_C][499];
    double rg = in->lt[LT_REGRET_SGLD][499];
    CHECK(rs < rc / 10, "simple truth learned faster: %g vs %g", rs, rc);
    CHECK(isfinite(rg) && fabs(rg - rs) < 20, "SGLD ensemble near the mixture: %g vs %g", rg,
          rs);
    /* The class's own bound for a truth in it: regret vs the best j <= log M. */
    CHECK(lens_regret_vs(in->ls, lens_best_index(in->ls)) <= in->log_m + 1e-9,
          "regret vs the best hypothesis above log M");
    CHECK(run(s, "seed 5; judge k=64; run 300; show judge", &err) == BL_OK, "%s", err.msg);
    double slope = NAN;
    const char *p = strstr(ob.text, "\nslope = ");
    if (p)
        slope = strtod(p + 9, NULL);
    CHECK(slope < -1.5 && slope > -2.3, "teacher reward: slope %g near -2", slope);
    CHECK(run(s, "judge k=64 reward=misspecified c=3; run 300", &err) == BL_OK, "%s", err.msg);
    size_t kopt = judge_sim_kopt(s->inst->js);
    CHECK(kopt > 1 && kopt < 32, "misspecified reward: finite best k = %zu", kopt);
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_bma();
    test_lens_and_judge();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
