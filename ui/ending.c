/* ui/ending.c - see ending.h. */
#include "ui/ending.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t ending;
static bl_cancel *cancel_flag;

void
ending_note(int sig)
{
    ending = sig;
    if (cancel_flag != NULL)
        *cancel_flag = 1;
}

static void
on_end(int sig)
{
    ending_note(sig);
}

void
ending_install(bl_cancel *cancel)
{
    cancel_flag = cancel;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_end;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int
ending_signal(void)
{
    return (int)ending;
}
