/* commands/parse.c - split a command line into commands and words.
 * The grammar is deliberately small (docs/design.md "Command language"): `;`
 * separates commands, `#` starts a comment, quotes keep spaces and the
 * special characters, backslash escapes inside double quotes. */
#include "commands/cmd.h"

#include <stdlib.h>
#include <string.h>

static int
push_word(struct cmd_words *w, const char *buf, size_t len)
{
    char **argv = realloc(w->argv, (w->argc + 2) * sizeof *argv);
    if (argv == NULL)
        return BL_ENOMEM;
    w->argv = argv;
    char *s = malloc(len + 1);
    if (s == NULL)
        return BL_ENOMEM;
    memcpy(s, buf, len);
    s[len] = '\0';
    argv[w->argc++] = s;
    argv[w->argc] = NULL;
    return BL_OK;
}

static int
push_cmd(struct cmd_line *l, struct cmd_words *w)
{
    if (w->argc == 0)
        return BL_OK;
    struct cmd_words *cmds = realloc(l->cmds, (l->n + 1) * sizeof *cmds);
    if (cmds == NULL)
        return BL_ENOMEM;
    l->cmds = cmds;
    cmds[l->n++] = *w;
    w->argc = 0;
    w->argv = NULL;
    return BL_OK;
}

static void
words_free(struct cmd_words *w)
{
    for (size_t i = 0; i < w->argc; i++)
        free(w->argv[i]);
    free(w->argv);
    w->argv = NULL;
    w->argc = 0;
}

void
cmd_line_free(struct cmd_line *l)
{
    for (size_t i = 0; i < l->n; i++)
        words_free(&l->cmds[i]);
    free(l->cmds);
    l->cmds = NULL;
    l->n = 0;
}

int
cmd_split(const char *line, struct cmd_line *out, bl_err *err)
{
    struct cmd_words cur = {0};
    size_t cap = strlen(line) + 1;
    char *buf = malloc(cap);
    size_t len = 0;
    int in_word = 0, rc = BL_OK;

    out->n = 0;
    out->cmds = NULL;
    if (buf == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    for (const char *p = line;; p++) {
        char c = *p;
        if (c == '"' || c == '\'') {
            char q = c;
            const char *start = p;
            in_word = 1;
            for (p++; *p != q; p++) {
                if (*p == '\0') {
                    rc = bl_fail(err, BL_EINVAL, "unterminated %s quote at column %zu",
                                 q == '"' ? "double" : "single", (size_t)(start - line) + 1);
                    goto fail;
                }
                if (q == '"' && *p == '\\' && p[1] != '\0')
                    p++;
                buf[len++] = *p;
            }
            continue;
        }
        if (c == '\\' && p[1] != '\0') {
            buf[len++] = *++p;
            in_word = 1;
            continue;
        }
        int end =
            c == '\0' || c == '#' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
        if (!end) {
            buf[len++] = c;
            in_word = 1;
            continue;
        }
        if (in_word) {
            if ((rc = push_word(&cur, buf, len)) != BL_OK)
                goto oom;
            len = 0;
            in_word = 0;
        }
        if (c == ';' || c == '\0' || c == '#') {
            if ((rc = push_cmd(out, &cur)) != BL_OK)
                goto oom;
        }
        if (c == '\0' || c == '#')
            break;
    }
    free(buf);
    return BL_OK;
oom:
    rc = bl_fail(err, BL_ENOMEM, "out of memory");
fail:
    free(buf);
    words_free(&cur);
    cmd_line_free(out);
    return rc;
}
