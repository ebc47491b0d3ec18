/* tests/test_cmd_fuzz.c - bad input is normal input: random bytes and
 * mutated valid command lines through the whole command layer. Every line
 * must come back with BL_OK or an error message (never a crash, never an
 * empty message), and a session that has seen 20,000 hostile lines must
 * still answer a valid command. Run under `make asan` this is also a
 * memory-safety check. Seeded, so failures reproduce. */
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"

static const char *seeds[] = {
    "seed 1; data linear d=3 noise=0.1; model blr alpha=1 beta=100; observe 20",
    "model nig v0=2 a0=2 b0=0.5 features=poly degree=3; show posterior",
    "data fourier k=3; model blr features=fourier m=3; observe 5; show regret",
    "show predictive x=0.5,1,2; show concentration r=0.2; show evidence",
    "data builtin diabetes y=progression x=bmi,bp standardize=yes; observe 3",
    "pane posterior w=0,1; pane data xrange=-2,2; layout theory; help model",
    NULL, /* data load of tests/data/good.csv, made in main from argv[1] */
    "optimize; show data; stream rate=5 n=3; step 2; pause",
};

/* commands/ knows no panes: a few, as a front end would register them, so
 * that `pane` and `layout` are fuzzed past their name. */
static void
register_view(void)
{
    static const char *const yesno[] = {"no", "yes", NULL};
    static const struct view_key w_key[] = {
        {.arg = {.name = "w", .type = ARG_VEC, .help = "weights"}, .init = {0, 1}, .init_len = 2},
        {.arg = {.name = NULL}},
    };
    static const struct view_key logx_key[] = {
        {.arg = {.name = "logx", .type = ARG_CHOICE, .choices = yesno, .help = "log axis"}},
        {.arg = {.name = NULL}},
    };
    static const struct view_pane data = {.name = "data", .shown = true, .ranges = true};
    static const struct view_pane post = {
        .name = "posterior", .keys = w_key, .shown = true, .ranges = true, .order = 1};
    static const struct view_pane regret = {.name = "regret", .keys = logx_key, .order = 2};
    static const struct view_pane *const panes[] = {&data, &post, &regret, NULL};
    static const struct view_layout def = {"default", NULL}, th = {"theory", NULL};
    static const struct view_layout *const layouts[] = {&def, &th, NULL};
    bl_err err;
    CHECK(view_register(panes, layouts, &err) == BL_OK, "register: %s", err.msg);
}

static void
quiet(void *ctx, enum out_kind kind, const char *text)
{
    (void)ctx;
    (void)kind;
    (void)text;
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    char load[1200];
    snprintf(load, sizeof load, "data load \"%s\" y=c; export stream /nonexistent/dir/x.csv",
             test_path("data/good.csv"));
    seeds[6] = load;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2026);
    register_view();
    bl_err err;
    struct session *s = session_alloc(&err);
    struct out out = {.line = quiet};
    /* Raised cancel flag: observe 9999999 from a mutation stops at once (and
     * the interrupt paths get fuzzed too). */
    bl_cancel stop = 1;
    s->cancel = &stop;
    char line[256];
    int empty_messages = 0, ok = 0, failed = 0;
    for (int it = 0; it < 20000; it++) {
        size_t len;
        if (it % 3 == 0) {
            /* Random bytes, printable-heavy, with separators and quotes. */
            len = gsl_rng_uniform_int(r, sizeof line - 1);
            for (size_t i = 0; i < len; i++) {
                unsigned long k = gsl_rng_uniform_int(r, 10);
                line[i] = k < 6   ? (char)(32 + gsl_rng_uniform_int(r, 95))
                          : k < 8 ? "=;#\"', \t"[gsl_rng_uniform_int(r, 8)]
                                  : (char)(1 + gsl_rng_uniform_int(r, 255));
            }
        } else {
            /* A valid line, mutated: bytes replaced, inserted, or cut. */
            const char *base = seeds[gsl_rng_uniform_int(r, sizeof seeds / sizeof *seeds)];
            len = strlen(base);
            memcpy(line, base, len);
            int edits = 1 + (int)gsl_rng_uniform_int(r, 4);
            for (int e = 0; e < edits && len > 0; e++) {
                size_t at = gsl_rng_uniform_int(r, len);
                switch (gsl_rng_uniform_int(r, 4)) {
                case 0: line[at] = (char)(32 + gsl_rng_uniform_int(r, 95)); break;
                case 1: line[at] = "0-9.e+=,;\"x"[gsl_rng_uniform_int(r, 11)]; break;
                case 2: len = at; break;
                default:
                    if (len + 1 < sizeof line) {
                        memmove(line + at + 1, line + at, len - at);
                        line[at] = "-1e999nan,="[gsl_rng_uniform_int(r, 11)];
                        len++;
                    }
                }
            }
        }
        line[len] = '\0';
        /* No files written or read by mutated names. */
        if (strstr(line, "sou") || strstr(line, "exp") || strstr(line, "scr"))
            continue;
        bl_err_clear(&err);
        int rc = cmd_run_line(s, line, &out, &err);
        s->quit = false; /* "q" is a unique prefix of quit */
        if (rc == BL_OK)
            ok++;
        else {
            failed++;
            if (err.msg[0] == '\0') {
                empty_messages++;
                fprintf(stderr, "no message for: %s\n", line);
            }
        }
    }
    CHECK(empty_messages == 0, "%d failures without a message", empty_messages);
    CHECK(ok > 100 && failed > 1000, "the fuzz reached both paths (ok %d, failed %d)", ok, failed);
    /* The session still works. */
    stop = 0;
    bl_err_clear(&err);
    CHECK(cmd_run_line(s, "data linear d=2; model blr; observe 10; show posterior", &out,
                       &err) == BL_OK,
          "valid command after the fuzz: %s", err.msg);
    CHECK(s->n == 10 && s->dim == 2, "state after the fuzz: n=%zu dim=%zu", s->n, s->dim);
    session_free(s);
    gsl_rng_free(r);
    return TEST_REPORT();
}
