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
#define SCRIPT_MAX_BYTES (64 << 20) /* lecture scripts are kilobytes */

int
session_source(struct session *s, const char *path, struct out *out, bl_err *err)
{
    if (s->depth >= SOURCE_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "%s: scripts nested deeper than %d (a source loop?)", path,
                       SOURCE_MAX_DEPTH);
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL)
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(errno));
    char *line = malloc(CMD_LINE_MAX + 2);
    if (line == NULL) {
        if (f != stdin)
            fclose(f);
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    const char *name = strcmp(path, "-") ? path : "<stdin>";
    size_t lineno = 0, total = 0;
    int rc = BL_OK;
    s->depth++;
    while (rc == BL_OK && !s->quit) {
        /* A bounded line: source /dev/zero or a binary file must fail, not
         * read gigabytes looking for a newline. */
        size_t len = 0;
        int c = EOF;
        while (len <= CMD_LINE_MAX && (c = getc(f)) != EOF && c != '\n')
            line[len++] = (char)c;
        if (c == EOF && len == 0)
            break;
        line[len] = '\0';
        lineno++;
        total += len + 1;
        if (len > CMD_LINE_MAX) {
            rc = bl_fail(err, BL_EINVAL, "%s:%zu: line longer than %d bytes (not a script?)",
                         name, lineno, CMD_LINE_MAX);
            break;
        }
        const char *nul = memchr(line, '\0', len);
        if (nul != NULL) {
            rc = bl_fail(err, BL_EINVAL, "%s:%zu: a NUL byte at column %zu (not a script?)", name,
                         lineno, (size_t)(nul - line) + 1);
            break;
        }
        if (total > SCRIPT_MAX_BYTES) {
            rc = bl_fail(err, BL_EINVAL, "%s:%zu: script longer than %d MiB", name, lineno,
                         SCRIPT_MAX_BYTES >> 20);
            break;
        }
        rc = cmd_run_line(s, line, out, err);
        if (rc != BL_OK && err != NULL) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            /* Nested scripts already named their own line. */
            if (strncmp(msg, path, strlen(path)) != 0 || msg[strlen(path)] != ':')
                bl_fail(err, rc, "%s:%zu: %s", name, lineno, msg);
        }
    }
    if (rc == BL_OK && ferror(f))
        rc = bl_fail(err, BL_EIO, "%s: %s", name, strerror(errno));
    s->depth--;
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}
