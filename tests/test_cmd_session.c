/* tests/test_cmd_session.c - the session through the command language:
 * what the `show` figures must equal (independent computations), that failed
 * commands keep everything loaded, that a model change replays the stream,
 * and that an interrupt keeps the points that arrived. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "harness.h"
#include "cmd_harness.h"

static void
test_regret_identities(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 3; data linear d=4 noise=0.2; model blr alpha=2; observe 300", &err) ==
              BL_OK,
          "%s", err.msg);
    CHECK_REL(blr_options(s->blr)->beta, 25, 1e-12); /* the world's noise precision 1/0.2^2 */
    /* Chain rule: cumulative log-loss == -log evidence (closed form), 1e-9. */
    double cum = s->trace[TR_CUM_LOGLOSS][s->n - 1];
    CHECK_REL(cum, -blr_log_evidence(s->blr), 1e-9);
    /* regret_truth recomputed independently from the stream and the truth. */
    double truth_loss = 0;
    for (size_t t = 0; t < s->n; t++) {
        double mu = world_mean(s->world, s->X + t * s->in_dim), r = s->Y[t] - mu;
        truth_loss += 0.5 * log(2 * M_PI * 0.04) + r * r / (2 * 0.04);
    }
    CHECK_REL(s->trace[TR_REGRET_TRUTH][s->n - 1], cum - truth_loss, 1e-9);
    /* Hindsight: least squares by normal equations (d = 4, well conditioned). */
    const double *w = blr_mean(s->blr);
    (void)w;
    double loss_ml;
    {
        gsl_matrix_view G = gsl_matrix_view_array((double *)blr_gram(s->blr), 4, 4);
        gsl_matrix *Gc = gsl_matrix_alloc(4, 4);
        gsl_vector *b = gsl_vector_alloc(4), *x = gsl_vector_alloc(4);
        gsl_matrix_memcpy(Gc, &G.matrix);
        for (int i = 0; i < 4; i++)
            gsl_vector_set(b, (size_t)i, blr_xty(s->blr)[i]);
        gsl_linalg_cholesky_decomp1(Gc);
        gsl_linalg_cholesky_solve(Gc, b, x);
        loss_ml = blr_loss_at(s->blr, x->data);
        gsl_matrix_free(Gc);
        gsl_vector_free(b);
        gsl_vector_free(x);
    }
    CHECK_REL(s->trace[TR_REGRET_HINDSIGHT][s->n - 1], cum - loss_ml, 1e-8);
    /* The bound holds for the truth; the closed form is an expectation, so
     * only its order is checked here (its value is tested in test_regret). */
    CHECK(s->trace[TR_REGRET_TRUTH][s->n - 1] <= s->trace[TR_BOUND][s->n - 1] + 1e-9,
          "regret vs truth %g exceeds its bound %g", s->trace[TR_REGRET_TRUTH][s->n - 1],
          s->trace[TR_BOUND][s->n - 1]);
    /* show regret prints the last trace values. */
    run(s, "show regret", &err);
    CHECK_REL(shown("regret_truth"), s->trace[TR_REGRET_TRUTH][s->n - 1], 1e-9);
    CHECK_REL(shown("cum_logloss"), cum, 1e-9);
    CHECK(shown("n") == 300, "n shown");
    session_free(s);
}

/* The block path draws the next block's points while the model takes the
 * current one (docs/blocks.md, Drawing ahead): the stream and every trace
 * must be the same bits as when the points are drawn inline (no model yet,
 * then a replay, which cuts the stream into the same blocks), and as when
 * they come in several observe calls. d = 40: 40 x 256 inputs per block,
 * above PREFETCH_MIN, so the points are drawn ahead. */
static void
test_drawn_ahead(void)
{
    bl_err err;
    struct session *a = session_alloc(&err), *b = session_alloc(&err), *c = session_alloc(&err);
    CHECK(run(a, "seed 7; data linear d=40 noise=0.3; model blr; observe 1000", &err) == BL_OK,
          "%s", err.msg);
    CHECK(run(b, "seed 7; data linear d=40 noise=0.3; observe 1000; model blr", &err) == BL_OK,
          "%s", err.msg);
    CHECK(run(c, "seed 7; data linear d=40 noise=0.3; model blr; observe 300; observe 700",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(a->n == 1000 && b->n == 1000 && c->n == 1000, "n: %zu %zu %zu", a->n, b->n, c->n);
    CHECK(memcmp(a->X, b->X, 1000 * 40 * sizeof *a->X) == 0 &&
              memcmp(a->Y, b->Y, 1000 * sizeof *a->Y) == 0,
          "points drawn ahead differ from points drawn inline");
    CHECK(memcmp(a->X, c->X, 1000 * 40 * sizeof *a->X) == 0 &&
              memcmp(a->Y, c->Y, 1000 * sizeof *a->Y) == 0,
          "points drawn ahead differ across observe calls");
    size_t bad = 0;
    for (int k = 0; k < TR_COUNT; k++)
        for (size_t i = 0; i < 1000; i++) {
            double x = a->trace[k][i], y = b->trace[k][i];
            bad += !(memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y)));
        }
    CHECK(bad == 0, "%zu trace values differ from the replay's", bad);
    session_free(a);
    session_free(b);
    session_free(c);
}

static void
test_replay(void)
{
    bl_err err;
    struct session *a = session_alloc(&err), *b = session_alloc(&err);
    /* Model first then data, vs data first then model: same posterior. */
    CHECK(run(a, "seed 5; model blr alpha=3 beta=10 features=poly degree=4; data fourier k=2; "
                 "observe 50",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(run(b, "seed 5; data fourier k=2; observe 50; model blr alpha=3 beta=10 "
                 "features=poly degree=4",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(a->dim == 5 && b->dim == 5, "poly(4) has 5 features");
    for (size_t i = 0; i < a->dim; i++)
        CHECK_REL(blr_mean(a->blr)[i], blr_mean(b->blr)[i], 1e-12);
    for (int k = 0; k < TR_COUNT; k++) {
        double x = a->trace[k][49], y = b->trace[k][49];
        CHECK((isnan(x) && isnan(y)) || fabs(x - y) <= 1e-10 * (1 + fabs(x)),
              "trace %s differs after replay: %g vs %g", trace_info[k].name, x, y);
    }
    /* Fourier features with m >= k contain the truth: closed form defined. */
    CHECK(run(b, "model blr alpha=1 features=fourier m=3", &err) == BL_OK, "%s", err.msg);
    CHECK(b->wstar != NULL && !isnan(b->trace[TR_REGRET_CLOSED][49]), "truth in fourier model");
    CHECK(run(b, "model blr features=fourier m=1", &err) == BL_OK && b->wstar == NULL &&
              isnan(b->trace[TR_REGRET_CLOSED][49]),
          "fourier m < k cannot express the truth");
    /* Identity with bias: truth gets a leading 0. */
    CHECK(run(b, "data linear d=2 w=0.5,-1; model blr bias=yes; observe 5", &err) == BL_OK,
          "%s", err.msg);
    CHECK(b->wstar && b->dim == 3 && b->wstar[0] == 0 && b->wstar[1] == 0.5 &&
              b->wstar[2] == -1,
          "bias-padded truth");
    session_free(a);
    session_free(b);
}

static void
test_state_survives(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "data load \"%s\"; model nig; observe 1", test_path("data/good.csv"));
    CHECK(run(s, cmd, &err) == BL_OK, "%s", err.msg);
    size_t n = s->n;
    world *w = s->world;
    const char *bad[][2] = {{"data/ragged.csv", ""},     {"data/nan.csv", ""},
                            {"data/binary_nul.csv", ""}, {"data/empty.csv", ""},
                            {"data/good.csv", " y=nope"}, {"data/good.csv", " x=1,1"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(cmd, sizeof cmd, "data load \"%s\"%s", test_path(bad[i][0]), bad[i][1]);
        CHECK(run(s, cmd, &err) != BL_OK, "'%s' accepted", cmd);
        CHECK(s->world == w && s->n == n && s->mc == model_find("nig") && s->blr != NULL,
              "'%s' lost the loaded state", cmd);
    }
    const char *also_bad[] = {"data load /no/such/file.csv", "model blr features=rbf ls=0"};
    for (size_t i = 0; i < sizeof also_bad / sizeof *also_bad; i++) {
        CHECK(run(s, also_bad[i], &err) != BL_OK, "'%s' accepted", also_bad[i]);
        CHECK(s->world == w && s->n == n && s->mc == model_find("nig") && s->blr != NULL,
              "'%s' lost the loaded state", also_bad[i]);
    }
    snprintf(cmd, sizeof cmd, "data load \"%s\"", test_path("data/ragged.csv"));
    CHECK(run(s, cmd, &err) != BL_OK && strstr(err.msg, "ragged.csv:") &&
              strstr(err.msg, "cells"),
          "ragged message names file and line: %s", err.msg);
    /* A table world runs out: the points that arrived stay. */
    size_t rows = world_remaining(s->world);
    CHECK(run(s, "observe 1000", &err) == BL_ESTATE && s->n == n + rows,
          "exhausted after %zu rows: n = %zu (%s)", rows, s->n, err.msg);
    CHECK(strstr(err.msg, "exhausted") != NULL, "message: %s", err.msg);
    session_free(s);
}

static void
test_interrupt(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    bl_cancel flag = 0;
    s->cancel = &flag;
    run(s, "data linear d=3; model blr; observe 10", &err);
    flag = 1;
    CHECK(run(s, "observe 1000", &err) == BL_ECANCEL && s->n == 10, "interrupt keeps n = %zu",
          s->n);
    CHECK(strstr(err.msg, "interrupted after 0 of 1000 points") != NULL, "%s", err.msg);
    /* An interrupted refit (model change) restores the old model and traces. */
    double m0 = blr_mean(s->blr)[0], t0 = s->trace[TR_CUM_LOGLOSS][9];
    CHECK(run(s, "model blr alpha=7 features=poly", &err) == BL_ECANCEL, "refit interrupted");
    CHECK(blr_options(s->blr)->alpha == 1 && features_options(s->feat)->kind == FEAT_IDENTITY && s->dim == 3 &&
              blr_mean(s->blr)[0] == m0 && s->trace[TR_CUM_LOGLOSS][9] == t0,
          "old model restored after an interrupted refit");
    flag = 0;
    CHECK(run(s, "observe 5", &err) == BL_OK && s->n == 15, "carries on after an interrupt");
    session_free(s);
}

static void
test_optimize(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "optimize", &err) == BL_ESTATE, "optimize without a model");
    CHECK(run(s, "seed 2; data linear d=5 noise=0.3; model blr alpha=0.1 beta=1; observe 400; "
                 "optimize",
              &err) == BL_OK,
          "%s", err.msg);
    /* At the optimum the evidence is stationary: nudging alpha or beta lowers it. */
    double best = blr_log_evidence(s->blr), a = blr_options(s->blr)->alpha, b = blr_options(s->blr)->beta;
    char line[128];
    snprintf(line, sizeof line, "model blr alpha=%.17g beta=%.17g", a * 1.05, b);
    run(s, line, &err);
    CHECK(blr_log_evidence(s->blr) < best, "alpha*1.05 gives higher evidence");
    snprintf(line, sizeof line, "model blr alpha=%.17g beta=%.17g", a, b * 0.95);
    run(s, line, &err);
    CHECK(blr_log_evidence(s->blr) < best, "beta*0.95 gives higher evidence");
    CHECK(fabs(b - 1 / 0.09) < 0.2 * b, "beta %g near the true 11.1", b);
    session_free(s);
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    out_buffer_init(&ob);
    test_regret_identities();
    test_drawn_ahead();
    test_replay();
    test_state_survives();
    test_interrupt();
    test_optimize();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
