/* commands/script.c - run a script file (`source FILE`, `bayeslens -x FILE`).
 * Scripts stop at the first failing command, like `sh -e`: a lecture script
 * that goes on after an error shows the class wrong pictures. */
#include "commands/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"

#define SOURCE_MAX_DEPTH 16

int
session_source(struct session *s, const char *path, struct out *out, bl_err *err)
{
    if (s->depth >= SOURCE_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "%s: scripts nested deeper than %d (a source loop?)", path,
                       SOURCE_MAX_DEPTH);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL)
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = BL_OK;
    s->depth++;
    while (rc == BL_OK && !s->quit && getline(&line, &cap, f) >= 0) {
        lineno++;
        rc = cmd_run_line(s, line, out, err);
        if (rc != BL_OK && err != NULL) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            /* Nested scripts already named their own line. */
            if (strncmp(msg, path, strlen(path)) != 0 || msg[strlen(path)] != ':')
                bl_fail(err, rc, "%s:%zu: %s", strcmp(path, "-") ? path : "<stdin>", lineno, msg);
        }
    }
    s->depth--;
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}
