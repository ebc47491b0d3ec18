/* commands/view.h - what the user asked to see: the layout preset, which
 * panes are on, focus, zoom and each pane's options. Plain data kept in the
 * session, so `layout`, `pane` and `screenshot` work in every mode and the
 * front end only reads it.
 *
 * commands/ does not know which panes or layouts exist. The front end
 * registers them once at start-up, before it creates a session
 * (view_register): each pane's name, help, keys (as argument specs), default
 * visibility and order, and each layout's name and help. The `pane` and
 * `layout` commands, their help and Tab completion are built from that
 * registration, and the view stores options by pane and key name.
 *
 * Why registration rather than a commands/-level table that ui/ points at:
 * such a table would be the list of panes living in commands/, so a new pane
 * would edit commands/ again. With registration a pane is one ui/ file (its
 * keys, drawing and defaults together) plus a line in ui/'s table, commands/
 * stays below ui/, and a test can register a throwaway pane. */
#ifndef BAYESLENS_COMMANDS_VIEW_H
#define BAYESLENS_COMMANDS_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/cmd.h"
#include "core/base/err.h"

#define VIEW_MAX_PANES   16 /* registered panes, the log strip included */
#define VIEW_MAX_KEYS    4  /* keys of one pane, besides xrange= and yrange= */
#define VIEW_MAX_LAYOUTS 12
#define VIEW_VEC_MAX     4 /* numbers an ARG_VEC key keeps */

struct session;

/* One key of `pane NAME key=value`, as data. The argument spec is the
 * command table's: the dispatcher validates type, range and choices before
 * the key reaches the view, and help and completion list it like any other.
 * Types: ARG_INT, ARG_REAL, ARG_CHOICE, ARG_VEC (at most VIEW_VEC_MAX). */
struct view_key {
    struct arg_spec arg;
    double init[VIEW_VEC_MAX]; /* numeric value until the user sets one */
    size_t init_len;           /* ARG_VEC: how many of init */
    /* "key=choice": setting this key also sets that key of the same pane
     * (coord= picks view=coord); NULL: nothing else. */
    const char *also;
    /* What the spec cannot say: a check against the session (a weight index
     * below the model's dimension). NULL: none. Fills err naming the key. */
    int (*check)(const struct session *s, const struct arg_value *v, bl_err *err);
};

/* What commands/ knows of a pane. */
struct view_pane {
    const char *name;
    const char *help;            /* one line */
    const struct view_key *keys; /* terminated by {0}; NULL: none (at most VIEW_MAX_KEYS) */
    bool shown;                  /* on in a new session */
    bool ranges;                 /* takes xrange= and yrange= (its main plot's axes) */
    bool unlisted;               /* not named by `pane` (the log strip) */
    int order;                   /* listing, focus and layout priority: lowest first */
};

struct view_layout {
    const char *name;
    const char *help; /* for `help layout`; NULL: the name alone */
};

struct view_value {
    bool set;                 /* set by the user (else the key's initial value) */
    double num[VIEW_VEC_MAX]; /* ARG_INT, ARG_REAL: num[0]; ARG_VEC: num[0..len) */
    size_t len;
    int choice; /* ARG_CHOICE: index into the key's choices, -1 until set */
};

/* Every index below is a pane's registration index (see view_register). */
struct view {
    int preset;                /* registered layout; 0 (the first) is the default */
    bool on[VIEW_MAX_PANES];   /* enabled by the user */
    int focus;                 /* pane with keyboard focus */
    bool zoom;                 /* the focused pane fills the pane area */
    int log_scroll;            /* log strip: rows scrolled back */
    struct view_value value[VIEW_MAX_PANES][VIEW_MAX_KEYS]; /* [pane][key of the pane] */
    /* Axis ranges fixed by the user (`pane NAME xrange=lo,hi`); lo >= hi
     * means automatic. */
    double xrange[VIEW_MAX_PANES][2], yrange[VIEW_MAX_PANES][2];
};

/* Register the front end's panes and layouts (NULL-terminated arrays of
 * pointers, borrowed for the life of the process; pane i gets index i).
 * Replaces an earlier registration; sessions made before keep stale
 * indices, so call it first. Fails (nothing registered) on too many panes,
 * keys or layouts, a duplicate name, a key of an unsupported type, or one
 * key name given two different specs by two panes. */
int view_register(const struct view_pane *const *panes, const struct view_layout *const *layouts,
                  bl_err *err);
int view_pane_count(void);
const struct view_pane *view_pane_at(int i); /* NULL when out of range */
int view_layout_count(void);
const struct view_layout *view_layout_at(int i);
/* Index by exact name, or -1. */
int view_pane_parse(const char *name);
int view_layout_parse(const char *name);
/* The listed pane with the lowest order, or -1 when none is registered. */
int view_pane_first(void);

/* Defaults of the registered panes and layouts. */
void view_init(struct view *v);

/* By name; an unknown name is ignored (false, -1, 0): commands that pick
 * their pane or layout work, and do nothing, under a front end without it. */
bool view_is_on(const struct view *v, const char *pane);
void view_show(struct view *v, const char *pane, bool on);
void view_focus(struct view *v, const char *pane); /* also turns it on */
bool view_has_focus(const struct view *v, const char *pane);
void view_set_layout(struct view *v, const char *layout);
bool view_layout_is(const struct view *v, const char *layout);
/* A key's value; NULL when the pane or key is unknown. */
const struct view_value *view_get(const struct view *v, const char *pane, const char *key);
/* Number i of a numeric key (0 when unknown), the choice of a choice key (-1
 * when unset or unknown). */
double view_num(const struct view *v, const char *pane, const char *key, size_t i);
int view_choice(const struct view *v, const char *pane, const char *key);
/* Set a numeric key to num[0..len) without the checks `pane` makes (a
 * command that resets what it made invalid). */
void view_put(struct view *v, const char *pane, const char *key, const double *num, size_t len);

/* `pane` sets key spec->name of pane p from an argument the dispatcher
 * validated: refuses a key the pane does not have ("w= is a key of the
 * posterior pane"), runs the key's check, then stores it (and its `also`).
 * On failure v is unchanged. */
int view_set(struct view *v, const struct session *s, int p, const struct arg_value *a,
             bl_err *err);

/* commands/cmd_view.c: rebuild the `pane` and `layout` keys, choices and
 * usage from the registration (view_register calls it). */
void cmd_view_registered(void);

#endif
