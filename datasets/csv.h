/* datasets/csv.h - a strict loader for numeric CSV tables with a header row.
 *
 * Accepts: a header row of distinct, non-empty column names (optionally
 * double-quoted, "" for a quote inside), then rows of plain decimal numbers
 * ([+-]digits[.digits][e[+-]digits]) separated by commas, optional blanks
 * around cells, LF or CR LF line ends, a final newline or not, blank lines
 * after the last row, a UTF-8 byte order mark. Refuses, with BL_EINVAL and
 * "FILE:LINE:COL: problem" in the message (LINE and COL 1-based, COL counting
 * characters to the start of the offending cell; whole-line problems give
 * "FILE:LINE:", whole-file ones "FILE:"): an empty file, no data rows, a
 * ragged row ("FILE:4: row has 3 cells, header has 2"), a non-numeric, empty,
 * NaN, infinite, hexadecimal or out-of-range cell ("FILE:3:7: 'abc' is not a
 * number"), a duplicate or empty column name, a blank line inside the data,
 * a lone CR, NUL bytes or other binary garbage ("FILE:2:5: binary data (byte
 * 0x00)"), over CSV_MAX_COLS columns or CSV_MAX_ROWS rows. Nothing is
 * allocated on failure. */
#ifndef BAYESLENS_DATASETS_CSV_H
#define BAYESLENS_DATASETS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

#define CSV_MAX_COLS 1024
#define CSV_MAX_ROWS 1000000

typedef struct table {
    size_t rows, cols;
    char **names; /* cols column names, owned */
    double *data; /* rows*cols, row-major, owned */
    /* After table_standardize: each column's mean and sd (value = mean +
     * sd * z), so plots can label in original units; NULL before (owned). */
    double *mean, *scale;
    bool standardized; /* table_standardize ran (mean, scale may still be NULL) */
    char *source; /* file name or builtin name, owned */
} table;

/* Parse a buffer (len bytes, not necessarily NUL-terminated); name is used in
 * messages and copied to t->source. Returns a new table (free with table_free)
 * or NULL with BL_EINVAL (see above) or BL_ENOMEM. O(len). */
table *csv_parse(const char *buf, size_t len, const char *name, bl_err *err);
/* Read and parse a file (at most 1 GiB). BL_EIO when it cannot be opened or
 * read ("data.csv: cannot open (no such file or directory)"), else as csv_parse. */
table *csv_load(const char *path, bl_err *err);
void table_free(table *t); /* NULL is a no-op */
/* Column by name (exact, tried first) or by 0-based index written as digits
 * (< cols); -1 if none. */
long table_column(const table *t, const char *key);
/* z-score every column in place: mean 0 and sd 1 with the n - 1 denominator;
 * constant columns (and all columns of a one-row table) are only centred
 * (scale 1). The means and scales are kept in t->mean, t->scale (left NULL
 * when out of memory: the original units are then unknown). */
void table_standardize(table *t);

#endif
