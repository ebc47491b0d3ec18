/* commands/args.c - bind a command's words to its argument specs.
 * All validation happens here, before any handler runs: unknown keys, bad
 * numbers, NaN, out-of-range values and unknown choices are refused with one
 * message naming the key and what is allowed. */
#include "commands/cmd.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/suggest.h"

static const char *const type_names[] = {"integer",         "number", "choice",
                                         "list of numbers", "word",   "file"};

/* Strict decimal number: the whole word, finite, no hex, no nan/inf.
 * Returns 1, 0 (not a number), or -1: a number too large for a double or
 * too small to be a normal one (1e-308 is subnormal: it has lost digits
 * already, and any product with it underflows to 0). */
static int
parse_real(const char *s, double *v)
{
    char *end;
    if (*s == '\0')
        return 0;
    for (const char *p = s; *p; p++)
        if (strchr("0123456789+-.eE", *p) == NULL)
            return 0;
    errno = 0;
    *v = strtod(s, &end);
    if (*end != '\0')
        return 0;
    if (errno == ERANGE || !isfinite(*v) || (*v != 0 && fabs(*v) < DBL_MIN))
        return -1;
    return 1;
}

/* An integer, also in float notation when its value is integral (observe
 * 1e3, n=2.0): scripts compute counts and write them as numbers. Every
 * integer key's range lies far below 2^53, where doubles hold each integer,
 * so the range check refuses what float notation cannot say exactly. */
static int
parse_int(const char *s, double *v)
{
    char *end;
    errno = 0;
    if (*s == '\0')
        return 0;
    if (strpbrk(s, ".eE") != NULL) {
        int ok = parse_real(s, v);
        if (ok <= 0)
            return ok;
        return *v == floor(*v);
    }
    for (const char *p = s; *p; p++)
        if (strchr("0123456789+-", *p) == NULL)
            return 0;
    long long x = strtoll(s, &end, 10);
    if (*end != '\0')
        return 0;
    /* Digits beyond a long long still make an integer: far outside every
     * key's range, which the caller then names (as for observe 1e12). */
    *v = errno == ERANGE ? strtod(s, NULL) : (double)x;
    return 1;
}

void
arg_range_text(const struct arg_spec *sp, char *buf, size_t size)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%.10g", sp->min);
    snprintf(hi, sizeof hi, "%.10g", sp->max);
    if (sp->max >= 1e300)
        snprintf(buf, size, "%s %s", sp->open_min ? ">" : ">=", lo);
    else if (sp->open_min)
        snprintf(buf, size, "in (%s, %s]", lo, hi);
    else
        snprintf(buf, size, "in %s..%s", lo, hi);
}

static void
choices_list(const struct arg_spec *sp, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; sp->choices[i] != NULL && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", sp->choices[i]);
}

/* positional: the value was typed without its key (seed -1), so a refusal
 * quotes it as typed ("seed -1: ...") rather than by a key the user never
 * wrote. */
static int
set_value(struct cmd_args *a, struct arg_value *v, const char *text, bool positional, bl_err *err)
{
    const struct arg_spec *sp = v->spec;
    char buf[200], label[160];
    if (positional)
        snprintf(label, sizeof label, "%s %s", a->cmd->name, text);
    else
        snprintf(label, sizeof label, "%s=%s", sp->name, text);
    if (*text == '\0') {
        /* One wording for every type: "noise= 0.1" leaves noise empty, which
         * is no bad number, and what would do follows. */
        static const char *const give[] = {"give an integer", "give a number",
                                           "choose",          "give numbers separated by commas",
                                           "give a word",     "give a file name"};
        if (sp->type == ARG_INT || sp->type == ARG_REAL)
            arg_range_text(sp, buf, sizeof buf);
        else if (sp->type == ARG_CHOICE)
            choices_list(sp, buf, sizeof buf);
        else
            buf[0] = '\0';
        return bl_fail(err, BL_EINVAL, "%s=: empty value; %s%s%s", sp->name, give[sp->type],
                       buf[0] ? " " : "", buf);
    }
    switch (sp->type) {
    case ARG_INT:
    case ARG_REAL: {
        int ok = sp->type == ARG_INT ? parse_int(text, &v->num) : parse_real(text, &v->num);
        if (ok < 0)
            return bl_fail(err, BL_EINVAL,
                           "%s: out of double range (magnitudes 2.2e-308 to "
                           "1.8e+308, or 0)",
                           label);
        if (!ok)
            return bl_fail(err, BL_EINVAL, "%s: not a%s %s", label, sp->type == ARG_INT ? "n" : "",
                           type_names[sp->type]);
        if (v->num < sp->min || v->num > sp->max || (sp->open_min && v->num <= sp->min)) {
            arg_range_text(sp, buf, sizeof buf);
            return bl_fail(err, BL_EINVAL, "%s: must be %s%s%s", label, buf, sp->why ? ": " : "",
                           sp->why ? sp->why : "");
        }
        break;
    }
    case ARG_CHOICE: {
        const char *match = NULL;
        int count = 0;
        size_t n = strlen(text);
        for (size_t i = 0; sp->choices[i] != NULL; i++) {
            if (strcmp(sp->choices[i], text) == 0) {
                match = sp->choices[i];
                count = 1;
                break;
            }
            if (n > 0 && strncmp(sp->choices[i], text, n) == 0) {
                match = sp->choices[i];
                count++;
            }
        }
        if (count != 1) {
            choices_list(sp, buf, sizeof buf);
            const char *near = count ? NULL : suggest_among(text, sp->choices);
            if (near != NULL)
                return bl_fail(err, BL_EINVAL, "%s=%s: unknown: did you mean '%s'? (choose %s)",
                               sp->name, text, near, buf);
            return bl_fail(err, BL_EINVAL, "%s=%s: %s (choose %s)", sp->name, text,
                           count ? "ambiguous" : "unknown", buf);
        }
        text = match;
        break;
    }
    case ARG_VEC: {
        size_t n = 1;
        for (const char *p = text; *p; p++)
            n += *p == ',';
        double *vec = malloc(n * sizeof *vec);
        if (vec == NULL)
            return bl_fail(err, BL_ENOMEM, "out of memory");
        char *copy = strdup(text), *save = NULL;
        if (copy == NULL) {
            free(vec);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        size_t k = 0;
        char *body = copy;
        if (*body == '[' && body[strlen(body) - 1] == ']') {
            body[strlen(body) - 1] = '\0';
            body++;
        }
        for (char *tok = strtok_r(body, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            if (parse_real(tok, &vec[k]) != 1) {
                bl_fail(err, BL_EINVAL, "%s=%s: '%s' is not a finite number", sp->name, text, tok);
                free(copy);
                free(vec);
                return BL_EINVAL;
            }
            k++;
        }
        free(copy);
        if (k == 0) {
            free(vec);
            return bl_fail(err, BL_EINVAL, "%s=: empty list of numbers", sp->name);
        }
        free(v->vec);
        v->vec = vec;
        v->vlen = k;
        break;
    }
    case ARG_STR:
    case ARG_FILE: break;
    }
    (void)a;
    v->str = text;
    v->has = true;
    return BL_OK;
}

static struct arg_value *
find_value(struct cmd_args *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->n; i++)
        if (strlen(a->v[i].spec->name) == len && strncmp(a->v[i].spec->name, name, len) == 0)
            return &a->v[i];
    for (size_t i = 0; i < a->n; i++) {
        const char *al = a->v[i].spec->alias;
        if (al != NULL && strlen(al) == len && strncmp(al, name, len) == 0)
            return &a->v[i];
    }
    return NULL;
}

/* The one key (or alias) close to the unknown key name[0..len), or NULL. */
static const char *
near_key(const struct cmd_args *a, const char *name, size_t len)
{
    char typed[64];
    if (len >= sizeof typed)
        return NULL;
    memcpy(typed, name, len);
    typed[len] = '\0';
    /* A key and its alias are one candidate (the key's name is offered). */
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    int ties = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct arg_spec *sp = a->v[i].spec;
        size_t d = suggest_distance(typed, sp->name);
        if (sp->alias != NULL && suggest_distance(typed, sp->alias) < d)
            d = suggest_distance(typed, sp->alias);
        if (d < best_d) {
            best = sp->name;
            best_d = d;
            ties = 0;
        } else if (d == best_d && strcmp(best, sp->name) != 0) {
            ties++;
        }
    }
    return best != NULL && ties == 0 && best_d <= suggest_bound(len) ? best : NULL;
}

static int
add_specs(struct cmd_args *a, const struct arg_spec *specs)
{
    for (size_t i = 0; specs != NULL && specs[i].name != NULL; i++) {
        assert(a->n < CMD_MAX_ARGS);
        a->v[a->n++] = (struct arg_value){.spec = &specs[i]};
    }
    return BL_OK;
}

static void
keys_list(const struct cmd_args *a, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < a->n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", a->v[i].spec->name);
}

const struct subject_spec *
cmd_subjects(const struct cmd_entry *c)
{
    return c->subjects_fn != NULL ? c->subjects_fn() : c->subjects;
}

int
cmd_bind(const struct cmd_entry *c, char *const *argv, size_t argc, struct cmd_args *a, bl_err *err)
{
    char buf[200];
    size_t i = 1;
    int rc;

    memset(a, 0, sizeof *a);
    a->cmd = c;
    if (c->passthrough) {
        a->rest = argv + 1;
        a->nrest = argc - 1;
        return BL_OK;
    }
    if (cmd_subjects(c) != NULL) {
        const struct subject_spec *match = NULL;
        int count = 0;
        if (argc > 1 && strchr(argv[1], '=') == NULL) {
            size_t n = strlen(argv[1]);
            for (const struct subject_spec *s = cmd_subjects(c); s->name != NULL; s++) {
                if (strcmp(s->name, argv[1]) == 0) {
                    match = s;
                    count = 1;
                    break;
                }
                if (strncmp(s->name, argv[1], n) == 0) {
                    match = s;
                    count++;
                }
            }
        }
        size_t len = 0;
        buf[0] = '\0';
        const struct subject_spec *all = cmd_subjects(c);
        for (const struct subject_spec *s = all; s->name != NULL && len < sizeof buf; s++)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", s == all ? "" : ", ",
                                    s->name);
        if (count == 1) {
            a->subject = match;
            i = 2;
        } else if (count > 1) {
            return bl_fail(err, BL_EINVAL, "%s %s: ambiguous (choose %s)", c->name, argv[1], buf);
        } else if (argc > 1 && strchr(argv[1], '=') == NULL && !c->subject_optional) {
            struct suggest sg;
            suggest_init(&sg, argv[1]);
            for (const struct subject_spec *s = all; s->name != NULL; s++)
                suggest_add(&sg, s->name);
            if (suggest_result(&sg) != NULL)
                return bl_fail(err, BL_EINVAL, "%s %s: unknown: did you mean '%s'? (choose %s)",
                               c->name, argv[1], suggest_result(&sg), buf);
            return bl_fail(err, BL_EINVAL, "%s %s: unknown (choose %s)", c->name, argv[1], buf);
        } else if (!c->subject_optional) {
            return bl_fail(err, BL_EINVAL, "%s: say what (choose %s)", c->name, buf);
        }
        if (a->subject != NULL)
            add_specs(a, a->subject->args);
    }
    add_specs(a, cmd_keys(c));

    char *joined = NULL;
    if (c->text && i < argc && a->n > 0) {
        size_t total = 1;
        for (size_t k = i; k < argc; k++)
            total += strlen(argv[k]) + 1;
        if ((joined = malloc(total)) == NULL) {
            rc = bl_fail(err, BL_ENOMEM, "out of memory");
            goto fail;
        }
        size_t len = 0;
        for (size_t k = i; k < argc; k++)
            len += (size_t)sprintf(joined + len, "%s%s", k > i ? " " : "", argv[k]);
        if ((rc = set_value(a, &a->v[0], joined, true, err)) != BL_OK)
            goto fail;
        a->v[0].given = true;
        i = argc;
    }
    size_t next_pos = 0;
    for (; i < argc; i++) {
        const char *w = argv[i];
        const char *eq = strchr(w, '=');
        struct arg_value *v = NULL;
        const char *text;
        if (eq != NULL && eq != w) {
            v = find_value(a, w, (size_t)(eq - w));
            text = eq + 1;
            if (v == NULL) {
                const char *near = near_key(a, w, (size_t)(eq - w));
                if (near != NULL) {
                    rc = bl_fail(err, BL_EINVAL, "%s: unknown key '%.*s': did you mean '%s='?",
                                 c->name, (int)(eq - w), w, near);
                    goto fail;
                }
                keys_list(a, buf, sizeof buf);
                rc = bl_fail(err, BL_EINVAL, "%s: unknown key '%.*s' (%s%s)", c->name,
                             (int)(eq - w), w, a->n ? "keys: " : "takes no keys", a->n ? buf : "");
                goto fail;
            }
        } else {
            while (next_pos < a->n && (!a->v[next_pos].spec->positional || a->v[next_pos].given))
                next_pos++;
            if (next_pos >= a->n) {
                rc = bl_fail(err, BL_EINVAL, "%s: unexpected word '%s' (usage: %s)", c->name, w,
                             cmd_usage(c));
                goto fail;
            }
            v = &a->v[next_pos];
            text = w;
        }
        if (v->given) {
            rc = bl_fail(err, BL_EINVAL, "%s: %s given twice", c->name, v->spec->name);
            goto fail;
        }
        if ((rc = set_value(a, v, text, eq == NULL || eq == w, err)) != BL_OK)
            goto fail;
        v->given = true;
    }
    for (size_t k = 0; k < a->n; k++) {
        struct arg_value *v = &a->v[k];
        if (v->given)
            continue;
        if (v->spec->required) {
            rc = bl_fail(err, BL_EINVAL, "%s: missing %s (usage: %s)", c->name, v->spec->name,
                         cmd_usage(c));
            goto fail;
        }
        if (v->spec->def != NULL && (rc = set_value(a, v, v->spec->def, false, err)) != BL_OK)
            goto fail;
    }
    /* The words must outlive argv: keep one owned copy and re-point. */
    size_t total = 0;
    for (size_t k = 0; k < a->n; k++)
        if (a->v[k].has)
            total += strlen(a->v[k].str) + 1;
    a->words = malloc(total + 1);
    if (a->words == NULL) {
        rc = bl_fail(err, BL_ENOMEM, "out of memory");
        goto fail;
    }
    char *p = a->words;
    for (size_t k = 0; k < a->n; k++) {
        if (!a->v[k].has)
            continue;
        size_t n = strlen(a->v[k].str) + 1;
        memcpy(p, a->v[k].str, n);
        a->v[k].str = p;
        p += n;
    }
    free(joined);
    return BL_OK;
fail:
    free(joined);
    args_free(a);
    return rc;
}

void
args_free(struct cmd_args *a)
{
    for (size_t k = 0; k < a->n; k++) {
        free(a->v[k].vec);
        a->v[k].vec = NULL;
    }
    free(a->words);
    a->words = NULL;
}

static const struct arg_value *
get(const struct cmd_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].spec->name, name) == 0)
            return &a->v[i];
    assert(!"argument not declared by the command");
    return NULL;
}

bool
args_given(const struct cmd_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].spec->name, name) == 0)
            return a->v[i].given;
    return false;
}

bool
args_has(const struct cmd_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].spec->name, name) == 0)
            return a->v[i].has;
    return false;
}

long long
args_int(const struct cmd_args *a, const char *name)
{
    return (long long)get(a, name)->num;
}

double
args_real(const struct cmd_args *a, const char *name)
{
    return get(a, name)->num;
}

const char *
args_str(const struct cmd_args *a, const char *name)
{
    const struct arg_value *v = get(a, name);
    return v->has ? v->str : NULL;
}

const double *
args_vec(const struct cmd_args *a, const char *name, size_t *len)
{
    const struct arg_value *v = get(a, name);
    *len = v->vlen;
    return v->vec;
}
