/* tests/test_ui_canvas.c - the character-cell canvas (ui/canvas.c).
 *
 * Expected glyphs come from the Unicode braille layout (dots 1-2-3-7 down
 * the left column = bits 0x01 0x02 0x04 0x40, dots 4-5-6-8 down the right =
 * 0x08 0x10 0x20 0x80), written out here independently of the code. Lines
 * are checked by the pixels they must hit (endpoints, one per column or row,
 * no gaps) rather than against a rendering. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ui/canvas.h"

static const uint8_t want_bit[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};

static bool
has_dot(const struct canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= 2 * c->cols || y >= 4 * c->rows)
        return false;
    const struct cell *cl = &c->cells[(y / 4) * c->cols + x / 2];
    return (cl->dots & want_bit[y % 4][x % 2]) != 0;
}

/* The canvas as text (caller frees). */
static char *
render(const struct canvas *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    int rc = canvas_write_text(c, f);
    fclose(f);
    CHECK(rc == 0, "canvas_write_text rc %d", rc);
    return buf;
}

static void
test_dot_glyphs(void)
{
    struct canvas c;
    CHECK(canvas_init(&c, 1, 1, false) == 0, "init 1x1");
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 2; k++) {
            canvas_clear(&c);
            canvas_dot(&c, k, r, COL_S1);
            uint32_t g = canvas_glyph(&c, 0, 0);
            CHECK(g == 0x2800u + want_bit[r][k], "dot (%d,%d): U+%04X, want U+%04X", k, r,
                  (unsigned)g, 0x2800u + want_bit[r][k]);
            CHECK(c.cells[0].color == COL_S1, "dot sets the colour");
        }
    canvas_clear(&c);
    for (int r = 0; r < 4; r++)
        for (int k = 0; k < 2; k++)
            canvas_dot(&c, k, r, COL_S1);
    CHECK(canvas_glyph(&c, 0, 0) == 0x28FF, "all eight dots: U+28FF");
    canvas_free(&c);

    /* ASCII: the same masks read as shapes. */
    CHECK(canvas_init(&c, 1, 1, true) == 0, "init ascii");
    struct {
        int pts[8][2];
        int n;
        char want;
        const char *what;
    } cases[] = {
        {{{0, 0}}, 1, '\'', "top-left dot"},
        {{{1, 1}}, 1, '\'', "second row dot"},
        {{{0, 3}}, 1, '.', "bottom dot"},
        {{{1, 2}, {0, 3}}, 2, '.', "bottom half"},
        {{{0, 0}, {1, 3}}, 2, ':', "top and bottom"},
        {{{0, 1}, {1, 1}}, 2, '-', "horizontal run through the middle"},
        {{{0, 2}, {1, 2}}, 2, '-', "horizontal run, lower middle"},
        {{{0, 0}, {0, 1}, {0, 2}, {0, 3}}, 4, '|', "vertical left column"},
        {{{0, 3}, {0, 2}, {1, 1}, {1, 0}}, 4, '/', "rising diagonal"},
        {{{0, 0}, {0, 1}, {1, 2}, {1, 3}}, 4, '\\', "falling diagonal"},
        {{{0, 0}, {0, 2}, {1, 1}, {1, 3}}, 4, ':', "checkerboard (band texture)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        canvas_clear(&c);
        for (int j = 0; j < cases[i].n; j++)
            canvas_dot(&c, cases[i].pts[j][0], cases[i].pts[j][1], 0);
        uint32_t g = canvas_glyph(&c, 0, 0);
        CHECK(g == (uint32_t)cases[i].want, "ascii %s: '%c', want '%c'", cases[i].what, (int)g,
              cases[i].want);
    }
    canvas_clear(&c);
    CHECK(canvas_glyph(&c, 0, 0) == ' ', "empty cell is a space");
    canvas_free(&c);
}

static void
test_lines(void)
{
    struct canvas c;
    canvas_init(&c, 20, 6, false); /* 40 x 24 pixels */
    canvas_line(&c, 1, 2, 30, 17, COL_S1, 0xFFFFFFFFu);
    CHECK(has_dot(&c, 1, 2), "line start pixel");
    CHECK(has_dot(&c, 30, 17), "line end pixel");
    /* Shallow diagonal: every column from 1 to 30 has exactly the dots of an
     * 8-connected path (one per column, rows moving by at most one). */
    int prev = -1;
    for (int x = 1; x <= 30; x++) {
        int found = -1, count = 0;
        for (int y = 0; y < 24; y++)
            if (has_dot(&c, x, y)) {
                found = y;
                count++;
            }
        CHECK(count == 1, "column %d has %d dots, want 1", x, count);
        if (prev >= 0)
            CHECK(found - prev >= 0 && found - prev <= 1, "column %d: row jumps %d -> %d", x, prev,
                  found);
        prev = found;
    }
    /* Steep line: every row between the ends has a dot. */
    canvas_clear(&c);
    canvas_line(&c, 35.2, 0.4, 30.7, 23.3, COL_S1, 0xFFFFFFFFu);
    for (int y = 0; y <= 23; y++) {
        int count = 0;
        for (int x = 0; x < 40; x++)
            count += has_dot(&c, x, y);
        CHECK(count >= 1, "steep line: row %d empty", y);
    }
    CHECK(has_dot(&c, 35, 0) && has_dot(&c, 31, 23), "steep line endpoints round to nearest");
    /* A point-like line draws its pixel. */
    canvas_clear(&c);
    canvas_line(&c, 5, 5, 5, 5, COL_S1, 0xFFFFFFFFu);
    CHECK(has_dot(&c, 5, 5), "zero-length line draws one dot");
    /* Non-finite coordinates draw nothing, huge ones are clipped. */
    canvas_clear(&c);
    canvas_line(&c, NAN, 1, 3, 3, COL_S1, 0xFFFFFFFFu);
    canvas_line(&c, 0, 1, INFINITY, 1, COL_S1, 0xFFFFFFFFu);
    int any = 0;
    for (int x = 0; x < 40; x++)
        for (int y = 0; y < 24; y++)
            any += has_dot(&c, x, y);
    CHECK(any == 0, "non-finite lines draw nothing (%d dots)", any);
    canvas_line(&c, -1e12, 3, 1e12, 3, COL_S1, 0xFFFFFFFFu);
    for (int x = 0; x < 40; x++)
        CHECK(has_dot(&c, x, 3), "huge horizontal line: pixel %d missing", x);
    canvas_free(&c);
}

static void
test_patterns(void)
{
    struct canvas c;
    canvas_init(&c, 32, 1, false); /* 64 pixels wide */
    canvas_line(&c, 0, 0, 63, 0, COL_S1, 0x0F0F0F0Fu);
    for (int x = 0; x < 64; x++)
        CHECK(has_dot(&c, x, 0) == ((x % 8) < 4), "dashed: pixel %d", x);
    canvas_clear(&c);
    canvas_line(&c, 0, 1, 63, 1, COL_S1, 0x55555555u);
    for (int x = 0; x < 64; x++)
        CHECK(has_dot(&c, x, 1) == (x % 2 == 0), "dotted: pixel %d", x);
    /* A dashed polyline sampled every 0.25 pixel keeps its dashes. */
    canvas_clear(&c);
    double phase = 0;
    for (int i = 0; i < 200; i++)
        canvas_line_phased(&c, i * 0.25, 2, (i + 1) * 0.25, 2, COL_S1, 0x0F0F0F0Fu, &phase);
    int on = 0, off = 0;
    for (int x = 0; x < 48; x++)
        has_dot(&c, x, 2) ? on++ : off++;
    CHECK(on >= 18 && off >= 18, "dense dashed polyline: %d on, %d off (want about half)", on, off);
    canvas_free(&c);
}

static void
test_clip(void)
{
    struct canvas c;
    canvas_init(&c, 10, 6, false);
    canvas_clip(&c, 2, 1, 3, 2); /* cells 2..4 x 1..2: pixels x 4..9, y 4..11 */
    for (int i = 0; i < 20; i++)
        canvas_line(&c, -5, i * 1.7 - 5, 30, 30 - i * 1.3, COL_S1, 0xFFFFFFFFu);
    canvas_line(&c, 0, 8, 19, 8, COL_S1, 0xFFFFFFFFu);
    for (int x = 0; x < 20; x++)
        for (int y = 0; y < 24; y++)
            canvas_dot(&c, x, y, COL_S2);
    int outside = 0, inside = 0;
    for (int r = 0; r < 6; r++)
        for (int k = 0; k < 10; k++) {
            bool in = k >= 2 && k <= 4 && r >= 1 && r <= 2;
            if (c.cells[r * 10 + k].dots)
                in ? inside++ : outside++;
        }
    CHECK(outside == 0, "clip: %d cells outside have dots", outside);
    CHECK(inside == 6, "clip: %d cells inside have dots, want 6", inside);
    /* The horizontal line is cut at the clip edges, not dropped. */
    canvas_clear(&c);
    canvas_line(&c, 0, 8, 19, 8, COL_S1, 0xFFFFFFFFu);
    CHECK(has_dot(&c, 4, 8) && has_dot(&c, 9, 8) && !has_dot(&c, 3, 8) && !has_dot(&c, 10, 8),
          "line cut exactly at the clip edges");
    canvas_clip(&c, 0, 0, -1, -1);
    canvas_dot(&c, 0, 0, COL_S1);
    CHECK(has_dot(&c, 0, 0), "clip lifted");
    canvas_clip(&c, 8, 4, 100, 100); /* partly off the canvas */
    canvas_dot(&c, 19, 23, COL_S1);
    canvas_dot(&c, 15, 23, COL_S1);
    CHECK(has_dot(&c, 19, 23) && !has_dot(&c, 15, 23), "clip cut to the canvas");
    canvas_clip(&c, 20, 20, 3, 3); /* entirely off: nothing drawn */
    canvas_line(&c, 0, 0, 19, 23, COL_S1, 0xFFFFFFFFu);
    CHECK(!has_dot(&c, 10, 12), "empty clip draws nothing");
    canvas_free(&c);
}

static void
test_box(void)
{
    struct canvas c;
    char row[256];
    canvas_init(&c, 20, 4, false);
    canvas_box(&c, 0, 0, 20, 4, "title", COL_DIM, COL_TITLE);
    CHECK(canvas_glyph(&c, 0, 0) == 0x250C && canvas_glyph(&c, 19, 0) == 0x2510 &&
              canvas_glyph(&c, 0, 3) == 0x2514 && canvas_glyph(&c, 19, 3) == 0x2518,
          "box corners");
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "┌─ title ──────────┐") == 0, "box title row '%s'", row);
    canvas_row_utf8(&c, 1, row, sizeof row);
    CHECK(strcmp(row, "│                  │") == 0, "box side row '%s'", row);
    canvas_row_utf8(&c, 3, row, sizeof row);
    CHECK(strcmp(row, "└──────────────────┘") == 0, "box bottom row '%s'", row);

    canvas_clear(&c);
    canvas_box(&c, 0, 0, 11, 3, "a long title", COL_DIM, COL_TITLE);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "┌─ a lo… ─┐") == 0, "truncated title '%s'", row);
    canvas_clear(&c);
    canvas_box(&c, 0, 0, 14, 3, "data n=12345", COL_DIM, COL_TITLE);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "┌─ data… ────┐") == 0, "a number is not split by a cut: '%s'", row);
    canvas_clear(&c);
    canvas_box(&c, 0, 0, 11, 3, "漢字漢字", COL_DIM, COL_TITLE);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "┌─ 漢字… ─┐") == 0, "wide title truncated to the box: '%s'", row);
    CHECK(canvas_glyph(&c, 10, 0) == 0x2510, "wide title leaves the corner");
    canvas_clear(&c);
    canvas_box(&c, 0, 0, 6, 3, "x", COL_DIM, COL_TITLE);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "┌────┐") == 0, "no room for a title: '%s'", row);
    canvas_free(&c);

    canvas_init(&c, 12, 3, true);
    canvas_box(&c, 0, 0, 12, 3, "a long title", COL_DIM, COL_TITLE);
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "+- a l... -+") == 0, "ascii truncated title '%s'", row);
    canvas_row_utf8(&c, 1, row, sizeof row);
    CHECK(strcmp(row, "|          |") == 0, "ascii side '%s'", row);
    canvas_row_utf8(&c, 2, row, sizeof row);
    CHECK(strcmp(row, "+----------+") == 0, "ascii bottom '%s'", row);
    canvas_free(&c);
}

static void
test_text(void)
{
    struct canvas c;
    char row[256];
    canvas_init(&c, 10, 2, false);
    int n = canvas_text(&c, 0, 0,
                        "a\xc3\xa4\xe6\xbc\xa2"
                        "b",
                        COL_DEFAULT, 0, -1); /* a ä 漢 b */
    CHECK(n == 5, "columns written %d, want 5", n);
    CHECK(canvas_glyph(&c, 0, 0) == 'a' && canvas_glyph(&c, 1, 0) == 0xE4 &&
              canvas_glyph(&c, 2, 0) == 0x6F22 && canvas_glyph(&c, 3, 0) == 0 &&
              canvas_glyph(&c, 4, 0) == 'b',
          "decoded glyphs");
    CHECK(c.cells[3].wide == 1 && c.cells[2].wide == 0, "wide flag on the second cell");
    canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(strcmp(row, "aä漢b") == 0, "row text '%s'", row);
    /* Overwriting half of a wide glyph blanks the other half. */
    canvas_put(&c, 3, 0, 'x', 0, 0);
    CHECK(canvas_glyph(&c, 2, 0) == ' ' && canvas_glyph(&c, 3, 0) == 'x', "half overwrite");

    /* Invalid bytes: a lone continuation, a bad lead, a truncated sequence,
     * an overlong, a surrogate: each maximal bad piece gives one U+FFFD. */
    canvas_clear(&c);
    n = canvas_text(&c, 0, 1,
                    "\x80"
                    "a\xff"
                    "b\xe6\xbc"
                    "c\xc0\xaf",
                    0, 0, -1);
    uint32_t want[] = {0xFFFD, 'a', 0xFFFD, 'b', 0xFFFD, 'c', 0xFFFD, 0xFFFD};
    CHECK(n == 8, "invalid: %d columns, want 8", n);
    for (int i = 0; i < 8; i++)
        CHECK(canvas_glyph(&c, i, 1) == want[i], "invalid byte col %d: U+%04X, want U+%04X", i,
              (unsigned)canvas_glyph(&c, i, 1), (unsigned)want[i]);
    canvas_clear(&c);
    n = canvas_text(&c, 0, 0, "\xed\xa0\x80", 0, 0, -1);
    CHECK(n == 3 && canvas_glyph(&c, 0, 0) == 0xFFFD, "surrogate rejected (%d cols)", n);

    /* Clipping: a wide glyph that does not fit stops the text, and the last
     * column says it was cut. */
    canvas_clear(&c);
    n = canvas_text(&c, 7, 0, "ab\xe6\xbc\xa2", 0, 0, -1);
    CHECK(n == 3 && canvas_glyph(&c, 9, 0) == 0x2026, "wide glyph at the edge stops (%d)", n);
    n = canvas_text(&c, 0, 1, "hello", 0, 0, 3);
    CHECK(n == 3 && canvas_glyph(&c, 3, 1) == ' ', "max_cols honoured (%d)", n);
    n = canvas_text(&c, -2, 1, "hello", 0, 0, -1);
    CHECK(n == 5 && canvas_glyph(&c, 0, 1) == 'l', "left clip (%d)", n);
    CHECK(canvas_text(&c, 0, 5, "x", 0, 0, -1) == 0, "row out of range");
    /* Dots do not overwrite text. */
    canvas_dot(&c, 0, 4, COL_S1);
    CHECK(canvas_glyph(&c, 0, 1) == 'l', "dot under text keeps the text");

    CHECK(canvas_text_width("\xe6\xbc\xa2\xe5\xad\x97"
                            "ab") == 6,
          "width CJK");
    CHECK(canvas_text_width("e\xcc\x81") == 1, "combining mark has width 0");
    CHECK(canvas_text_width("\xe2\xa3\xbf\xe2\x94\x80\xe2\x96\x88") == 3,
          "braille, box, block: width 1");
    CHECK(canvas_text_width("a\tb") == 2, "control chars width 0");
    CHECK(canvas_cp_width(0x1F600) == 2 && canvas_cp_width(0xFF21) == 2 &&
              canvas_cp_width(0xE9) == 1 && canvas_cp_width(0x2500) == 1,
          "code point widths");
    CHECK(canvas_text_width(NULL) == 0, "NULL has width 0");
    canvas_free(&c);
}

static void
test_sizes(void)
{
    struct canvas c;
    CHECK(canvas_init(&c, 0, 0, false) == 0, "0x0 init");
    canvas_dot(&c, 0, 0, 1);
    canvas_line(&c, -3, -3, 10, 10, 1, 0xFFFFFFFFu);
    canvas_put(&c, 0, 0, 'x', 0, 0);
    CHECK(canvas_text(&c, 0, 0, "abc", 0, 0, -1) == 0, "0x0 text");
    canvas_box(&c, 0, 0, 5, 5, "t", 0, 0);
    canvas_clear_rect(&c, 0, 0, 3, 3);
    canvas_clip(&c, 0, 0, 1, 1);
    canvas_dot(&c, 0, 0, 1);
    canvas_clear(&c);
    CHECK(canvas_glyph(&c, 0, 0) == ' ', "0x0 glyph");
    char *s = render(&c);
    CHECK(s != NULL && s[0] == '\0', "0x0 writes nothing");
    free(s);
    char row[8] = "zz";
    CHECK(canvas_row_utf8(&c, 0, row, sizeof row) == 0 && row[0] == '\0', "0x0 row");
    CHECK(canvas_resize(&c, 3, 2) == 0 && c.cols == 3 && c.rows == 2, "resize from 0x0");
    canvas_put(&c, 2, 1, 'q', 0, 0);
    s = render(&c);
    CHECK(s != NULL && strcmp(s, "\n  q\n") == 0, "3x2 after resize: '%s'", s ? s : "");
    free(s);
    CHECK(canvas_resize(&c, 0, 5) == 0 && c.cols == 0 && c.rows == 0, "resize to 0 cols");
    canvas_free(&c);
    canvas_free(&c); /* twice is harmless */

    CHECK(canvas_init(&c, 1, 1, false) == 0, "1x1 init");
    canvas_box(&c, 0, 0, 1, 1, "title", 0, 0);
    canvas_line(&c, -5, -5, 5, 5, 1, 0xFFFFFFFFu);
    /* Clipped to pixels (0..1, 0..3), the diagonal keeps (0, 0) and (1, 1). */
    CHECK(canvas_glyph(&c, 0, 0) == 0x2811, "1x1 diagonal: U+%04X, want U+2811",
          (unsigned)canvas_glyph(&c, 0, 0));
    s = render(&c);
    CHECK(s != NULL && strlen(s) == 4 && s[3] == '\n', "1x1 renders one braille cell");
    free(s);
    canvas_clear(&c);
    canvas_text(&c, 0, 0, "\xe6\xbc\xa2", 0, 0, -1);
    CHECK(canvas_glyph(&c, 0, 0) == 0x2026, "wide glyph does not fit a 1x1 canvas: cut, marked");
    canvas_free(&c);

    CHECK(canvas_init(&c, -3, 4, false) == 0 && c.cols == 0 && c.rows == 0, "negative size is 0x0");
    canvas_free(&c);
}

static void
test_write_text(void)
{
    struct canvas c;
    canvas_init(&c, 6, 3, false);
    canvas_dot(&c, 0, 0, 1);
    canvas_put(&c, 3, 0, 'x', 0, 0);
    canvas_put(&c, 1, 2, ' ', 0, 0);
    char *s = render(&c);
    CHECK(s != NULL && strcmp(s, "\xe2\xa0\x81  x\n\n\n") == 0, "trimmed rows, blanks are spaces");
    free(s);
    /* row_utf8 truncates at a character boundary */
    char row[4];
    size_t n = canvas_row_utf8(&c, 0, row, sizeof row);
    CHECK(n == 3 && strcmp(row, "\xe2\xa0\x81") == 0, "row truncated to whole glyphs (%zu)", n);
    /* clear_rect blanks a rectangle, and the half of a wide glyph outside it */
    canvas_text(&c, 0, 1,
                "\xe6\xbc\xa2"
                "abc",
                0, 0, -1);
    canvas_clear_rect(&c, 1, 1, 2, 1);
    CHECK(canvas_glyph(&c, 0, 1) == ' ' && canvas_glyph(&c, 1, 1) == ' ' &&
              canvas_glyph(&c, 2, 1) == ' ' && canvas_glyph(&c, 3, 1) == 'b',
          "clear_rect");
    canvas_free(&c);

    /* ASCII mode: only bytes < 0x80 whatever was drawn. */
    canvas_init(&c, 30, 6, true);
    canvas_box(&c, 0, 0, 30, 6,
               "posterior \xce\xb8 \xe2\x80\x94 \xe6\xbc\xa2\xe5\xad\x97 long title", COL_DIM,
               COL_TITLE);
    canvas_text(&c, 1, 1, "\xce\xb1=1 \xc2\xb1 \xe2\x97\x8f \xe6\xbc\xa2 \xff \xe2\x94\xbc", 0, 0,
                28);
    canvas_line(&c, 2, 8, 57, 22, COL_S1, 0xFFFFFFFFu);
    canvas_line(&c, 2, 22, 57, 9, COL_S1, 0x0F0F0F0Fu);
    for (int x = 2; x < 58; x += 2)
        canvas_dot(&c, x, 14 + (x % 4), COL_S2);
    canvas_put(&c, 5, 4, 0x1F600, 0, 0);
    s = render(&c);
    bool ascii = s != NULL;
    for (const char *q = s; q && *q; q++)
        if ((unsigned char)*q >= 0x80)
            ascii = false;
    CHECK(ascii, "ascii mode output has only ASCII bytes:\n%s", s ? s : "");
    /* Every row keeps its width (wide glyphs stay two columns). */
    int rows = 0, bad = 0;
    for (const char *q = s; q && *q;) {
        const char *e = strchr(q, '\n');
        if (e == NULL)
            break;
        if (rows == 0 || rows == 5)
            bad += (e - q) != 30;
        rows++;
        q = e + 1;
    }
    CHECK(rows == 6 && bad == 0, "ascii rows %d, bad widths %d", rows, bad);
    CHECK(s && strncmp(s, "+- posterior t - ???? lo... -+\n", 31) == 0, "ascii title: %.31s", s);
    free(s);
    canvas_free(&c);
}

int
main(void)
{
    TEST_INIT();
    test_dot_glyphs();
    test_lines();
    test_patterns();
    test_clip();
    test_box();
    test_text();
    test_sizes();
    test_write_text();
    return TEST_REPORT();
}
