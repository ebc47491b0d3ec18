/* tests/cmd_harness.h - running command lines in a test of commands/: one
 * output buffer that collects everything the session prints, run() for one
 * line, and shown() for the newest `key = number` in it. Header-only (each
 * test program is one translation unit); include after harness.h. */
#ifndef BAYESLENS_TESTS_CMD_HARNESS_H
#define BAYESLENS_TESTS_CMD_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/out.h"
#include "commands/session.h"

static struct out_buffer ob;

static int
run(struct session *s, const char *line, bl_err *err)
{
    bl_err_clear(err);
    return cmd_run_line(s, line, &ob.out, err);
}

/* Value of "key = number" in the output so far (the last one: a later show
 * supersedes an earlier one), or NaN. */
static double
shown(const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s = ", key);
    const char *p = NULL, *q = ob.text;
    while ((q = strstr(q, pat)) != NULL)
        p = q++;
    if (p == NULL && strncmp(ob.text, pat + 1, strlen(pat) - 1) == 0)
        p = ob.text - 1;
    return p ? strtod(p + strlen(pat), NULL) : (double)NAN;
}

#endif
