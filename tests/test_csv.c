/* tests/test_csv.c - the strict CSV loader and the builtin data sets.
 *
 * Bad inputs live in tests/data/ (argv[1] names tests/); each case checks the code and a message fragment naming the
 * file, line and column. Good inputs must parse to the exact doubles strtod
 * gives for the same literals. Every builtin set must load with the shape
 * PROVENANCE.md documents, and its first and last cells must match the files. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/builtin.h"
#include "datasets/csv.h"
#include "harness.h"

/* Load path; expect failure with code and every fragment in the message. */
static void
expect_fail(const char *path, int code, const char *frag1, const char *frag2)
{
    bl_err err = {0};
    table *t = csv_load(path, &err);
    CHECK(t == NULL, "%s: loaded, want an error", path);
    table_free(t);
    CHECK(err.code == code, "%s: code %d, want %d (%s)", path, err.code, code, err.msg);
    CHECK(strstr(err.msg, frag1) != NULL, "%s: message '%s' lacks '%s'", path, err.msg, frag1);
    if (frag2 != NULL)
        CHECK(strstr(err.msg, frag2) != NULL, "%s: message '%s' lacks '%s'", path, err.msg, frag2);
}

static void
expect_fail_buf(const char *buf, size_t len, int code, const char *frag)
{
    bl_err err = {0};
    table *t = csv_parse(buf, len, "mem.csv", &err);
    CHECK(t == NULL, "'%s': parsed, want an error", buf);
    table_free(t);
    CHECK(err.code == code, "'%s': code %d, want %d (%s)", buf, err.code, code, err.msg);
    CHECK(strstr(err.msg, frag) != NULL, "'%s': message '%s' lacks '%s'", buf, err.msg, frag);
}

static table *
load_ok(const char *path)
{
    bl_err err = {0};
    table *t = csv_load(path, &err);
    CHECK(t != NULL, "%s: %s", path, err.msg);
    return t;
}

static void
test_bad_files(void)
{
    expect_fail(test_path("data/ragged.csv"), BL_EINVAL,
                "data/ragged.csv:3: ", "row has 3 cells, header has 2");
    expect_fail(test_path("data/short_row.csv"), BL_EINVAL,
                "data/short_row.csv:3: ", "row has 1 cell, header has 2");
    expect_fail(test_path("data/nonnumeric.csv"), BL_EINVAL, "data/nonnumeric.csv:3:3: 'abc' is not a number",
                NULL);
    expect_fail(test_path("data/nan.csv"), BL_EINVAL, "data/nan.csv:2:3: 'nan' is not a number", "NaN");
    expect_fail(test_path("data/inf.csv"), BL_EINVAL, "data/inf.csv:2:1: '-inf' is not a number", "infinity");
    expect_fail(test_path("data/hex.csv"), BL_EINVAL, "data/hex.csv:2:1: '0x1p3' is not a number", "decimal");
    expect_fail(test_path("data/empty.csv"), BL_EINVAL, "data/empty.csv: empty file", NULL);
    expect_fail(test_path("data/header_only.csv"), BL_EINVAL, "data/header_only.csv: no data rows", NULL);
    expect_fail(test_path("data/empty_cell.csv"), BL_EINVAL, "data/empty_cell.csv:2:3: empty cell", NULL);
    expect_fail(test_path("data/binary_nul.csv"), BL_EINVAL,
                "data/binary_nul.csv:3:3: binary data (byte 0x00)", NULL);
    expect_fail(test_path("data/binary_ctrl.csv"), BL_EINVAL,
                "data/binary_ctrl.csv:2:3: binary data (byte 0x01)", NULL);
    expect_fail(test_path("data/duplicate.csv"), BL_EINVAL,
                "data/duplicate.csv:1:3: duplicate column name 'x'", "also column 1");
    expect_fail(test_path("data/unterminated_quote.csv"), BL_EINVAL,
                "data/unterminated_quote.csv:1:1: unterminated quoted column name", NULL);
    expect_fail(test_path("data/no_such_file.csv"), BL_EIO, "data/no_such_file.csv: cannot open", NULL);
}

static void
test_bad_buffers(void)
{
    expect_fail_buf("x,y\n1,2\n\n3,4\n", 13, BL_EINVAL, "mem.csv:3: empty line inside the data");
    expect_fail_buf("x,y\n1,2\r3,4\n", 12, BL_EINVAL, "mem.csv:2:4: carriage return");
    expect_fail_buf("x,,y\n1,2,3\n", 11, BL_EINVAL, "mem.csv:1:3: empty column name");
    expect_fail_buf("x,y\n1,1e\n", 9, BL_EINVAL, "mem.csv:2:3: '1e' is not a number");
    expect_fail_buf("x,y\n1,.\n", 8, BL_EINVAL, "mem.csv:2:3: '.' is not a number");
    expect_fail_buf("x,y\n1,1e999\n", 12, BL_EINVAL, "mem.csv:2:3: '1e999' is out of range");
    expect_fail_buf("x,y\n1,\"2\"\n", 10, BL_EINVAL, "mem.csv:2:3: '\"2\"' is not a number");
    expect_fail_buf("x,y\n1,2 3\n", 10, BL_EINVAL, "mem.csv:2:3: '2 3' is not a number");
    expect_fail_buf("x,y\n1,NA\n", 9, BL_EINVAL, "missing values are not allowed");
    expect_fail_buf("\n\n  \n", 5, BL_EINVAL, "mem.csv: empty file");
    expect_fail_buf("x,y\n1,2\n\xff\n", 10, BL_EINVAL, "mem.csv:3:1: binary data (byte 0xff)");
    /* The column counts characters, not bytes: 'é' is two bytes. */
    expect_fail_buf("x,y\n\xc3\xa9,2\n", 9, BL_EINVAL, "mem.csv:2:1: '\xc3\xa9' is not a number");
    expect_fail_buf("\xc3\xa9,y\n1,z\n", 9, BL_EINVAL, "mem.csv:2:3: 'z'");
    /* No allocation on failure is checked by the sanitizer build (no leaks). */

    /* Column and row limits. */
    size_t n = (CSV_MAX_COLS + 1) * 8;
    char *wide = malloc(n + 8);
    CHECK(wide != NULL, "malloc");
    if (wide != NULL) {
        size_t at = 0;
        for (int j = 0; j <= CSV_MAX_COLS; j++)
            at += (size_t)sprintf(wide + at, j ? ",c%d" : "c%d", j);
        at += (size_t)sprintf(wide + at, "\n1\n");
        expect_fail_buf(wide, at, BL_EINVAL, "mem.csv:1: more than 1024 columns");
        free(wide);
    }
}

static void
test_good_files(void)
{
    table *t = load_ok(test_path("data/good.csv"));
    if (t != NULL) {
        CHECK(t->rows == 2 && t->cols == 3, "good.csv is %zux%zu, want 2x3", t->rows, t->cols);
        const double want[] = {0.1, -2.5e-3, +7, 1e10, .5, 5.};
        for (size_t i = 0; i < 6 && i < t->rows * t->cols; i++)
            CHECK(t->data[i] == want[i], "good.csv cell %zu = %.17g, want %.17g", i, t->data[i],
                  want[i]);
        CHECK(strcmp(t->names[0], "a") == 0 && strcmp(t->names[2], "c") == 0, "names");
        CHECK(strcmp(t->source, test_path("data/good.csv")) == 0, "source '%s'", t->source);
        CHECK(table_column(t, "b") == 1, "column b");
        CHECK(table_column(t, "2") == 2, "column '2' as index");
        CHECK(table_column(t, "3") == -1, "column '3' out of range");
        CHECK(table_column(t, "99999999999999999999999") == -1, "huge index");
        CHECK(table_column(t, "d") == -1, "unknown column");
        CHECK(table_column(t, "") == -1, "empty key");
        table_free(t);
    }
    t = load_ok(test_path("data/no_final_newline.csv"));
    if (t != NULL) {
        CHECK(t->rows == 2 && t->cols == 2, "no_final_newline is %zux%zu", t->rows, t->cols);
        CHECK(t->data[1] == -2e3 && t->data[3] == 4, "no_final_newline values");
        table_free(t);
    }
    t = load_ok(test_path("data/crlf.csv"));
    if (t != NULL) {
        CHECK(t->rows == 2 && t->cols == 2, "crlf is %zux%zu", t->rows, t->cols);
        CHECK(strcmp(t->names[1], "y") == 0, "crlf name '%s'", t->names[1]);
        CHECK(t->data[2] == 3 && t->data[3] == 4, "crlf values with blanks");
        table_free(t);
    }
    t = load_ok(test_path("data/quoted_header.csv"));
    if (t != NULL) {
        CHECK(t->cols == 3, "quoted header cols %zu", t->cols);
        CHECK(strcmp(t->names[0], "x, first") == 0, "quoted name '%s'", t->names[0]);
        CHECK(strcmp(t->names[1], "say \"hi\"") == 0, "escaped quotes '%s'", t->names[1]);
        CHECK(table_column(t, "x, first") == 0, "column by quoted name");
        table_free(t);
    }
    /* Trailing blank lines and a UTF-8 BOM are fine. */
    bl_err err = {0};
    const char bom[] = "\xEF\xBB\xBFx\n1\n\n \r\n";
    t = csv_parse(bom, sizeof bom - 1, "bom.csv", &err);
    CHECK(t != NULL && t->rows == 1 && strcmp(t->names[0], "x") == 0, "bom: %s", err.msg);
    table_free(t);
}

static void
test_standardize(void)
{
    table *t = load_ok(test_path("data/good.csv"));
    bl_err err = {0};
    if (t == NULL)
        return;
    table_free(t);
    t = builtin_load("diabetes", &err);
    CHECK(t != NULL, "diabetes: %s", err.msg);
    if (t == NULL)
        return;
    table_standardize(t);
    for (size_t j = 0; j < t->cols; j++) {
        double m = 0, ss = 0;
        for (size_t i = 0; i < t->rows; i++)
            m += t->data[i * t->cols + j];
        m /= (double)t->rows;
        for (size_t i = 0; i < t->rows; i++)
            ss += (t->data[i * t->cols + j] - m) * (t->data[i * t->cols + j] - m);
        /* 1e-12: closed form (z-scores), rounding only */
        CHECK_ABS(m, 0.0, 1e-12);
        CHECK_ABS(sqrt(ss / (double)(t->rows - 1)), 1.0, 1e-12);
    }
    table_free(t);

    const char cst[] = "a,b\n5,1\n5,2\n5,3\n";
    t = csv_parse(cst, sizeof cst - 1, "cst.csv", &err);
    CHECK(t != NULL, "cst: %s", err.msg);
    if (t != NULL) {
        table_standardize(t);
        CHECK(t->data[0] == 0 && t->data[2] == 0 && t->data[4] == 0, "constant column centred");
        CHECK_ABS(t->data[1], -1.0, 1e-15);
        CHECK_ABS(t->data[5], 1.0, 1e-15);
        table_free(t);
    }

    /* Extremes whose sum and squares overflow (issue 10): still z-scores. */
    const char big[] = "x,y\n-1e308,1\n1e308,2\n1.7e308,3\n";
    t = csv_parse(big, sizeof big - 1, "big.csv", &err);
    CHECK(t != NULL, "big: %s", err.msg);
    if (t != NULL) {
        table_standardize(t);
        bool finite = true;
        for (size_t i = 0; i < 6; i++)
            finite = finite && isfinite(t->data[i]);
        CHECK(finite, "extremes standardized to finite values: %g %g %g", t->data[0], t->data[2],
              t->data[4]);
        /* -1, 1, 1.7 (x 1e308): (-1 - mean) / sd, closed form */
        CHECK_ABS(t->data[0], -1.1180972599640453, 1e-12);
        CHECK_ABS(t->data[1], -1.0, 1e-15);
        table_free(t);
    }
}

struct builtin_want {
    const char *name;
    size_t rows, cols;
    double first0, firstlast, last0, lastlast;
};

static void
test_builtin(void)
{
    static const struct builtin_want want[] = {
        {"breast_cancer", 569, 31, 17.99, 1, 7.76, 0},
        {"co2_monthly", 521, 2, 1958.2083, 316.100, 2001.9583, 371.020},
        {"diabetes", 442, 11, 59, 151, 36, 57},
        {"sunspots_yearly", 309, 2, 1700, 5, 2008, 2.9},
    };
    const char *const *names = builtin_names();
    size_t n = 0;
    bl_err err = {0};

    while (names[n] != NULL)
        n++;
    CHECK(n == 4, "%zu builtin names, want 4", n);
    for (size_t k = 0; k < 4 && k < n; k++) {
        const struct builtin_want *w = &want[k];
        CHECK(strcmp(names[k], w->name) == 0, "name %zu '%s', want '%s'", k, names[k], w->name);
        table *t = builtin_load(w->name, &err);
        CHECK(t != NULL, "%s: %s", w->name, err.msg);
        if (t == NULL)
            continue;
        CHECK(t->rows == w->rows && t->cols == w->cols, "%s is %zux%zu, want %zux%zu", w->name,
              t->rows, t->cols, w->rows, w->cols);
        if (t->rows == w->rows && t->cols == w->cols) {
            size_t m = t->cols, last = (t->rows - 1) * m;
            CHECK(t->data[0] == w->first0, "%s first cell %.17g", w->name, t->data[0]);
            CHECK(t->data[m - 1] == w->firstlast, "%s first row last cell", w->name);
            CHECK(t->data[last] == w->last0, "%s last row first cell", w->name);
            CHECK(t->data[last + m - 1] == w->lastlast, "%s last cell", w->name);
        }
        char src[64];
        snprintf(src, sizeof src, "builtin:%s", w->name);
        CHECK(strcmp(t->source, src) == 0, "source '%s'", t->source);
        CHECK(builtin_default_target(w->name) == (long)w->cols - 1, "%s default target", w->name);
        const char *d = builtin_describe(w->name);
        CHECK(d != NULL && strncmp(d, w->name, strlen(w->name)) == 0, "%s describe", w->name);
        char shape[32];
        snprintf(shape, sizeof shape, "%zu x %zu", w->rows, w->cols);
        CHECK(d != NULL && strstr(d, shape) != NULL, "%s describe lacks '%s'", w->name, shape);
        table_free(t);
    }
    CHECK(builtin_load("foo", &err) == NULL, "foo loaded");
    CHECK(err.code == BL_EINVAL, "foo code %d", err.code);
    CHECK(strcmp(err.msg, "unknown data set 'foo' (choose breast_cancer, co2_monthly, diabetes, "
                          "sunspots_yearly)") == 0,
          "foo message '%s'", err.msg);
    CHECK(builtin_describe("foo") == NULL, "describe foo");
    CHECK(builtin_default_target("foo") == -1, "target foo");
    CHECK(table_column(NULL, "x") == -1, "table_column(NULL)");
}

int
main(int argc, char **argv)
{
    TEST_INIT_SRC(argc, argv);
    test_bad_files();
    test_bad_buffers();
    test_good_files();
    test_standardize();
    test_builtin();
    return TEST_REPORT();
}
