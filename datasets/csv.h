/* datasets/csv.h - a strict loader for numeric CSV tables with a header row.
 *
 * Accepts: a header row of column names, then rows of numbers separated by
 * commas, LF or CRLF line ends, optional surrounding spaces, a final newline or
 * not, double-quoted header names. Refuses, with "FILE:LINE:COL: problem" in
 * the message: an empty file, no data rows, a ragged row, a non-numeric,
 * empty, NaN or infinite cell, NUL bytes or other binary garbage, over
 * CSV_MAX_COLS columns or CSV_MAX_ROWS rows. Nothing is allocated on failure. */
#ifndef BAYESLENS_DATASETS_CSV_H
#define BAYESLENS_DATASETS_CSV_H

#include <stddef.h>

#include "core/err.h"

#define CSV_MAX_COLS 1024
#define CSV_MAX_ROWS 1000000

typedef struct table {
    size_t rows, cols;
    char **names;   /* cols column names, owned */
    double *data;   /* rows*cols, row-major, owned */
    char *source;   /* file name or builtin name, owned */
} table;

/* Parse a buffer (len bytes, not necessarily NUL-terminated); name is used in messages. */
table *csv_parse(const char *buf, size_t len, const char *name, bl_err *err);
/* Read and parse a file. */
table *csv_load(const char *path, bl_err *err);
void table_free(table *t);
/* Column by name (exact) or by 0-based index written as digits; -1 if none. */
long table_column(const table *t, const char *key);
/* z-score every column in place (mean 0, sd 1; constant columns only centred). */
void table_standardize(table *t);

#endif
