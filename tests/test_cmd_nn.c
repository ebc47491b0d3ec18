/* tests/test_cmd_nn.c - `model nn`, `train`, `show nn`, `export weights`,
 * `model nn load=`, `export gram` for a network, through the command language.
 * Independent checks: layer 1's empirical kernel is sw2 x.x'/d + sb2, the
 * NNGP's layer 1 by definition (docs/nn.md), so the two exports agree
 * exactly; at width 4096 the output layer's empirical kernel at
 * initialization is within Monte Carlo error of the NNGP's (relative
 * Frobenius error ~ sqrt(L / width) = 2%, checked at 10%); a saved and
 * reloaded network predicts the same bits; training lowers the training
 * loss; a replay rebuilds the net from its seed; bad input fails with one
 * line and changes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"
#include "cmd_harness.h"

static double *
read_csv(const char *path, size_t n)
{
    FILE *f = fopen(path, "r");
    double *K = malloc(n * n * sizeof *K);
    size_t got = 0;
    while (f != NULL && K != NULL && got < n * n && fscanf(f, "%lf%*[,\n]", &K[got]) == 1)
        got++;
    if (f != NULL)
        fclose(f);
    if (got != n * n) {
        free(K);
        return NULL;
    }
    return K;
}

static void
test_keys_and_train(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 3; data fourier k=2 noise=0.1; model nn width=32 depth=2; observe 30",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(s->n == 30 && s->mc == model_find("nn"), "built");
    CHECK(run(s, "show nn", &err) == BL_OK, "%s", err.msg);
    double loss0 = shown("loss");
    CHECK(shown("step") == 0 && shown("width") == 32 && shown("depth") == 2, "keys: %s", ob.text);
    /* d*n + n*n + n weights, 2n + 1 biases (sb2 = 0.1 > 0) */
    CHECK(shown("params") == 32 + 32 * 32 + 32 + 2 * 32 + 1, "params %g", shown("params"));
    CHECK(shown("ntk_change") == 0, "no change before training");
    const char *keys[] = {"step", "loss", "width", "depth", "params", "ntk_change",
                          "effective_rank", "alpha_req", "cka_nngp", "heldout_loss"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char k[48];
        snprintf(k, sizeof k, "\n%s = ", keys[i]);
        CHECK(strstr(ob.text, k) != NULL, "show nn has %s", keys[i]);
    }
    CHECK(run(s, "train 200 optimizer=adam lr=0.01", &err) == BL_OK, "%s", err.msg);
    CHECK(strstr(ob.text, "trained 200 steps") != NULL, "summary: %s", ob.text);
    CHECK(run(s, "show nn", &err) == BL_OK, "%s", err.msg);
    CHECK(shown("step") == 200 && shown("loss") < loss0 / 10, "loss %g -> %g", loss0,
          shown("loss"));
    CHECK(shown("ntk_change") > 0, "the kernel moved: %g", shown("ntk_change"));
    /* Keys not given keep the last run's; arrivals still score and never train. */
    CHECK(run(s, "train 10; observe 5", &err) == BL_OK && s->n == 35, "%s", err.msg);
    /* A network has no posterior: the sum of its one-step log predictives
     * is a log score, printed as such, never as a log evidence. */
    CHECK(strstr(ob.text, "; log score ") != NULL && strstr(ob.text, "log evidence") == NULL,
          "observe names the network's sum a log score");
    CHECK(run(s, "show evidence", &err) == BL_OK && isfinite(shown("log_score")) &&
              isnan(shown("log_evidence")) &&
              fabs(shown("log_score") - session_log_evidence(s)) <= 1e-9 * fabs(shown("log_score")),
          "show evidence: log_score %g", shown("log_score"));
    CHECK(run(s, "show nn", &err) == BL_OK && shown("step") == 210, "step %g", shown("step"));
    CHECK(strstr(ob.text, "optimizer = adam") != NULL, "adam kept");
    /* A replay rebuilds the net from its seed: the training is gone. */
    CHECK(run(s, "model nn width=32 depth=2; show nn", &err) == BL_OK, "%s", err.msg);
    CHECK(shown("step") == 0 && s->n == 35, "rebuilt at step 0");
    /* SGLD ensemble */
    CHECK(run(s, "model nn width=16 depth=1 ensemble=4; train 50 optimizer=sgld lr=0.001 "
                 "temperature=1 batch=10; show predictive x=0.2",
              &err) == BL_OK,
          "%s", err.msg);
    CHECK(shown("var_f") > 0, "an ensemble spreads: var_f %g", shown("var_f"));
    session_free(s);
}

static void
test_bad_input(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(run(s, "train 10", &err) == BL_ESTATE, "no model: %s", err.msg);
    CHECK(run(s, "seed 2; data linear d=2 noise=0.2; model blr; observe 20", &err) == BL_OK, "%s",
          err.msg);
    CHECK(run(s, "train 10", &err) == BL_ESTATE && strstr(err.msg, "does not train"), "%s",
          err.msg);
    CHECK(run(s, "show nn", &err) == BL_ESTATE, "%s", err.msg);
    CHECK(run(s, "export weights w.txt", &err) == BL_ESTATE, "%s", err.msg);
    CHECK(run(s, "model nn width=0", &err) == BL_EINVAL && strstr(err.msg, "width"), "%s",
          err.msg);
    CHECK(run(s, "model nn act=relux", &err) == BL_EINVAL, "%s", err.msg);
    CHECK(run(s, "model nn param=lazy", &err) == BL_EINVAL, "%s", err.msg);
    CHECK(s->mc == model_find("blr") && s->n == 20, "nothing lost");
    CHECK(run(s, "model nn width=8 depth=1 heldout=0", &err) == BL_OK, "%s", err.msg);
    CHECK(run(s, "train", &err) == BL_EINVAL, "batch needs N: %s", err.msg);
    CHECK(run(s, "train 0", &err) == BL_EINVAL, "%s", err.msg);
    CHECK(run(s, "train 5 lr=-1", &err) == BL_EINVAL, "%s", err.msg);
    CHECK(run(s, "train 5 optimizer=newton", &err) == BL_EINVAL, "%s", err.msg);
    CHECK(run(s, "train 5 batch=21", &err) == BL_EINVAL && strstr(err.msg, "batch=21"), "%s",
          err.msg);
    CHECK(run(s, "model nn width=8 load=/nonexistent/w.txt", &err) == BL_EIO &&
              strchr(err.msg, '\n') == NULL,
          "%s", err.msg);
    CHECK(s->mc == model_find("nn") && s->n == 20, "still the nn");
    /* Ctrl-C: the steps done stay, every member at the same step. */
    bl_cancel c = 1;
    s->cancel = &c;
    CHECK(run(s, "train 50", &err) == BL_ECANCEL && strstr(err.msg, "weights kept"), "%s",
          err.msg);
    s->cancel = NULL;
    session_free(s);
}

static void
test_export_load(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    remove("nn_w.txt");
    CHECK(run(s, "seed 7; data fourier k=2 noise=0.1; model nn width=24 depth=2 ensemble=2; "
                 "observe 25; train 60 optimizer=adam lr=0.02; export weights nn_w.txt",
              &err) == BL_OK,
          "%s", err.msg);
    double x[1] = {0.37}, m1, v1, f1, m2, v2, f2;
    CHECK(session_predict(s, x, &m1, &v1, &f1, &err) == BL_OK, "%s", err.msg);
    CHECK(run(s, "model nn width=24 depth=2 ensemble=2 load=nn_w.txt", &err) == BL_OK, "%s",
          err.msg);
    CHECK(session_predict(s, x, &m2, &v2, &f2, &err) == BL_OK, "%s", err.msg);
    CHECK(m1 == m2 && v1 == v2 && f1 == f2, "reloaded: %.17g vs %.17g", m1, m2);
    /* A header that does not match names the key. */
    CHECK(run(s, "model nn width=25 depth=2 ensemble=2 load=nn_w.txt", &err) == BL_EINVAL &&
              strstr(err.msg, "width=24") && strstr(err.msg, "width=25"),
          "%s", err.msg);
    CHECK(run(s, "model nn width=24 depth=2 load=nn_w.txt", &err) == BL_EINVAL &&
              strstr(err.msg, "ensemble=2"),
          "%s", err.msg);
    CHECK(run(s, "model nn width=24 depth=2 ensemble=2 act=tanh load=nn_w.txt", &err) ==
                  BL_EINVAL &&
              strstr(err.msg, "act=relu"),
          "%s", err.msg);
    /* A truncated file. */
    FILE *f = fopen("nn_w.txt", "r"), *g = fopen("nn_short.txt", "w");
    char line[256];
    for (int i = 0; f && g && i < 10 && fgets(line, sizeof line, f); i++)
        fputs(line, g);
    if (f)
        fclose(f);
    if (g)
        fclose(g);
    CHECK(run(s, "model nn width=24 depth=2 ensemble=2 load=nn_short.txt", &err) == BL_EINVAL &&
              strstr(err.msg, "ends after 8 of"),
          "%s", err.msg);
    CHECK(s->n == 25 && session_predict(s, x, &m2, &v2, &f2, &err) == BL_OK && m1 == m2,
          "the loaded model stays");
    remove("nn_w.txt");
    remove("nn_short.txt");
    session_free(s);
}

static double
rel_frob(const double *A, const double *B, size_t n)
{
    double d = 0, b = 0;
    for (size_t i = 0; i < n * n; i++) {
        d += (A[i] - B[i]) * (A[i] - B[i]);
        b += B[i] * B[i];
    }
    return sqrt(d / b);
}

static void
test_gram(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    const size_t n = 30;
    CHECK(run(s, "seed 11; data linear d=3 noise=0.1; observe 30; "
                 "model gp kernel=nngp depth=2 sw2=1.5 sb2=0.2; export gram g1.csv layer=1; "
                 "export gram g3.csv layer=3; "
                 "model nn width=4096 depth=2 sw2=1.5 sb2=0.2; export gram n1.csv layer=1; "
                 "export gram n3.csv layer=3",
              &err) == BL_OK,
          "%s", err.msg);
    double *g1 = read_csv("g1.csv", n), *g3 = read_csv("g3.csv", n), *n1 = read_csv("n1.csv", n),
           *n3 = read_csv("n3.csv", n);
    CHECK(g1 && g3 && n1 && n3, "read the four exports");
    if (g1 && n1)
        CHECK(memcmp(g1, n1, n * n * sizeof *g1) == 0, "layer 1: the same numbers");
    if (g3 && n3)
        CHECK(rel_frob(n3, g3, n) < 0.1, "layer 3 at width 4096: rel. error %g",
              rel_frob(n3, g3, n));
    CHECK(run(s, "export gram n9.csv layer=4", &err) == BL_EINVAL && strstr(err.msg, "1..3"),
          "%s", err.msg);
    free(g1);
    free(g3);
    free(n1);
    free(n3);
    remove("g1.csv");
    remove("g3.csv");
    remove("n1.csv");
    remove("n3.csv");
    session_free(s);
}

/* Live: a paced job at R steps per second that the session drops when the
 * instance changes. */
static void
test_live(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    s->interactive = true;
    CHECK(run(s, "seed 1; data fourier k=1 noise=0.1; model nn width=8 depth=1; observe 10; "
                 "train 30 rate=100",
              &err) == BL_OK,
          "%s", err.msg);
    struct job *j = job_set_current(&s->jobs);
    CHECK(j->cls == &train_job_class && j->pace.active, "the train job is current");
    struct run_ctx ctx = session_run_ctx(s);
    CHECK(job_advance(j, 0.1, 100, &ctx, &ob.out) == 10, "0.1 s at 100/s");
    CHECK(s->mc->train->steps(s->m) == 10, "10 steps");
    for (int i = 0; i < 5 && j->pace.active; i++)
        job_advance(j, 1, 100, &ctx, &ob.out);
    CHECK(!j->pace.active && s->mc->train->steps(s->m) == 30, "done at 30");
    CHECK(strstr(ob.text, "training done: nn sgd step 30") != NULL, "end line: %s", ob.text);
    CHECK(run(s, "train rate=10", &err) == BL_OK && job_set_current(&s->jobs)->pace.active,
          "%s", err.msg);
    CHECK(run(s, "model nn width=8 depth=1", &err) == BL_OK, "%s", err.msg);
    CHECK(job_set_find(&s->jobs, &train_job_class) == NULL, "a new instance drops the run");
    session_free(s);
}

int
main(void)
{
    TEST_INIT();
    out_buffer_init(&ob);
    test_keys_and_train();
    test_bad_input();
    test_export_load();
    test_gram();
    test_live();
    out_buffer_free(&ob);
    return TEST_REPORT();
}
