/* ui/ending.h - SIGTERM and SIGHUP end the program in every mode (live,
 * plain, batch; docs/robustness.md): the handler raises the session's cancel
 * flag, so the running command stops at its next poll, and records the
 * signal; each front end checks ending_signal() after every step, restores
 * the terminal and returns, and main exits with 128 + the signal. */
#ifndef BAYESLENS_UI_ENDING_H
#define BAYESLENS_UI_ENDING_H

#include "core/base/err.h"

/* Handlers for SIGTERM and SIGHUP that call ending_note (plain and batch;
 * the live loop has its own handler and calls ending_note from it). */
void ending_install(bl_cancel *cancel);
/* Async-signal-safe: remember sig, raise the cancel flag given to install. */
void ending_note(int sig);
/* The signal that asked to end, or 0. */
int ending_signal(void);

#endif
