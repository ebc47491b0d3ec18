/* ui/logbuf.c - see logbuf.h. */
#include "ui/logbuf.h"

#include <stdlib.h>
#include <string.h>

void
logbuf_init(struct logbuf *l)
{
    memset(l, 0, sizeof *l);
}

void
logbuf_free(struct logbuf *l)
{
    for (size_t i = 0; i < LOGBUF_LINES; i++)
        free(l->line[i]);
    memset(l, 0, sizeof *l);
}

void
logbuf_add(struct logbuf *l, const char *text, bool error)
{
    char *copy = strdup(text);
    if (copy == NULL)
        return;
    size_t slot;
    if (l->count < LOGBUF_LINES) {
        slot = (l->start + l->count) % LOGBUF_LINES;
        l->count++;
    } else {
        slot = l->start;
        l->start = (l->start + 1) % LOGBUF_LINES;
    }
    free(l->line[slot]);
    l->line[slot] = copy;
    l->error[slot] = error;
    l->generation++;
}

const char *
logbuf_get(const struct logbuf *l, size_t back, bool *error)
{
    if (back >= l->count)
        return NULL;
    size_t slot = (l->start + l->count - 1 - back) % LOGBUF_LINES;
    if (error != NULL)
        *error = l->error[slot];
    return l->line[slot];
}
