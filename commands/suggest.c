/* commands/suggest.c - see suggest.h. */
#include "commands/suggest.h"

#include <stdint.h>
#include <string.h>

#define SUGGEST_MAXLEN 63

/* ASCII only: names in the tables are ASCII, and the locale must not
 * change which name is suggested. */
static char
fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

size_t
suggest_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > SUGGEST_MAXLEN || m > SUGGEST_MAXLEN)
        return SIZE_MAX;
    /* Three rows suffice: the swap looks two rows back. */
    size_t rows[3][SUGGEST_MAXLEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = fold(a[i - 1]) != fold(b[j - 1]);
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
                fold(a[i - 2]) == fold(b[j - 1]) && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

size_t
suggest_bound(size_t typed_len)
{
    return typed_len <= 3 ? 1 : 2;
}

void
suggest_init(struct suggest *sg, const char *typed)
{
    *sg = (struct suggest){.typed = typed, .best = NULL, .dist = SIZE_MAX, .ties = 0};
}

void
suggest_add(struct suggest *sg, const char *candidate)
{
    if (candidate == NULL || candidate[0] == '\0' || strcmp(candidate, sg->typed) == 0)
        return;
    /* The same name offered twice (a key shared by two lists) is one. */
    if (sg->best != NULL && strcmp(candidate, sg->best) == 0)
        return;
    size_t d = suggest_distance(sg->typed, candidate);
    if (d < sg->dist) {
        sg->best = candidate;
        sg->dist = d;
        sg->ties = 0;
    } else if (d == sg->dist) {
        sg->ties++;
    }
}

const char *
suggest_result(const struct suggest *sg)
{
    if (sg->best == NULL || sg->ties > 0 || sg->dist > suggest_bound(strlen(sg->typed)))
        return NULL;
    return sg->best;
}

const char *
suggest_among(const char *typed, const char *const *candidates)
{
    struct suggest sg;
    suggest_init(&sg, typed);
    for (size_t i = 0; candidates != NULL && candidates[i] != NULL; i++)
        suggest_add(&sg, candidates[i]);
    return suggest_result(&sg);
}
