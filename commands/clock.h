/* commands/clock.h - the monotonic clock and the front end's pump.
 *
 * Long loops (observe, a refit, a sampler's bulk steps) call
 * clock_pump_tick now and then so that an interactive front end can echo
 * keys, see Ctrl-C and redraw while a command runs; the pump throttles
 * itself to one call every ~30 ms, so the loops may tick cheaply and
 * often. Time is for pacing and throttling only, never part of a result. */
#ifndef BAYESLENS_COMMANDS_CLOCK_H
#define BAYESLENS_COMMANDS_CLOCK_H

/* Monotonic seconds. */
double clock_now(void);

struct clock_pump {
    /* Set by the front end (NULL: nobody to pump). It must not run
     * commands (it may queue typed lines). */
    void (*fn)(void *ctx);
    void *ctx;
    double last; /* clock_now() of the last call */
};

/* Call p->fn unless it was called less than ~30 ms ago; p may be NULL. */
void clock_pump_tick(struct clock_pump *p);

#endif
