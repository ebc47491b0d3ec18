/* tests/test_cmd_suggest.c - "did you mean": the edit distance, the bound
 * and uniqueness rules of commands/suggest.h, the messages the parser gives
 * for a mistyped verb, key, subject and choice, key aliases (k= / m= for
 * the number of fourier frequencies), and kernel spec completion. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "commands/suggest.h"
#include "harness.h"

static void
test_distance(void)
{
    CHECK(suggest_distance("", "") == 0, "empty");
    CHECK(suggest_distance("abc", "") == 3, "to empty");
    CHECK(suggest_distance("", "abc") == 3, "from empty");
    CHECK(suggest_distance("observe", "observe") == 0, "equal");
    CHECK(suggest_distance("obsrve", "observe") == 1, "deletion");
    CHECK(suggest_distance("observee", "observe") == 1, "insertion");
    CHECK(suggest_distance("obxerve", "observe") == 1, "substitution");
    CHECK(suggest_distance("aplha", "alpha") == 1, "swap of neighbours is one edit");
    CHECK(suggest_distance("ab", "ba") == 1, "short swap");
    CHECK(suggest_distance("kitten", "sitting") == 3, "classic Levenshtein example");
    /* Optimal string alignment: a swapped pair is not edited again. */
    CHECK(suggest_distance("ca", "abc") == 3, "OSA distance of ca/abc is 3");
    CHECK(suggest_distance("k", "m") == 1, "one letter");
    /* Names are matched case-sensitively; the suggestion ignores case so
     * that LINEAR is told how to write linear. */
    CHECK(suggest_distance("abc", "ABC") == 0, "ASCII case is ignored");
    CHECK(suggest_distance("Lienar", "linear") == 1, "case ignored in a swap");
    char longer[80];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK(suggest_distance(longer, "a") == SIZE_MAX, "over-long words are far");
}

static void
test_choose(void)
{
    static const char *const verbs[] = {"observe", "optimize", "seed", "show", "step", NULL};
    const char *r = suggest_among("obsrve", verbs);
    CHECK(r != NULL && strcmp(r, "observe") == 0, "obsrve -> observe (%s)", r ? r : "none");
    CHECK(suggest_among("xyzzy", verbs) == NULL, "nothing close");
    /* 'shw' is 1 from show, 2 from step/seed: show. 'stwp' is 1 from step only. */
    r = suggest_among("shw", verbs);
    CHECK(r != NULL && strcmp(r, "show") == 0, "shw -> show");
    r = suggest_among("stwp", verbs);
    CHECK(r != NULL && strcmp(r, "step") == 0, "stwp -> step");
    /* 'seep' is 1 from both seed and step: no unique best, no suggestion. */
    CHECK(suggest_among("seep", verbs) == NULL, "a tie suggests nothing");
    static const char *const keys[] = {"features", "bias", "degree", "m", "ls", "alpha", NULL};
    r = suggest_among("k", keys);
    CHECK(r != NULL && strcmp(r, "m") == 0, "k -> m (ls is 2 away)");
    static const char *const two[] = {"m", "n", NULL};
    CHECK(suggest_among("k", two) == NULL, "k between m and n: a tie");
    /* Bound: 1 for up to 3 characters, 2 from 4. */
    CHECK(suggest_bound(1) == 1 && suggest_bound(3) == 1 && suggest_bound(4) == 2 &&
              suggest_bound(20) == 2,
          "bound by length");
    static const char *const ab[] = {"abcd", NULL};
    CHECK(suggest_among("ab", ab) == NULL, "2 edits for a 2-letter word is too far");
    r = suggest_among("abxy", ab);
    CHECK(r != NULL && strcmp(r, "abcd") == 0, "2 edits for a 4-letter word");
    static const char *const dup[] = {"alpha", "alpha", NULL};
    r = suggest_among("alpah", dup);
    CHECK(r != NULL && strcmp(r, "alpha") == 0, "the same name twice is not a tie");
}

static int
run(struct session *s, const char *line, bl_err *err)
{
    struct out_buffer ob;
    out_buffer_init(&ob);
    bl_err_clear(err);
    int rc = cmd_run_line(s, line, &ob.out, err);
    out_buffer_free(&ob);
    return rc;
}

static void
test_messages(void)
{
    bl_err err;
    struct session *s = session_alloc(&err);
    CHECK(s != NULL, "session");
    if (s == NULL)
        return;
    CHECK(run(s, "obsrve 5", &err) != BL_OK &&
              strcmp(err.msg, "unknown command 'obsrve': did you mean 'observe'?") == 0,
          "verb: %s", err.msg);
    CHECK(run(s, "frobnicate", &err) != BL_OK &&
              strcmp(err.msg, "unknown command 'frobnicate' (type 'help' for the list)") == 0,
          "no suggestion: %s", err.msg);
    CHECK(run(s, "model blr aplha=2", &err) != BL_OK &&
              strcmp(err.msg, "model: unknown key 'aplha': did you mean 'alpha='?") == 0,
          "key: %s", err.msg);
    CHECK(run(s, "model blr features=fourir", &err) != BL_OK &&
              strstr(err.msg, "features=fourir: unknown: did you mean 'fourier'?") == err.msg,
          "choice: %s", err.msg);
    CHECK(run(s, "model blrr", &err) != BL_OK &&
              strstr(err.msg, "model blrr: unknown: did you mean 'blr'?") == err.msg,
          "subject: %s", err.msg);
    CHECK(run(s, "data LINEAR", &err) != BL_OK &&
              strstr(err.msg, "data LINEAR: unknown: did you mean 'linear'?") == err.msg,
          "subject in upper case: %s", err.msg);
    CHECK(run(s, "data linear inputs=UNIFORM", &err) != BL_OK &&
              strstr(err.msg, "inputs=UNIFORM: unknown: did you mean 'uniform'?") == err.msg,
          "choice in upper case: %s", err.msg);
    CHECK(run(s, "OBSERVE 5", &err) != BL_OK &&
              strcmp(err.msg, "unknown command 'OBSERVE': did you mean 'observe'?") == 0,
          "verb in upper case: %s", err.msg);
    CHECK(run(s, "help obsrve", &err) != BL_OK && strstr(err.msg, "did you mean 'observe'"),
          "help VERB: %s", err.msg);
    /* Aliases: the fourier world's k= and the feature map's m= are one concept. */
    CHECK(run(s, "seed 1; data fourier m=2 noise=0.1; model blr features=fourier k=2; observe 5",
              &err) == BL_OK,
          "k=/m= aliases: %s", err.msg);
    CHECK(run(s, "model blr features=fourier k=2 m=3", &err) != BL_OK &&
              strcmp(err.msg, "model: m given twice") == 0,
          "an alias and its key are one key: %s", err.msg);
    CHECK(run(s, "model blr features=fourier q=3", &err) != BL_OK &&
              strcmp(err.msg, "model: unknown key 'q': did you mean 'm='?") == 0,
          "q is 1 from m and from its alias k: one candidate, m: %s", err.msg);
    session_free(s);
}

static bool
has(char **v, const char *want)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], want) == 0)
            return true;
    return false;
}

static void
free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void
test_kernel_complete(void)
{
    const char *line = "model gp kernel=";
    char **v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=rbf(") && has(v, "kernel=periodic(") && has(v, "kernel=nngp("),
          "kernel names");
    free_list(v);
    line = "model gp kernel=ma";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=matern32(") && !has(v, "kernel=rbf("), "kernel name prefix");
    free_list(v);
    line = "model gp kernel=rbf(";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=rbf(var=") && has(v, "kernel=rbf(ls=") && !has(v, "kernel=rbf(period="),
          "rbf keys");
    free_list(v);
    line = "model gp kernel=rbf(ls=0.5)+periodic(ls=1,p";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=rbf(ls=0.5)+periodic(ls=1,period="), "second leaf's keys after ','");
    free_list(v);
    line = "model gp kernel=rbf(ls=0.5)*";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=rbf(ls=0.5)*white("), "a product's next term");
    free_list(v);
    line = "model gp kernel=nngp(d";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(has(v, "kernel=nngp(depth="), "nngp's extra keys");
    free_list(v);
    line = "model gp kernel=rbf(ls=";
    v = cmd_complete(line, 9, strlen(line));
    CHECK(v != NULL && v[0] == NULL, "a number: nothing to offer");
    free_list(v);
}

int
main(void)
{
    test_distance();
    test_choose();
    test_messages();
    test_kernel_complete();
    TEST_REPORT();
}
