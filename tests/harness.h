/* tests/harness.h - tiny unit-test harness (after Redis testhelp.h, GSL test).
 *
 * CHECK(cond, fmt, ...)        condition with a message
 * CHECK_REL(got, want, rtol)   |got - want| <= rtol * |want| (absolute when want == 0)
 * CHECK_ABS(got, want, atol)   |got - want| <= atol
 * Each binary ends with TEST_REPORT(), which prints "N passed, N failed" and
 * returns non-zero on failure. Every tolerance at a call site says where it
 * comes from (closed form, MATH.md precision, Monte Carlo standard error). */
#ifndef BAYESLENS_TESTS_HARNESS_H
#define BAYESLENS_TESTS_HARNESS_H

#include <math.h>
#include <stdio.h>

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

/* Call first in every test main(): GSL's default handler aborts. */
#define TEST_INIT() gsl_set_error_handler_off()

#define TEST_REPORT()                                                                      \
    (printf("%d passed, %d failed\n", harness_passed, harness_failed), harness_failed != 0)

#endif
