/* commands/view.c - see view.h. */
#include "commands/view.h"

#include <string.h>

const char *const pane_names[PANE_COUNT + 1] = {"data",    "posterior", "regret", "spectrum",
                                                "sampler", "theory",    NULL};
const char *const layout_names[LAYOUT_COUNT + 1] = {"default", "single",  "data",
                                                    "theory",  "sampler", NULL};

static int
find(const char *const *names, const char *name)
{
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int
view_pane_parse(const char *name)
{
    return find(pane_names, name);
}

int
view_layout_parse(const char *name)
{
    return find(layout_names, name);
}

void
view_init(struct view *v)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < PANE_COUNT; i++)
        v->on[i] = i != PANE_THEORY && i != PANE_SAMPLER; /* shown once one exists */
    v->post_w[0] = 0;
    v->post_w[1] = 1;
}
