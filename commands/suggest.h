/* commands/suggest.h - "did you mean": the one close name to a typo.
 *
 * Closeness is the optimal-string-alignment form of Damerau-Levenshtein
 * distance (insert, delete, substitute, swap two neighbours; each 1), so
 * "obsrve" is 1 from "observe" and "aplha" 1 from "alpha". A suggestion is
 * made only when it is unambiguous: the best candidate is within a bound
 * that grows with the typed length (1 up to 3 characters, 2 from 4 on: a
 * one-letter key is near every other one-letter key) and no other candidate
 * is as close. The parsers ask only after prefix matching found nothing. */
#ifndef BAYESLENS_COMMANDS_SUGGEST_H
#define BAYESLENS_COMMANDS_SUGGEST_H

#include <stddef.h>

/* Distance between a and b (bytes; ASCII case is ignored, so LINEAR is 0
 * from linear: names are matched case-sensitively, and the suggestion says
 * how to write one). Lengths above 63 count as "far" (returns SIZE_MAX):
 * names in the tables are short. */
size_t suggest_distance(const char *a, const char *b);

/* The largest distance suggested for a typed word of this length. */
size_t suggest_bound(size_t typed_len);

/* Collects candidates one by one and keeps the unique best. */
struct suggest {
    const char *typed;
    const char *best; /* borrowed from the caller's candidates */
    size_t dist;
    int ties; /* candidates at dist besides best */
};

void suggest_init(struct suggest *sg, const char *typed);
void suggest_add(struct suggest *sg, const char *candidate);
/* The unique best candidate within the bound, or NULL. */
const char *suggest_result(const struct suggest *sg);

/* Convenience: the suggestion among a NULL-terminated list, or NULL. */
const char *suggest_among(const char *typed, const char *const *candidates);

#endif
