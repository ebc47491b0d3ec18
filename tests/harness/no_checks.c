/* tests/harness/no_checks.c - a test program that runs no check: TEST_REPORT
 * must make it fail (CMake expects this one to fail), so that a test whose
 * checks were all skipped by mistake cannot pass. */
#include "harness.h"

int
main(void)
{
    TEST_INIT();
    return TEST_REPORT();
}
