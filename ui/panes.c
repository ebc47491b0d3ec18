/* ui/panes.c - the one table of panes, and their registration.
 *
 * A new pane is one file (ui/pane_NAME.c, ending in its const struct
 * pane_desc) plus one line in PANES below; a layout preset that should show
 * it names it in ui/layout.c. Lines may come in any order: a pane's
 * view.order places it in lists, focus cycling and the layouts; the line
 * order is the order `help pane` lists the panes' keys in. */
#include "ui/pane.h"

#include "ui/layout.h"

#define PANES(X)      \
    X(pane_posterior) \
    X(pane_data)      \
    X(pane_regret)    \
    X(pane_spectrum)  \
    X(pane_sampler)   \
    X(pane_theory)    \
    X(pane_compare)   \
    X(pane_sweep)     \
    X(pane_train)     \
    X(pane_log)

#define DECLARE(d) extern const struct pane_desc d;
#define ENTRY(d)   &d,
PANES(DECLARE)
const struct pane_desc *const pane_table[] = {PANES(ENTRY) NULL};

static const struct pane_desc *registered[VIEW_MAX_PANES];
static int nregistered;

int
pane_register(const struct pane_desc *const *list, bl_err *err)
{
    const struct view_pane *vp[VIEW_MAX_PANES + 1];
    const struct view_layout *vl[VIEW_MAX_LAYOUTS + 1];
    int n = 0, m = 0, strips = 0;
    for (; list[n] != NULL; n++) {
        if (n >= VIEW_MAX_PANES)
            return bl_fail(err, BL_EINVAL, "more than %d panes", VIEW_MAX_PANES);
        const struct pane_desc *d = list[n];
        if (d->create == NULL || d->destroy == NULL || d->draw == NULL ||
            (d->place == PANE_TILE && d->title == NULL))
            return bl_fail(err, BL_EINVAL, "pane %s: a hook is missing", d->view.name);
        /* Tiles stay within what a layout can always give (layout.h). */
        if (d->min_w < 1 || d->min_h < 1 ||
            (d->place == PANE_TILE && (d->min_w > 20 || d->min_h > 6)))
            return bl_fail(err, BL_EINVAL, "pane %s: minimum size %dx%d outside 1x1..20x6",
                           d->view.name, d->min_w, d->min_h);
        strips += d->place == PANE_STRIP;
        vp[n] = &d->view;
    }
    if (strips > 1)
        return bl_fail(err, BL_EINVAL, "%d strip panes: the layout has room for one", strips);
    vp[n] = NULL;
    for (; layout_presets[m].view.name != NULL; m++) {
        if (m >= VIEW_MAX_LAYOUTS)
            return bl_fail(err, BL_EINVAL, "more than %d layouts", VIEW_MAX_LAYOUTS);
        vl[m] = &layout_presets[m].view;
    }
    vl[m] = NULL;
    int rc = view_register(vp, vl, err);
    if (rc != BL_OK)
        return rc;
    for (int i = 0; i < n; i++)
        registered[i] = list[i];
    nregistered = n;
    return BL_OK;
}

const struct pane_desc *
pane_at(int i)
{
    return i >= 0 && i < nregistered ? registered[i] : NULL;
}

int
pane_count(void)
{
    return nregistered;
}
