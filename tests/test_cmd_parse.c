/* tests/test_cmd_parse.c - the command language: splitting, quoting,
 * argument validation, the table's invariants, completion, and that a failing
 * command leaves the session as it was. */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "harness.h"

static void
test_split(void)
{
    struct cmd_line l;
    bl_err err;
    CHECK(cmd_split("seed 1; data linear d=3 # comment; observe 5", &l, &err) == BL_OK, "split");
    CHECK(l.n == 2, "two commands before the comment, got %zu", l.n);
    CHECK(l.n == 2 && l.cmds[1].argc == 3 && strcmp(l.cmds[1].argv[2], "d=3") == 0, "words");
    cmd_line_free(&l);

    CHECK(cmd_split("data load file=\"my data;#1.csv\" y='a b'", &l, &err) == BL_OK, "quotes");
    CHECK(l.n == 1 && l.cmds[0].argc == 4, "quoted words kept whole");
    CHECK(l.n == 1 && strcmp(l.cmds[0].argv[2], "file=my data;#1.csv") == 0, "quote content: %s",
          l.n ? l.cmds[0].argv[2] : "");
    CHECK(l.n == 1 && strcmp(l.cmds[0].argv[3], "y=a b") == 0, "single quotes");
    cmd_line_free(&l);

    CHECK(cmd_split("  ;;  # only a comment", &l, &err) == BL_OK && l.n == 0, "empty commands");
    cmd_line_free(&l);

    CHECK(cmd_split("data load \"unterminated", &l, &err) == BL_EINVAL, "unterminated quote");
    CHECK(strstr(err.msg, "unterminated double quote at column 11") != NULL, "msg: %s", err.msg);
    CHECK(l.n == 0 && l.cmds == NULL, "nothing left allocated on failure");

    CHECK(cmd_split("a \"x\\\"y\"", &l, &err) == BL_OK && l.n == 1 &&
              strcmp(l.cmds[0].argv[1], "x\"y") == 0,
          "backslash escape in double quotes");
    cmd_line_free(&l);
}

static void
test_table(void)
{
    size_t n = 0;
    for (; cmd_table[n] != NULL; n++) {
        const struct cmd_entry *c = cmd_table[n];
        CHECK(cmd_usage(c) && c->summary && c->example && c->exec, "%s: incomplete entry", c->name);
        CHECK(c->spec == NULL || (c->usage == NULL && c->args == NULL),
              "%s: spec and usage/args both set", c->name);
        /* `help` lists "  NAME      summary" in 80 columns. */
        CHECK(c->summary && strlen(c->summary) <= 67, "%s: summary longer than 67 characters",
              c->name);
        if (n > 0)
            CHECK(strcmp(cmd_table[n - 1]->name, c->name) < 0, "table not sorted at %s",
                  c->name);
        for (const struct subject_spec *s = cmd_subjects(c); s && s->name; s++)
            CHECK(s->summary && s->example, "%s %s: no summary or example", c->name, s->name);
    }
    CHECK(n >= 10, "table has %zu commands", n);
    bl_err err;
    CHECK(cmd_find("obs", &err) == cmd_find("observe", &err), "unique prefix resolves");
    CHECK(cmd_find("s", &err) == NULL && strstr(err.msg, "ambiguous command 's'") &&
              strstr(err.msg, "seed") && strstr(err.msg, "show"),
          "ambiguity lists candidates: %s", err.msg);
    CHECK(cmd_find("frobnicate", &err) == NULL &&
              strcmp(err.msg, "unknown command 'frobnicate' (type 'help' for the list)") == 0,
          "unknown: %s", err.msg);
}

static int
run(struct session *s, const char *line, bl_err *err, struct out_buffer *ob)
{
    bl_err_clear(err);
    return cmd_run_line(s, line, &ob->out, err);
}

static void
test_bind_errors(void)
{
    bl_err err;
    struct out_buffer ob;
    out_buffer_init(&ob);
    struct session *s = session_alloc(&err);
    CHECK(run(s, "seed 7; data linear d=2 noise=0.5; model blr alpha=2 beta=4; observe 10", &err,
              &ob) == BL_OK,
          "setup: %s", err.msg);
    size_t n0 = s->n;
    double m0 = blr_mean(s->blr)[0];
    struct {
        const char *line, *msg;
    } bad[] = {
        {"model blr alpha=-1", "alpha=-1: must be in 1e-50..1e+50: beyond 1e+-50"},
        {"model blr alpha=nan", "alpha=nan: not a number"},
        {"model blr alpha=1e400", "alpha=1e400: out of double range"},
        {"model blr alpha=0x10", "alpha=0x10: not a number"},
        {"model blr gamma=3", "model: unknown key 'gamma'"},
        {"model blr alpha=1 alpha=2", "model: alpha given twice"},
        {"model frob", "model frob: unknown (choose blr, nig, gp, tp, nn, dkm)"},
        {"model", "model: say what (choose blr, nig, gp, tp, nn, dkm)"},
        {"model blr features=spline", "features=spline: unknown (choose identity, poly"},
        {"observe 0", "observe 0: must be in 1..10000000"},
        {"observe n=0", "n=0: must be in 1..10000000"},
        {"observe 2.5", "observe 2.5: not an integer"},
        {"observe 1e20", "observe 1e20: must be in 1..10000000"},
        {"observe 1.5e0", "observe 1.5e0: not an integer"},
        {"observe 99999999999", "must be in 1..10000000"},
        /* Too many digits for a long long is out of range, not "not an integer". */
        {"observe 99999999999999999999999",
         "observe 99999999999999999999999: must be in 1..10000000"},
        {"seed -99999999999999999999999",
         "seed -99999999999999999999999: must be in 0..4294967295"},
        {"observe 3 4", "observe: unexpected word '4'"},
        {"data linear d=0", "d=0: must be in 1..4096"},
        {"data linear d=1000000", "d=1000000: must be in 1..4096"},
        {"data linear d=2 w=1,2,3", "w= has 3 numbers but d=2"},
        {"data linear noise=-1", "noise=-1: must be in 0..1000000"},
        /* An empty value reads the same for every type (a space after '='). */
        {"data linear noise= 0.1", "noise=: empty value; give a number in 0..1000000"},
        {"data linear d=", "d=: empty value; give an integer in 1..4096"},
        {"data linear inputs=", "inputs=: empty value; choose gaussian, uniform"},
        {"data linear w=", "w=: empty value; give numbers separated by commas"},
        {"data load file=", "file=: empty value; give a file name"},
        {"help verb=", "verb=: empty value; give a word"},
        {"data load", "data: missing file"},
        {"data load /nonexistent/x.csv", "/nonexistent/x.csv"},
        {"data builtin nope", "name=nope: unknown (choose breast_cancer"},
        {"show predictive x=1,2,3", "x has 3 numbers, the inputs have 2"},
        {"show predictive x=a", "x=a: 'a' is not a finite number"},
        {"export trace nothing f.csv", "name=nothing: unknown"},
        {"seed -1", "seed -1: must be in 0..4294967295"},
        {"frob 3", "unknown command 'frob'"},
        {"help nope", "unknown command 'nope'"},
        {"stream", "stream: give n= in batch mode"},
        {"pause", "nothing is running"},
        {"screenshot x.txt", "no panes to render"},
        {"screenshot x.txt cols=5", "cols=5: must be in 20..1000"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run(s, bad[i].line, &err, &ob);
        CHECK(rc != BL_OK, "'%s' accepted", bad[i].line);
        CHECK(strstr(err.msg, bad[i].msg) != NULL, "'%s': message '%s' lacks '%s'", bad[i].line,
              err.msg, bad[i].msg);
        CHECK(s->n == n0 && s->blr != NULL && blr_mean(s->blr)[0] == m0 &&
                  blr_options(s->blr)->alpha == 2 && blr_options(s->blr)->beta == 4,
              "'%s' changed the session", bad[i].line);
    }
    /* A failure in the middle of a line stops the rest of it. */
    CHECK(run(s, "observe 2; frob; observe 3", &err, &ob) != BL_OK && s->n == n0 + 2,
          "commands after a failure do not run (n = %zu)", s->n);
    /* Integral values in float notation are integers. */
    size_t n1 = s->n;
    CHECK(run(s, "observe 1e1; observe n=2.0E0", &err, &ob) == BL_OK && s->n == n1 + 12,
          "observe 1e1 and n=2.0E0 take 12 points (n = %zu): %s", s->n - n1, err.msg);
    session_free(s);
    out_buffer_free(&ob);
}

static int
has(char **v, const char *word)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], word) == 0)
            return 1;
    return 0;
}

static void
free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static void
test_complete(void)
{
    char **v = cmd_complete("ob", 0, 2);
    CHECK(has(v, "observe") && !has(v, "seed"), "verb completion");
    free_list(v);
    v = cmd_complete("data li", 5, 7);
    CHECK(has(v, "linear") && !has(v, "load"), "subject completion");
    free_list(v);
    v = cmd_complete("data linear no", 12, 14);
    CHECK(has(v, "noise=") && !has(v, "d="), "key completion");
    free_list(v);
    v = cmd_complete("model blr features=p", 10, 20);
    CHECK(has(v, "features=poly") && !has(v, "features=rbf"), "choice completion");
    free_list(v);
    v = cmd_complete("seed 1; model ", 14, 14);
    CHECK(has(v, "blr") && has(v, "nig"), "after ';' a new command starts");
    free_list(v);
    v = cmd_complete("data load ", 10, 10);
    CHECK(v == NULL, "file argument: front end completes file names");
    free_list(v);
    v = cmd_complete("data builtin s", 13, 14);
    CHECK(has(v, "sunspots_yearly"), "positional choice completion");
    free_list(v);
    v = cmd_complete("help obs", 5, 8);
    CHECK(has(v, "observe"), "help completes verbs");
    free_list(v);
}

static void
test_help(void)
{
    struct out_buffer ob;
    bl_err err;
    out_buffer_init(&ob);
    cmd_help_all(&ob.out);
    for (size_t i = 0; cmd_table[i] != NULL; i++)
        CHECK(strstr(ob.text, cmd_table[i]->summary) != NULL, "help lists %s",
              cmd_table[i]->name);
    out_buffer_free(&ob);
    for (size_t i = 0; cmd_table[i] != NULL; i++) {
        out_buffer_init(&ob);
        CHECK(cmd_help_one(cmd_table[i]->name, &ob.out, &err) == BL_OK, "help %s",
              cmd_table[i]->name);
        CHECK(strstr(ob.text, "usage: ") && strstr(ob.text, "example: "), "help %s complete",
              cmd_table[i]->name);
        out_buffer_free(&ob);
    }
    out_buffer_init(&ob);
    cmd_help_one("model", &ob.out, &err);
    CHECK(strstr(ob.text, "alpha=NUMBER") && strstr(ob.text, "default 1; in 1e-50..1e+50"),
          "keys with default and range:\n%s", ob.text);
    out_buffer_free(&ob);
}

int
main(void)
{
    TEST_INIT();
    test_split();
    test_table();
    test_bind_errors();
    test_complete();
    test_help();
    return TEST_REPORT();
}
