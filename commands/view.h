/* commands/view.h - what the user asked to see: the layout preset, which
 * panes are on, focus, zoom and per-pane options. Plain data kept in the
 * session, so `layout`, `pane` and `screenshot` work in every mode and the
 * front end only reads it. */
#ifndef BAYESLENS_COMMANDS_VIEW_H
#define BAYESLENS_COMMANDS_VIEW_H

#include <stdbool.h>
#include <stddef.h>

enum pane_id {
    PANE_DATA = 0,
    PANE_POSTERIOR,
    PANE_REGRET,
    PANE_SPECTRUM,
    PANE_SAMPLER, /* traces and diagnostics of the sampler (on when one is created) */
    PANE_THEORY, /* the theory instrument's curves (on when one is started) */
    PANE_COUNT
};

enum layout_preset {
    LAYOUT_DEFAULT = 0, /* as many panes as fit: data, posterior, regret, spectrum */
    LAYOUT_SINGLE,      /* the focused pane alone */
    LAYOUT_DATA,        /* data large, posterior beside it when there is room */
    LAYOUT_THEORY,      /* the instrument, then regret, spectrum, posterior */
    LAYOUT_SAMPLER,     /* posterior and sampler side by side, data under the posterior */
    LAYOUT_COUNT
};

enum { DATA_VIEW_AUTO = 0, DATA_VIEW_COORD, DATA_VIEW_PRED };

struct view {
    enum layout_preset preset;
    bool on[PANE_COUNT]; /* enabled by the user (default all) */
    int focus;           /* enum pane_id with keyboard focus */
    bool zoom;           /* the focused pane fills the pane area */
    size_t post_w[2];    /* posterior pane: the two weights shown (default 0, 1) */
    size_t data_coord;   /* data pane, d > 1: input coordinate on the x axis */
    int data_view;       /* data pane: DATA_VIEW_AUTO (function of x for 1-D inputs,
                            prediction against truth otherwise), _COORD or _PRED */
    bool regret_logx;    /* regret pane: log-scaled n axis */
    int log_scroll;      /* log pane: lines scrolled back */
    /* Axis ranges fixed by the user (`pane NAME xrange=lo,hi`), per pane;
     * a range with lo >= hi means automatic. */
    double xrange[PANE_COUNT][2], yrange[PANE_COUNT][2];
};

extern const char *const pane_names[PANE_COUNT + 1];     /* NULL-terminated */
extern const char *const layout_names[LAYOUT_COUNT + 1]; /* NULL-terminated */
/* Index by exact name, or -1. */
int view_pane_parse(const char *name);
int view_layout_parse(const char *name);
void view_init(struct view *v);

#endif
