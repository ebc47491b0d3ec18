/* commands/view.c - see view.h.
 *
 * The registration is process-wide, like the command table it extends:
 * help and completion have no session. It is written once at start-up and
 * only read afterwards. */
#include "commands/view.h"

#include <stdio.h>
#include <string.h>

static const struct view_pane *panes[VIEW_MAX_PANES];
static int npanes;
static const struct view_layout *layouts[VIEW_MAX_LAYOUTS];
static int nlayouts;

static size_t
count_keys(const struct view_pane *p)
{
    size_t n = 0;
    while (p->keys != NULL && p->keys[n].arg.name != NULL)
        n++;
    return n;
}

static bool
same_spec(const struct arg_spec *a, const struct arg_spec *b)
{
    return a->type == b->type && a->min == b->min && a->max == b->max && a->choices == b->choices;
}

int
view_register(const struct view_pane *const *p, const struct view_layout *const *l, bl_err *err)
{
    int n = 0, m = 0;
    for (; p != NULL && p[n] != NULL; n++) {
        if (n >= VIEW_MAX_PANES)
            return bl_fail(err, BL_EINVAL, "more than %d panes", VIEW_MAX_PANES);
        if (p[n]->name == NULL || p[n]->name[0] == '\0')
            return bl_fail(err, BL_EINVAL, "pane %d has no name", n);
        for (int j = 0; j < n; j++)
            if (strcmp(p[j]->name, p[n]->name) == 0)
                return bl_fail(err, BL_EINVAL, "pane %s registered twice", p[n]->name);
        size_t nk = count_keys(p[n]);
        if (nk > VIEW_MAX_KEYS)
            return bl_fail(err, BL_EINVAL, "pane %s: more than %d keys", p[n]->name, VIEW_MAX_KEYS);
        for (size_t k = 0; k < nk; k++) {
            const struct view_key *key = &p[n]->keys[k];
            enum arg_type t = key->arg.type;
            if (t != ARG_INT && t != ARG_REAL && t != ARG_CHOICE && t != ARG_VEC)
                return bl_fail(err, BL_EINVAL, "pane %s: key %s= has a type views do not keep",
                               p[n]->name, key->arg.name);
            if (strcmp(key->arg.name, "xrange") == 0 || strcmp(key->arg.name, "yrange") == 0 ||
                strcmp(key->arg.name, "name") == 0 || strcmp(key->arg.name, "state") == 0)
                return bl_fail(err, BL_EINVAL, "pane %s: key %s= is the pane command's own",
                               p[n]->name, key->arg.name);
            for (int j = 0; j <= n; j++)
                for (size_t i = 0; i < count_keys(p[j]) && (j < n || i < k); i++)
                    if (strcmp(p[j]->keys[i].arg.name, key->arg.name) == 0 &&
                        !same_spec(&p[j]->keys[i].arg, &key->arg))
                        return bl_fail(err, BL_EINVAL, "key %s= of panes %s and %s differs",
                                       key->arg.name, p[j]->name, p[n]->name);
        }
    }
    /* `pane` binds name, state, every distinct key and the two ranges. */
    size_t distinct = 0;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < count_keys(p[i]); k++) {
            bool seen = false;
            for (int j = 0; j <= i && !seen; j++)
                for (size_t q = 0; q < count_keys(p[j]) && (j < i || q < k) && !seen; q++)
                    seen = strcmp(p[j]->keys[q].arg.name, p[i]->keys[k].arg.name) == 0;
            distinct += !seen;
        }
    if (distinct + 4 >= CMD_MAX_ARGS)
        return bl_fail(err, BL_EINVAL, "panes: %zu distinct keys, at most %d", distinct,
                       CMD_MAX_ARGS - 5);
    for (; l != NULL && l[m] != NULL; m++) {
        if (m >= VIEW_MAX_LAYOUTS)
            return bl_fail(err, BL_EINVAL, "more than %d layouts", VIEW_MAX_LAYOUTS);
        for (int j = 0; j < m; j++)
            if (strcmp(l[j]->name, l[m]->name) == 0)
                return bl_fail(err, BL_EINVAL, "layout %s registered twice", l[m]->name);
    }
    memcpy(panes, p, (size_t)n * sizeof *p);
    npanes = n;
    memcpy(layouts, l, (size_t)m * sizeof *l);
    nlayouts = m;
    cmd_view_registered();
    return BL_OK;
}

int
view_pane_count(void)
{
    return npanes;
}

const struct view_pane *
view_pane_at(int i)
{
    return i >= 0 && i < npanes ? panes[i] : NULL;
}

int
view_layout_count(void)
{
    return nlayouts;
}

const struct view_layout *
view_layout_at(int i)
{
    return i >= 0 && i < nlayouts ? layouts[i] : NULL;
}

int
view_pane_parse(const char *name)
{
    for (int i = 0; i < npanes; i++)
        if (strcmp(panes[i]->name, name) == 0)
            return i;
    return -1;
}

int
view_layout_parse(const char *name)
{
    for (int i = 0; i < nlayouts; i++)
        if (strcmp(layouts[i]->name, name) == 0)
            return i;
    return -1;
}

int
view_pane_first(void)
{
    int best = -1;
    for (int i = 0; i < npanes; i++)
        if (!panes[i]->unlisted && (best < 0 || panes[i]->order < panes[best]->order))
            best = i;
    return best;
}

static void
init_value(struct view_value *v, const struct view_key *k)
{
    memset(v, 0, sizeof *v);
    memcpy(v->num, k->init, sizeof v->num);
    v->len = k->init_len;
    v->choice = -1;
}

void
view_init(struct view *v)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < npanes; i++) {
        v->on[i] = panes[i]->shown;
        for (size_t k = 0; k < count_keys(panes[i]); k++)
            init_value(&v->value[i][k], &panes[i]->keys[k]);
    }
    int first = view_pane_first();
    v->focus = first < 0 ? 0 : first;
}

bool
view_is_on(const struct view *v, const char *pane)
{
    int i = view_pane_parse(pane);
    return i >= 0 && v->on[i];
}

void
view_show(struct view *v, const char *pane, bool on)
{
    int i = view_pane_parse(pane);
    if (i >= 0)
        v->on[i] = on;
}

void
view_focus(struct view *v, const char *pane)
{
    int i = view_pane_parse(pane);
    if (i >= 0) {
        v->focus = i;
        v->on[i] = true;
    }
}

bool
view_has_focus(const struct view *v, const char *pane)
{
    int i = view_pane_parse(pane);
    return i >= 0 && v->focus == i;
}

void
view_set_layout(struct view *v, const char *layout)
{
    int i = view_layout_parse(layout);
    if (i >= 0)
        v->preset = i;
}

bool
view_layout_is(const struct view *v, const char *layout)
{
    int i = view_layout_parse(layout);
    return i >= 0 && v->preset == i;
}

/* Index of key among pane p's keys, or -1. */
static int
key_index(int p, const char *key)
{
    for (size_t k = 0; k < count_keys(panes[p]); k++)
        if (strcmp(panes[p]->keys[k].arg.name, key) == 0)
            return (int)k;
    return -1;
}

static struct view_value *
slot(const struct view *v, const char *pane, const char *key)
{
    int p = view_pane_parse(pane);
    int k = p < 0 ? -1 : key_index(p, key);
    return k < 0 ? NULL : (struct view_value *)&v->value[p][k];
}

const struct view_value *
view_get(const struct view *v, const char *pane, const char *key)
{
    return slot(v, pane, key);
}

double
view_num(const struct view *v, const char *pane, const char *key, size_t i)
{
    const struct view_value *x = slot(v, pane, key);
    return x != NULL && i < VIEW_VEC_MAX ? x->num[i] : 0;
}

int
view_choice(const struct view *v, const char *pane, const char *key)
{
    const struct view_value *x = slot(v, pane, key);
    return x != NULL && x->set ? x->choice : -1;
}

void
view_put(struct view *v, const char *pane, const char *key, const double *num, size_t len)
{
    struct view_value *x = slot(v, pane, key);
    if (x == NULL || len > VIEW_VEC_MAX)
        return;
    memcpy(x->num, num, len * sizeof *num);
    x->len = len;
}

/* "coord= and view= are keys of the data pane": the panes that have key,
 * with every key of the one pane when a single pane has it. */
static int
not_a_key(const char *key, bl_err *err)
{
    char buf[200] = "";
    size_t len = 0;
    int owners[VIEW_MAX_PANES], n = 0;
    for (int i = 0; i < npanes; i++)
        if (!panes[i]->unlisted && key_index(i, key) >= 0)
            owners[n++] = i;
    if (n == 1) {
        size_t nk = count_keys(panes[owners[0]]);
        for (size_t k = 0; k < nk && len < sizeof buf; k++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s=",
                                    k == 0        ? ""
                                    : k + 1 == nk ? " and "
                                                  : ", ",
                                    panes[owners[0]]->keys[k].arg.name);
        return bl_fail(err, BL_EINVAL, "%s %s of the %s pane", buf,
                       nk > 1 ? "are keys" : "is a key", panes[owners[0]]->name);
    }
    for (int j = 0; j < n && len < sizeof buf; j++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                                j == 0       ? ""
                                : j + 1 == n ? " and "
                                             : ", ",
                                panes[owners[j]]->name);
    return bl_fail(err, BL_EINVAL, "%s= is a key of the %s panes", key, buf);
}

static int
store(struct view_value *x, const struct view_key *k, const struct arg_value *a, bl_err *err)
{
    switch (k->arg.type) {
    case ARG_CHOICE:
        for (int i = 0; k->arg.choices[i] != NULL; i++)
            if (strcmp(k->arg.choices[i], a->str) == 0)
                x->choice = i;
        break;
    case ARG_VEC:
        if (a->vlen > VIEW_VEC_MAX)
            return bl_fail(err, BL_EINVAL, "%s=: at most %d numbers", k->arg.name, VIEW_VEC_MAX);
        memcpy(x->num, a->vec, a->vlen * sizeof *a->vec);
        x->len = a->vlen;
        break;
    default:
        x->num[0] = a->num;
        x->len = 1;
        break;
    }
    x->set = true;
    return BL_OK;
}

int
view_set(struct view *v, const struct session *s, int p, const struct arg_value *a, bl_err *err)
{
    const char *name = a->spec->name;
    int k = p >= 0 && p < npanes ? key_index(p, name) : -1;
    if (k < 0)
        return not_a_key(name, err);
    const struct view_key *key = &panes[p]->keys[k];
    if (key->check != NULL) {
        int rc = key->check(s, a, err);
        if (rc != BL_OK)
            return rc;
    }
    /* "key=choice" of `also`: the other key and its choice, found before
     * anything changes (a typo in a pane's table shows on first use). */
    int j = -1, c = -1;
    if (key->also != NULL) {
        const char *eq = strchr(key->also, '=');
        char other[32];
        if (eq != NULL && (size_t)(eq - key->also) < sizeof other) {
            memcpy(other, key->also, (size_t)(eq - key->also));
            other[eq - key->also] = '\0';
            j = key_index(p, other);
        }
        const struct view_key *ok = j < 0 ? NULL : &panes[p]->keys[j];
        for (int i = 0; ok != NULL && ok->arg.type == ARG_CHOICE && ok->arg.choices[i] != NULL; i++)
            if (strcmp(ok->arg.choices[i], eq + 1) == 0)
                c = i;
        if (c < 0)
            return bl_fail(err, BL_EINVAL, "pane %s: key %s= sets %s, which it does not have",
                           panes[p]->name, name, key->also);
    }
    struct view_value x = v->value[p][k];
    int rc = store(&x, key, a, err);
    if (rc != BL_OK)
        return rc;
    if (c >= 0) {
        v->value[p][j].choice = c;
        v->value[p][j].set = true;
    }
    v->value[p][k] = x;
    return BL_OK;
}
