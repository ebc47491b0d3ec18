/* commands/clock.c - see clock.h. */
#include "commands/clock.h"

#include <stddef.h>
#include <time.h>

double
clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void
clock_pump_tick(struct clock_pump *p)
{
    static const double interval = 0.03; /* seconds between pumps */
    if (p == NULL || p->fn == NULL)
        return;
    double now = clock_now();
    if (now - p->last < interval)
        return;
    p->last = now;
    p->fn(p->ctx);
}
