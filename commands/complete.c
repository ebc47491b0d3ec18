/* commands/complete.c - Tab completion candidates from the command table:
 * verbs, then subjects, then "key=" for the command's keys, then choice values
 * after "key=", and kernel specs (kernel=rbf(ls=...) names and keys, from the
 * core's kernel table). File arguments return NULL so that the front end
 * completes file names. The same table drives help and validation. */
#include "commands/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "commands/session.h"
#include "core/kernel/kernel.h"

struct list {
    char **v;
    size_t n, cap;
};

static void
add(struct list *l, const char *prefix, const char *word, const char *suffix, const char *typed)
{
    size_t np = strlen(prefix), nw = strlen(word), ns = strlen(suffix);
    char *s = malloc(np + nw + ns + 1);
    if (s == NULL)
        return;
    memcpy(s, prefix, np);
    memcpy(s + np, word, nw);
    memcpy(s + np + nw, suffix, ns + 1);
    if (strncmp(s, typed, strlen(typed)) != 0) {
        free(s);
        return;
    }
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            free(s);
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
}

static void
add_keys(struct list *l, const struct arg_spec *specs, const char *typed)
{
    for (size_t i = 0; specs != NULL && specs[i].name != NULL; i++)
        add(l, "", specs[i].name, "=", typed);
}

/* Candidates for a positional or key value of spec. Returns 0 for files. */
static int
add_values(struct list *l, const struct arg_spec *sp, const char *prefix, const char *typed)
{
    if (sp->type == ARG_FILE)
        return 0;
    for (size_t i = 0; sp->type == ARG_CHOICE && sp->choices[i] != NULL; i++)
        add(l, prefix, sp->choices[i], "", typed);
    return 1;
}

static bool
name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* kernel=EXPR (typed[vstart..] is EXPR so far): kernel names where a term
 * starts, the leaf's keys right after its '(' or a ',', nothing in a value. */
static void
add_kernel(struct list *l, const char *typed, size_t vstart)
{
    if (typed[vstart] == '"' || typed[vstart] == '\'')
        vstart++;
    const char *v = typed + vstart;
    size_t frag = strlen(v);
    while (frag > 0 && name_char(v[frag - 1]))
        frag--;
    /* Innermost open parenthesis: a leaf's (its type) or a group (-1). */
    int stack[32], depth = 0;
    for (size_t i = 0; i < frag; i++) {
        if (v[i] == '(') {
            size_t e = i, b;
            while (e > 0 && v[e - 1] == ' ')
                e--;
            b = e;
            while (b > 0 && name_char(v[b - 1]))
                b--;
            int type = -1;
            for (size_t t = 0; kernel_type_name(t) != NULL; t++)
                if (e > b && strlen(kernel_type_name(t)) == e - b &&
                    strncmp(kernel_type_name(t), v + b, e - b) == 0)
                    type = (int)t;
            if (depth < (int)(sizeof stack / sizeof stack[0]))
                stack[depth] = type;
            depth++;
        } else if (v[i] == ')' && depth > 0) {
            depth--;
        }
    }
    size_t p = frag;
    while (p > 0 && v[p - 1] == ' ')
        p--;
    char before = p > 0 ? v[p - 1] : '\0';
    char *prefix = strndup(typed, vstart + frag);
    if (prefix == NULL)
        return;
    int leaf = depth > 0 && depth <= (int)(sizeof stack / sizeof stack[0]) ? stack[depth - 1] : -1;
    if (leaf >= 0 && (before == '(' || before == ',')) {
        for (size_t j = 0; kernel_type_key((size_t)leaf, j) != NULL; j++)
            add(l, prefix, kernel_type_key((size_t)leaf, j), "=", typed);
    } else if (leaf < 0 && (before == '\0' || before == '+' || before == '*' || before == '(')) {
        for (size_t t = 0; kernel_type_name(t) != NULL; t++)
            add(l, prefix, kernel_type_name(t), "(", typed);
    }
    free(prefix);
}

static const struct arg_spec *
find_spec(const struct arg_spec *specs, const char *name, size_t len)
{
    for (size_t i = 0; specs != NULL && specs[i].name != NULL; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

char **
cmd_complete(const char *line, size_t start, size_t end)
{
    struct list l = {0};
    char *typed = strndup(line + start, end - start);
    /* Words of the current command before the cursor's word. */
    size_t cmd_start = 0;
    for (size_t i = 0; i < start; i++)
        if (line[i] == ';')
            cmd_start = i + 1;
    struct cmd_line cl = {0};
    char *head = strndup(line + cmd_start, start - cmd_start);
    if (typed == NULL || head == NULL || cmd_split(head, &cl, NULL) != BL_OK) {
        free(typed);
        free(head);
        return calloc(1, sizeof(char *));
    }
    size_t argc = cl.n ? cl.cmds[0].argc : 0;
    char **argv = cl.n ? cl.cmds[0].argv : NULL;
    int files = 0;

    if (argc == 0) {
        for (size_t i = 0; cmd_table[i] != NULL; i++)
            add(&l, "", cmd_table[i]->name, "", typed);
        goto done;
    }
    const struct cmd_entry *c = cmd_find(argv[0], NULL);
    if (c == NULL)
        goto done;
    const struct subject_spec *subj = NULL;
    size_t used = 1;
    if (cmd_subjects(c) != NULL) {
        if (argc == 1) {
            for (const struct subject_spec *s = cmd_subjects(c); s->name != NULL; s++)
                add(&l, "", s->name, "", typed);
            if (!c->subject_optional)
                goto done;
        } else {
            for (const struct subject_spec *s = cmd_subjects(c); s->name != NULL; s++)
                if (strcmp(s->name, argv[1]) == 0)
                    subj = s;
            used = subj ? 2 : 1;
        }
    }
    const char *eq = strchr(typed, '=');
    if (eq != NULL) {
        size_t klen = (size_t)(eq - typed);
        const struct arg_spec *sp = find_spec(subj ? subj->args : NULL, typed, klen);
        if (sp == NULL)
            sp = find_spec(cmd_keys(c), typed, klen);
        if (sp != NULL && sp->type == ARG_STR && strcmp(sp->name, "kernel") == 0) {
            add_kernel(&l, typed, klen + 1);
        } else if (sp != NULL) {
            char *prefix = strndup(typed, klen + 1);
            if (prefix && !add_values(&l, sp, prefix, typed))
                files = 1;
            free(prefix);
        }
        goto done;
    }
    /* The next positional argument's values, then the keys. */
    size_t positional_seen = 0;
    for (size_t i = used; i < argc; i++)
        positional_seen += strchr(argv[i], '=') == NULL;
    const struct arg_spec *lists[2] = {subj ? subj->args : NULL, cmd_keys(c)};
    size_t k = 0;
    for (int li = 0; li < 2; li++)
        for (size_t i = 0; lists[li] != NULL && lists[li][i].name != NULL; i++) {
            if (!lists[li][i].positional)
                continue;
            if (k++ == positional_seen && !add_values(&l, &lists[li][i], "", typed))
                files = 1;
        }
    if (strcmp(c->name, "help") == 0 && argc == 1)
        for (size_t i = 0; cmd_table[i] != NULL; i++)
            add(&l, "", cmd_table[i]->name, "", typed);
    add_keys(&l, subj ? subj->args : NULL, typed);
    add_keys(&l, cmd_keys(c), typed);
done:
    cmd_line_free(&cl);
    free(typed);
    free(head);
    if (files) {
        for (size_t i = 0; i < l.n; i++)
            free(l.v[i]);
        free(l.v);
        return NULL;
    }
    if (l.v == NULL)
        l.v = calloc(1, sizeof(char *));
    return l.v;
}
