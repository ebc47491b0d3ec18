/* datasets/csv.c - strict numeric CSV loader; contracts in csv.h.
 *
 * One pass over the buffer, line by line. Every problem is reported as
 * "FILE:LINE:COL: problem" with LINE and COL 1-based; COL counts characters
 * (UTF-8 continuation bytes do not advance it) from the start of the line to
 * the start of the offending cell, after its leading blanks. Problems about a
 * whole line drop COL, problems about the whole file drop both.
 *
 * What is a number: [+-] digits [. digits] [(e|E) [+-] digits], with at least
 * one digit in the mantissa, checked by hand before strtod so that strtod's
 * extras (nan, inf, hex floats, locale forms) are refused. A value that
 * overflows to infinity is refused; one that underflows is kept as strtod
 * gives it. Blank lines after the last row are ignored; a blank line inside
 * the data is an error (a row with no cells). A UTF-8 byte order mark at the
 * start is skipped. Nothing is allocated on failure. */
#include "datasets/csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_NUMBER 128         /* longest cell text accepted as a number */
#define CSV_MAX_FILE   (1UL << 30) /* csv_load refuses files larger than 1 GiB */

/* Parser state: the current line [line, eol) of buf, its number. */
typedef struct csv_cursor {
    const char *buf, *end;
    const char *name;
    const char *line; /* start of the current line */
    const char *eol;  /* its end, before any CR LF or LF */
    size_t lineno;    /* 1-based */
} csv_cursor;

/* 1-based character column of p on the current line. */
static size_t
csv_col(const csv_cursor *c, const char *p)
{
    size_t col = 1;
    for (const char *q = c->line; q < p; q++)
        if (((unsigned char)*q & 0xC0) != 0x80)
            col++;
    return col;
}

/* Copy the cell [s, e) into out (size n) for a message, shortened with "...". */
static const char *
csv_excerpt(const char *s, const char *e, char *out, size_t n)
{
    size_t len = (size_t)(e - s), max = n - 4;
    if (len <= n - 1) {
        memcpy(out, s, len);
        out[len] = '\0';
    } else {
        memcpy(out, s, max);
        memcpy(out + max, "...", 4);
    }
    return out;
}

static bool
csv_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Bytes that never occur in text: C0 controls other than TAB CR LF, DEL, and
 * bytes that are invalid anywhere in UTF-8. */
static bool
csv_binary_byte(unsigned char b)
{
    return (b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7F || b == 0xC0 ||
           b == 0xC1 || b >= 0xF5;
}

/* Advance to the line starting at from: sets line, eol, lineno and checks its
 * bytes for binary data. *have is false at the end of the buffer. */
static int
csv_next_line(csv_cursor *c, const char *from, bool *have, bl_err *err)
{
    const char *p = from;

    *have = false;
    if (p >= c->end)
        return BL_OK;
    c->line = p;
    c->lineno++;
    while (p < c->end && *p != '\n') {
        unsigned char b = (unsigned char)*p;
        if (b == '\r' && (p + 1 == c->end || p[1] == '\n'))
            break;
        if (b == '\r')
            return bl_fail(err, BL_EINVAL,
                           "%s:%zu:%zu: carriage return inside a line (line ends must be LF or "
                           "CR LF)",
                           c->name, c->lineno, csv_col(c, p));
        if (csv_binary_byte(b))
            return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: binary data (byte 0x%02x)", c->name,
                           c->lineno, csv_col(c, p), b);
        p++;
    }
    c->eol = p;
    *have = true;
    return BL_OK;
}

/* Where the line after the current one starts. */
static const char *
csv_after_line(const csv_cursor *c)
{
    const char *p = c->eol;
    if (p < c->end && *p == '\r')
        p++;
    if (p < c->end && *p == '\n')
        p++;
    return p;
}

static bool
csv_line_blank(const csv_cursor *c)
{
    for (const char *p = c->line; p < c->eol; p++)
        if (!csv_blank(*p))
            return false;
    return true;
}

/* True when the rest of the buffer from p holds only blanks and line ends
 * (binary bytes are still reported by csv_next_line if present). */
static bool
csv_rest_blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (!csv_blank(*p) && *p != '\r' && *p != '\n')
            return false;
    return true;
}

static void
csv_free_names(char **names, size_t n)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Parse one header cell starting at *pp (leading blanks skipped); on success
 * *out is a new string and *pp points at the ',' or the end of the line. */
static int
csv_header_cell(csv_cursor *c, const char **pp, char **out, bl_err *err)
{
    const char *p = *pp, *s, *e;
    char tmp[48];

    while (p < c->eol && csv_blank(*p))
        p++;
    s = p;
    if (p < c->eol && *p == '"') {
        /* Quoted: "" inside stands for one quote; nothing but blanks after. */
        size_t n = 0;
        char *name;
        const char *q;
        p++;
        for (q = p;; q++) {
            if (q >= c->eol)
                return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: unterminated quoted column name",
                               c->name, c->lineno, csv_col(c, s));
            if (*q == '"') {
                if (q + 1 < c->eol && q[1] == '"') {
                    q++;
                } else {
                    break;
                }
            }
            n++;
        }
        e = q + 1;
        while (e < c->eol && csv_blank(*e))
            e++;
        if (e < c->eol && *e != ',')
            return bl_fail(err, BL_EINVAL,
                           "%s:%zu:%zu: text after the closing quote of a column "
                           "name",
                           c->name, c->lineno, csv_col(c, e));
        if (n == 0)
            return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: empty column name", c->name, c->lineno,
                           csv_col(c, s));
        name = malloc(n + 1);
        if (name == NULL)
            return bl_fail(err, BL_ENOMEM, "%s: out of memory", c->name);
        n = 0;
        for (const char *r = p; r < q; r++) {
            name[n++] = *r;
            if (*r == '"')
                r++;
        }
        name[n] = '\0';
        *out = name;
        *pp = e;
        return BL_OK;
    }
    while (p < c->eol && *p != ',') {
        if (*p == '"')
            return bl_fail(err, BL_EINVAL,
                           "%s:%zu:%zu: quote inside an unquoted column name "
                           "'%s'",
                           c->name, c->lineno, csv_col(c, s),
                           csv_excerpt(s, c->eol, tmp, sizeof tmp));
        p++;
    }
    e = p;
    while (e > s && csv_blank(e[-1]))
        e--;
    if (e == s)
        return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: empty column name", c->name, c->lineno,
                       csv_col(c, s));
    *out = malloc((size_t)(e - s) + 1);
    if (*out == NULL)
        return bl_fail(err, BL_ENOMEM, "%s: out of memory", c->name);
    memcpy(*out, s, (size_t)(e - s));
    (*out)[e - s] = '\0';
    *pp = p;
    return BL_OK;
}

static int
csv_header(csv_cursor *c, char ***names_out, size_t *cols_out, bl_err *err)
{
    char **names = NULL;
    size_t cols = 0, cap = 0;
    const char *p = c->line;
    int rc;

    for (;;) {
        if (cols == CSV_MAX_COLS) {
            rc = bl_fail(err, BL_EINVAL, "%s:%zu: more than %d columns", c->name, c->lineno,
                         CSV_MAX_COLS);
            goto fail;
        }
        if (cols == cap) {
            size_t ncap = cap == 0 ? 16 : 2 * cap;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL) {
                rc = bl_fail(err, BL_ENOMEM, "%s: out of memory", c->name);
                goto fail;
            }
            names = nn;
            cap = ncap;
        }
        const char *start = p;
        while (start < c->eol && csv_blank(*start))
            start++;
        rc = csv_header_cell(c, &p, &names[cols], err);
        if (rc != BL_OK)
            goto fail;
        for (size_t j = 0; j < cols; j++) {
            if (strcmp(names[j], names[cols]) == 0) {
                char tmp[48];
                rc = bl_fail(
                    err, BL_EINVAL, "%s:%zu:%zu: duplicate column name '%s' (also column %zu)",
                    c->name, c->lineno, csv_col(c, start),
                    csv_excerpt(names[cols], names[cols] + strlen(names[cols]), tmp, sizeof tmp),
                    j + 1);
                cols++;
                goto fail;
            }
        }
        cols++;
        if (p >= c->eol)
            break;
        p++; /* the comma */
    }
    *names_out = names;
    *cols_out = cols;
    return BL_OK;

fail:
    csv_free_names(names, cols);
    return rc;
}

/* Is [s, e) a plain decimal number (see the file comment)? */
static bool
csv_decimal(const char *s, const char *e)
{
    size_t digits = 0;

    if (s < e && (*s == '+' || *s == '-'))
        s++;
    while (s < e && isdigit((unsigned char)*s))
        s++, digits++;
    if (s < e && *s == '.') {
        s++;
        while (s < e && isdigit((unsigned char)*s))
            s++, digits++;
    }
    if (digits == 0)
        return false;
    if (s < e && (*s == 'e' || *s == 'E')) {
        size_t ed = 0;
        s++;
        if (s < e && (*s == '+' || *s == '-'))
            s++;
        while (s < e && isdigit((unsigned char)*s))
            s++, ed++;
        if (ed == 0)
            return false;
    }
    return s == e;
}

/* A hint for the most common non-numbers. */
static const char *
csv_hint(const char *s, const char *e)
{
    char low[12];
    size_t n = (size_t)(e - s), i;

    if (n > 0 && (*s == '+' || *s == '-'))
        s++, n--;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return " (only decimal numbers are allowed)";
    if (n == 0 || n >= sizeof low)
        return "";
    for (i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    low[i] = '\0';
    if (strcmp(low, "nan") == 0 || strcmp(low, "inf") == 0 || strcmp(low, "infinity") == 0)
        return " (NaN and infinity are not allowed)";
    if (strcmp(low, "na") == 0 || strcmp(low, "null") == 0 || strcmp(low, "none") == 0)
        return " (missing values are not allowed)";
    return "";
}

/* Parse the current line as a data row into out[0..cols-1]. */
static int
csv_row(const csv_cursor *c, size_t cols, double *out, bl_err *err)
{
    const char *p = c->line;
    size_t n = 0;
    char tmp[48];

    for (;;) {
        const char *s, *e, *next;
        while (p < c->eol && csv_blank(*p))
            p++;
        s = p;
        while (p < c->eol && *p != ',')
            p++;
        next = p;
        e = p;
        while (e > s && csv_blank(e[-1]))
            e--;
        if (n == cols) {
            /* Count the rest for the message. */
            size_t total = n + 1;
            for (const char *q = s; q < c->eol; q++)
                total += *q == ',';
            return bl_fail(err, BL_EINVAL, "%s:%zu: row has %zu cells, header has %zu", c->name,
                           c->lineno, total, cols);
        }
        if (s == e) {
            return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: empty cell (column %zu)", c->name,
                           c->lineno, csv_col(c, s), n + 1);
        }
        if (!csv_decimal(s, e) || (size_t)(e - s) >= CSV_MAX_NUMBER) {
            return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: '%s' is not a number%s", c->name, c->lineno,
                           csv_col(c, s), csv_excerpt(s, e, tmp, sizeof tmp),
                           (size_t)(e - s) >= CSV_MAX_NUMBER ? " (too long)" : csv_hint(s, e));
        }
        char num[CSV_MAX_NUMBER];
        char *endp;
        memcpy(num, s, (size_t)(e - s));
        num[e - s] = '\0';
        errno = 0;
        double v = strtod(num, &endp);
        if (*endp != '\0' || !isfinite(v)) {
            return bl_fail(err, BL_EINVAL, "%s:%zu:%zu: '%s' is out of range for a double", c->name,
                           c->lineno, csv_col(c, s), csv_excerpt(s, e, tmp, sizeof tmp));
        }
        out[n++] = v;
        if (next >= c->eol)
            break;
        p = next + 1;
    }
    if (n < cols)
        return bl_fail(err, BL_EINVAL, "%s:%zu: row has %zu cell%s, header has %zu", c->name,
                       c->lineno, n, n == 1 ? "" : "s", cols);
    return BL_OK;
}

table *
csv_parse(const char *buf, size_t len, const char *name, bl_err *err)
{
    csv_cursor c = {.buf = buf, .end = buf + len, .name = name ? name : "(csv)", .lineno = 0};
    table *t = NULL;
    char **names = NULL;
    double *data = NULL;
    size_t cols = 0, rows = 0, cap = 0;
    const char *p = buf;
    bool have;

    if (buf == NULL)
        len = 0, c.end = buf;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 byte order mark, as some spreadsheets write it */
    if (csv_next_line(&c, p, &have, err) != BL_OK)
        goto fail;
    if (!have || (csv_line_blank(&c) && csv_rest_blank(p, c.end))) {
        bl_fail(err, BL_EINVAL, "%s: empty file", c.name);
        goto fail;
    }
    if (csv_line_blank(&c)) {
        bl_fail(err, BL_EINVAL, "%s:1: empty header line (the first line names the columns)",
                c.name);
        goto fail;
    }
    if (csv_header(&c, &names, &cols, err) != BL_OK)
        goto fail;

    for (;;) {
        p = csv_after_line(&c);
        if (csv_next_line(&c, p, &have, err) != BL_OK)
            goto fail;
        if (!have)
            break;
        if (csv_line_blank(&c)) {
            const char *after = csv_after_line(&c);
            if (csv_rest_blank(after, c.end)) {
                /* Trailing blank lines: still scan them for binary bytes. */
                while (have) {
                    if (csv_next_line(&c, csv_after_line(&c), &have, err) != BL_OK)
                        goto fail;
                }
                break;
            }
            bl_fail(err, BL_EINVAL, "%s:%zu: empty line inside the data", c.name, c.lineno);
            goto fail;
        }
        if (rows == CSV_MAX_ROWS) {
            bl_fail(err, BL_EINVAL, "%s:%zu: more than %d data rows", c.name, c.lineno,
                    CSV_MAX_ROWS);
            goto fail;
        }
        if (rows == cap) {
            size_t ncap = cap == 0 ? 64 : 2 * cap;
            double *nd;
            if (ncap > CSV_MAX_ROWS)
                ncap = CSV_MAX_ROWS;
            nd = realloc(data, ncap * cols * sizeof *nd);
            if (nd == NULL) {
                bl_fail(err, BL_ENOMEM, "%s: out of memory after %zu rows", c.name, rows);
                goto fail;
            }
            data = nd;
            cap = ncap;
        }
        if (csv_row(&c, cols, data + rows * cols, err) != BL_OK)
            goto fail;
        rows++;
    }
    if (rows == 0) {
        bl_fail(err, BL_EINVAL, "%s: no data rows (only a header)", c.name);
        goto fail;
    }

    t = calloc(1, sizeof *t);
    if (t == NULL)
        goto nomem;
    t->source = malloc(strlen(c.name) + 1);
    if (t->source == NULL)
        goto nomem;
    strcpy(t->source, c.name);
    if (rows < cap) {
        double *nd = realloc(data, rows * cols * sizeof *nd);
        if (nd != NULL)
            data = nd;
    }
    t->rows = rows;
    t->cols = cols;
    t->names = names;
    t->data = data;
    return t;

nomem:
    bl_fail(err, BL_ENOMEM, "%s: out of memory", c.name);
fail:
    if (t != NULL)
        free(t->source);
    free(t);
    csv_free_names(names, cols);
    free(data);
    return NULL;
}

table *
csv_load(const char *path, bl_err *err)
{
    FILE *fp;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    table *t;

    if (path == NULL || *path == '\0') {
        bl_fail(err, BL_EINVAL, "no file name given");
        return NULL;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        char why[96];
        snprintf(why, sizeof why, "%s", strerror(errno));
        why[0] = (char)tolower((unsigned char)why[0]);
        bl_fail(err, BL_EIO, "%s: cannot open (%s)", path, why);
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap == 0 ? 65536 : 2 * cap;
            char *nb;
            if (cap >= CSV_MAX_FILE) {
                bl_fail(err, BL_EINVAL, "%s: file larger than %lu MiB", path, CSV_MAX_FILE >> 20);
                goto fail;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                bl_fail(err, BL_ENOMEM, "%s: out of memory reading the file", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        char why[96];
        snprintf(why, sizeof why, "%s", strerror(errno));
        why[0] = (char)tolower((unsigned char)why[0]);
        bl_fail(err, BL_EIO, "%s: cannot read (%s)", path, why);
        goto fail;
    }
    fclose(fp);
    t = csv_parse(buf, len, path, err);
    free(buf);
    return t;

fail:
    fclose(fp);
    free(buf);
    return NULL;
}

void
table_free(table *t)
{
    if (t == NULL)
        return;
    csv_free_names(t->names, t->cols);
    free(t->data);
    free(t->mean);
    free(t->scale);
    free(t->source);
    free(t);
}

long
table_column(const table *t, const char *key)
{
    size_t idx = 0;

    if (t == NULL || key == NULL || *key == '\0')
        return -1;
    for (size_t j = 0; j < t->cols; j++)
        if (strcmp(t->names[j], key) == 0)
            return (long)j;
    for (const char *p = key; *p != '\0'; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        idx = idx * 10 + (size_t)(*p - '0');
        if (idx >= t->cols)
            return -1; /* also stops overflow on long digit strings */
    }
    return (long)idx;
}

void
table_standardize(table *t)
{
    size_t n = t->rows, m = t->cols;

    if (n == 0)
        return;
    t->standardized = true;
    free(t->mean);
    free(t->scale);
    t->mean = malloc(m * sizeof *t->mean);
    t->scale = malloc(m * sizeof *t->scale);
    if (t->mean == NULL || t->scale == NULL) {
        free(t->mean);
        free(t->scale);
        t->mean = t->scale = NULL;
    }
    for (size_t j = 0; j < m; j++) {
        double mean = 0, ss = 0;
        /* Two passes (mean, then squared deviations): stable for large offsets
         * such as years around 1958..2001. */
        for (size_t i = 0; i < n; i++)
            mean += t->data[i * m + j];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double r = t->data[i * m + j] - mean;
            ss += r * r;
        }
        /* Values near DBL_MAX overflow the sum or the squares: then z-score
         * the column divided by its largest magnitude (the same z-scores). */
        double scale = 1;
        if (!isfinite(mean) || !isfinite(ss)) {
            scale = 0;
            for (size_t i = 0; i < n; i++)
                scale = fmax(scale, fabs(t->data[i * m + j]));
            mean = ss = 0;
            for (size_t i = 0; i < n; i++)
                mean += t->data[i * m + j] / scale;
            mean /= (double)n;
            for (size_t i = 0; i < n; i++) {
                double r = t->data[i * m + j] / scale - mean;
                ss += r * r;
            }
        }
        double sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
        for (size_t i = 0; i < n; i++) {
            double r = t->data[i * m + j] / scale - mean;
            t->data[i * m + j] = sd > 0 ? r / sd : r;
        }
        if (t->mean != NULL) {
            t->mean[j] = mean * scale;
            t->scale[j] = (sd > 0 ? sd : 1) * scale;
        }
    }
}
