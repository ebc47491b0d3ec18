/* tests/harness.h - tiny unit-test harness (after Redis testhelp.h, GSL test).
 *
 * CHECK(cond, fmt, ...)        condition with a message
 * CHECK_REL(got, want, rtol)   |got - want| <= rtol * |want| (absolute when want == 0)
 * CHECK_ABS(got, want, atol)   |got - want| <= atol
 * rel_diff(a, b, n)            |a - b| / |b| of two vectors (2-norms; |a - b| when b = 0)
 * Each binary ends with TEST_REPORT(), which prints "N passed, N failed" and
 * returns non-zero on failure, or when no check ran at all (a test whose
 * checks were all skipped by mistake must not pass). Every tolerance at a call site says where it
 * comes from (closed form, docs/math.md §11 precision, Monte Carlo standard error). */
#ifndef BAYESLENS_TESTS_HARNESS_H
#define BAYESLENS_TESTS_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

static int harness_passed, harness_failed;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (cond) {                                                                        \
            harness_passed++;                                                              \
        } else {                                                                           \
            harness_failed++;                                                              \
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                          \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

#define CHECK_REL(got, want, rtol)                                                         \
    do {                                                                                   \
        double g_ = (got), w_ = (want), t_ = (rtol);                                       \
        double e_ = fabs(g_ - w_), s_ = w_ == 0 ? 1.0 : fabs(w_);                          \
        CHECK(e_ <= t_ * s_ && !isnan(g_), "%s = %.15g, want %.15g (rel err %.3g > %.3g)", \
              #got, g_, w_, e_ / s_, t_);                                                  \
    } while (0)

#define CHECK_ABS(got, want, atol)                                                         \
    do {                                                                                   \
        double g_ = (got), w_ = (want), t_ = (atol);                                       \
        CHECK(fabs(g_ - w_) <= t_ && !isnan(g_), "%s = %.15g, want %.15g (abs err %.3g > %.3g)", \
              #got, g_, w_, fabs(g_ - w_), t_);                                            \
    } while (0)

static inline double
rel_diff(const double *a, const double *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return sqrt(num / (den > 0.0 ? den : 1.0));
}

/* Call first in every test main(): GSL's default handler aborts. */
#define TEST_INIT() gsl_set_error_handler_off()

/* Tests run in a scratch directory of the build tree (CMake's
 * WORKING_DIRECTORY), so whatever they write stays there; a test that reads
 * inputs from tests/ (data/, golden/) is given that directory as argv[1] and
 * calls TEST_INIT_SRC(argc, argv) instead of TEST_INIT(). */
static const char *harness_src;

#define TEST_INIT_SRC(argc, argv)                                                          \
    do {                                                                                   \
        TEST_INIT();                                                                       \
        if ((argc) < 2) {                                                                  \
            fprintf(stderr, "usage: %s TESTS_DIR (the source directory tests/)\n",        \
                    (argv)[0]);                                                            \
            exit(2);                                                                       \
        }                                                                                  \
        harness_src = (argv)[1];                                                           \
    } while (0)

/* TESTS_DIR/rel in one of 8 rotating buffers (so a few may be live at once). */
static inline const char *
test_path(const char *rel)
{
    static char buf[8][1024];
    static unsigned k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", harness_src ? harness_src : ".", rel);
    return b;
}

#define TEST_REPORT()                                                                      \
    (printf("%d passed, %d failed\n", harness_passed, harness_failed),                     \
     harness_passed + harness_failed == 0                                                  \
         ? (fprintf(stderr, "FAIL: no check ran\n"), 1)                                   \
         : harness_failed != 0)

#endif
