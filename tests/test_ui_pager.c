/* tests/test_ui_pager.c - the pager's model (paging, search, wrap-around,
 * close) drawn on a canvas, and the column layout of completion lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ui/canvas.h"
#include "ui/lineedit.h"
#include "ui/pager.h"

static void
row_text(const struct canvas *c, int row, char *buf, size_t size)
{
    canvas_row_utf8(c, row, buf, size);
}

static void
test_pager(void)
{
    struct pager p;
    struct canvas c;
    char buf[512];
    int cc, cr;
    pager_init(&p);
    CHECK(canvas_init(&c, 60, 11, true) == 0, "canvas");
    pager_begin(&p, "help");
    for (int i = 0; i < 35; i++) {
        char line[64];
        snprintf(line, sizeof line, "line %02d%s", i, i == 20 ? " the Needle" : "");
        pager_add(&p, line, false);
    }
    CHECK(!p.open, "pager_begin does not open");
    pager_show(&p);
    pager_draw(&p, &c, &cc, &cr);
    row_text(&c, 0, buf, sizeof buf);
    CHECK(strncmp(buf, "line 00", 7) == 0, "first page starts at the top: %s", buf);
    row_text(&c, 10, buf, sizeof buf);
    CHECK(strstr(buf, "lines 1-10/35") && strstr(buf, "q close"), "status line: %s", buf);
    /* At 60 columns the key list is cut whole, never mid-word. */
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == ' ')
        len--;
    CHECK(len > 6 && strncmp(buf + len - 6, "n next", 6) == 0 && strstr(buf, "PgDn") == NULL,
          "status line fits 60 columns by dropping whole keys (no cut mark): %s", buf);
    CHECK(cr == 10, "cursor on the status line");
    pager_key(&p, PK_CHAR, ' ');
    CHECK(p.top == 9, "space pages by a page less one line of context (top %zu)", p.top);
    pager_key(&p, PK_PGUP, 0);
    CHECK(p.top == 0, "PgUp back");
    pager_key(&p, PK_END, 0);
    CHECK(p.top == 25, "End shows the last page (top %zu)", p.top);
    pager_key(&p, PK_DOWN, 0);
    CHECK(p.top == 25, "no scrolling past the end");
    pager_key(&p, PK_HOME, 0);
    pager_key(&p, PK_UP, 0);
    CHECK(p.top == 0, "no scrolling before the start");

    pager_key(&p, PK_CHAR, '/');
    CHECK(p.prompting, "/ starts a search");
    for (const char *q = "needle"; *q; q++)
        pager_key(&p, PK_CHAR, *q);
    pager_draw(&p, &c, &cc, &cr);
    row_text(&c, 10, buf, sizeof buf);
    CHECK(strncmp(buf, "/needle", 7) == 0 && cc == 7, "the search is typed on the status line");
    pager_key(&p, PK_ENTER, 0);
    CHECK(!p.prompting && p.match == 20, "case-insensitive match on line 20 (%ld)", p.match);
    CHECK(p.top <= 20 && p.top + 10 > 20, "the match is on screen (top %zu)", p.top);
    pager_key(&p, PK_CHAR, 'n');
    CHECK(p.match == 20 && strstr(p.note, "wrapped"), "n wraps to the only match");
    pager_key(&p, PK_CHAR, '/');
    for (const char *q = "line 3"; *q; q++)
        pager_key(&p, PK_CHAR, *q);
    pager_key(&p, PK_ENTER, 0);
    long first = p.match;
    pager_key(&p, PK_CHAR, 'n');
    CHECK(first == 30 && p.match == 31, "n goes to the next match (%ld, %ld)", first, p.match);
    pager_key(&p, PK_CHAR, 'N');
    CHECK(p.match == 30, "N goes back");
    pager_key(&p, PK_CHAR, '/');
    for (const char *q = "absent"; *q; q++)
        pager_key(&p, PK_CHAR, *q);
    pager_key(&p, PK_ENTER, 0);
    CHECK(strstr(p.note, "not found"), "not found is said");
    pager_key(&p, PK_CHAR, '/');
    pager_key(&p, PK_BACKSPACE, 0);
    CHECK(!p.prompting, "backspace on an empty search leaves it");

    pager_key(&p, PK_CHAR, 'x');
    CHECK(p.open && strstr(p.note, "q closes"), "other letters only remind");
    pager_key(&p, PK_CHAR, 'q');
    CHECK(!p.open, "q closes");
    CHECK(!pager_key(&p, PK_CHAR, ' '), "a closed pager takes no keys");
    pager_show(&p);
    pager_key(&p, PK_ESC, 0);
    CHECK(!p.open, "Esc closes");

    /* Short text: no scrolling at all. */
    pager_begin(&p, "short");
    pager_add(&p, "one", false);
    pager_show(&p);
    pager_draw(&p, &c, &cc, &cr);
    pager_key(&p, PK_PGDN, 0);
    CHECK(p.top == 0, "a short text does not scroll");
    canvas_free(&c);
    pager_free(&p);
}

static void
test_columns(void)
{
    const char *c1[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
    /* widest 7 + 2 = 9 columns each; width 20 holds two: rows of 3, down then across. */
    char **rows = lineedit_columns(c1, 5, 20);
    CHECK(rows && rows[0] && rows[1] && rows[2] && !rows[3], "three rows");
    if (rows && rows[0] && rows[1] && rows[2]) {
        CHECK(strcmp(rows[0], "alpha    delta") == 0, "row 0: '%s'", rows[0]);
        CHECK(strcmp(rows[1], "beta     epsilon") == 0, "row 1: '%s'", rows[1]);
        CHECK(strcmp(rows[2], "gamma") == 0, "row 2, no padding after the last: '%s'", rows[2]);
    }
    for (size_t i = 0; rows && rows[i]; i++)
        free(rows[i]);
    free(rows);
    const char *c2[] = {"kernel=rbf(", "kernel=white("};
    rows = lineedit_columns(c2, 2, 80);
    CHECK(rows && rows[0] && strcmp(rows[0], "rbf(    white(") == 0,
          "the shared prefix up to '=' is not repeated: '%s'", rows && rows[0] ? rows[0] : "");
    for (size_t i = 0; rows && rows[i]; i++)
        free(rows[i]);
    free(rows);
    const char *c3[] = {"seed", "show", "step"};
    rows = lineedit_columns(c3, 3, 3);
    CHECK(rows && rows[2] && strcmp(rows[2], "step") == 0 && !rows[3], "narrow: one column");
    for (size_t i = 0; rows && rows[i]; i++)
        free(rows[i]);
    free(rows);
}

/* A help key line wider than the screen wraps at blanks, every row within
 * the width, continuation rows indented, no text lost. */
static void
test_wrap(void)
{
    struct pager p;
    pager_init(&p);
    pager_begin(&p, "help");
    const char *key = "  m=INT  rbf: centres; fourier: frequencies K; relu: units (at most 4096 "
                      "features: rbf 1 + d m, fourier 1 + 2 d m, relu m + bias) (default 10; "
                      "in 1..4095)";
    CHECK(pager_add_wrapped(&p, key, false, 40) == 0, "wrapped");
    CHECK(p.n >= 4, "%zu rows for a %zu-character line at 40 columns", p.n, strlen(key));
    size_t total = 0;
    for (size_t i = 0; i < p.n; i++) {
        CHECK(canvas_text_width(p.line[i]) <= 40, "row %zu within 40 columns: '%s'", i, p.line[i]);
        CHECK(i == 0 || strncmp(p.line[i], "         rbf", 12) == 0 ||
                  strncmp(p.line[i], "         ", 9) == 0,
              "row %zu indented under the description: '%s'", i, p.line[i]);
        total += strlen(p.line[i]);
    }
    CHECK(strstr(p.line[p.n - 1], "in 1..4095)") != NULL, "the range survives: '%s'",
          p.line[p.n - 1]);
    CHECK(total >= strlen(key) - 8, "no text lost (%zu of %zu bytes)", total, strlen(key));
    CHECK(pager_add_wrapped(&p, "short", false, 40) == 0 && strcmp(p.line[p.n - 1], "short") == 0,
          "a short line is kept as it is");
    pager_free(&p);
}

/* A resize wraps the rows anew: at a narrower width no row is wider than
 * the screen (pager_draw would cut it), at a wider one the rows are fewer;
 * the line at the top stays at the top, and the old width gives the old rows. */
static void
test_rewrap(void)
{
    struct pager p;
    pager_init(&p);
    pager_begin(&p, "help");
    char at40[64][128];
    for (int i = 0; i < 12; i++) {
        char line[256];
        snprintf(line, sizeof line,
                 "  key%02d=NUM  the %d-th key of a long help text, wrapped at blanks to the width "
                 "of the screen it shows on",
                 i, i);
        CHECK(pager_add_wrapped(&p, line, false, 40) == 0, "wrapped %d", i);
    }
    size_t n40 = p.n;
    for (size_t i = 0; i < n40 && i < 64; i++)
        snprintf(at40[i], sizeof at40[i], "%s", p.line[i]);
    p.top = 3 * n40 / 4;
    while (p.top > 0 && strncmp(p.line[p.top], "  key", 5) != 0)
        p.top--;
    char top[128];
    snprintf(top, sizeof top, "%s", p.line[p.top]);
    CHECK(pager_rewrap(&p, 120) == 0 && p.n == 12, "at 120 columns one row a line (%zu)", p.n);
    CHECK(strncmp(p.line[p.top], top, 12) == 0, "the top line stays on top: '%s'", p.line[p.top]);
    CHECK(pager_rewrap(&p, 24) == 0 && p.n > n40, "at 24 columns more rows (%zu)", p.n);
    bool fit = true;
    for (size_t i = 0; i < p.n; i++)
        fit = fit && canvas_text_width(p.line[i]) <= 24;
    CHECK(fit, "every row within 24 columns");
    CHECK(strncmp(p.line[p.top], top, 12) == 0, "the top line stays on top at 24: '%s'",
          p.line[p.top]);
    CHECK(pager_rewrap(&p, 40) == 0 && p.n == n40, "back at 40 columns: %zu rows", p.n);
    bool same = true;
    for (size_t i = 0; i < p.n && i < 64; i++)
        same = same && strcmp(p.line[i], at40[i]) == 0;
    CHECK(same, "the same rows as first wrapped at 40");
    pager_free(&p);
}

int
main(void)
{
    test_pager();
    test_columns();
    test_wrap();
    test_rewrap();
    TEST_REPORT();
}
