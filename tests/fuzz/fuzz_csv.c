/* tests/fuzz/fuzz_csv.c - libFuzzer harness for the CSV loader: parse the
 * input as a file, then use the table as `data load` would (column lookup by
 * name and index, z-scores). Any crash or sanitizer report is a finding; a
 * parse error is not. */
#include <stdint.h>
#include <stdlib.h>

#include "datasets/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bl_err err;
    table *t = csv_parse((const char *)data, size, "fuzz.csv", &err);
    if (t == NULL)
        return 0;
    if (t->cols > 0) {
        (void)table_column(t, t->names[0]);
        (void)table_column(t, t->names[t->cols - 1]);
    }
    (void)table_column(t, "0");
    (void)table_column(t, "99999999999999999999");
    table_standardize(t);
    table_free(t);
    return 0;
}
