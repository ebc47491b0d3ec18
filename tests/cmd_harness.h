/* tests/cmd_harness.h - running command lines in a test of commands/ (and of
 * ui/ with a session): one output buffer that collects everything the
 * session prints, run() for one line, run_fresh() for one line whose output
 * alone is then in the buffer, and shown() for the newest `key = number` in
 * it. Header-only (each test program is one translation unit); include after
 * harness.h. Inline so that a test using only some of them compiles clean. */
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

static inline int
run(struct session *s, const char *line, bl_err *err)
{
    bl_err_clear(err);
    return cmd_run_line(s, line, &ob.out, err);
}

/* Empties the output buffer (keeping its storage). */
static inline void
ob_clear(void)
{
    ob.len = 0;
    if (ob.text != NULL)
        ob.text[0] = '\0';
}

static inline int
run_fresh(struct session *s, const char *line, bl_err *err)
{
    ob_clear();
    return run(s, line, err);
}

/* Value of "key = number" in the output so far (the last one: a later show
 * supersedes an earlier one), or NaN. */
static inline double
shown(const char *key)
{
    if (ob.text == NULL)
        return (double)NAN;
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
