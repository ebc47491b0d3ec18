/* datasets/builtin.c - the classic data sets compiled into the binary.
 *
 * The CSV bytes come from builtin_blobs[], generated at build time by
 * datasets/embed.cmake from datasets/data/NAME.csv (name = file stem). The table
 * below adds what the files do not say: shape, meaning and provenance, copied
 * from datasets/data/PROVENANCE.md. tests/test_csv.c checks that the table and
 * the blobs list the same names and that each set loads with the shape given
 * here, so adding a CSV means adding one row below. */
#include "datasets/builtin.h"

#include <stdio.h>
#include <string.h>

/* Defined in the generated builtin_data.c (see datasets/embed.cmake). */
struct builtin_blob {
    const char *name;
    const char *data;
    size_t len;
};
extern const struct builtin_blob builtin_blobs[];

struct builtin_info {
    const char *name;
    size_t rows, cols;
    const char *line; /* builtin_describe */
};

/* Sorted by name; the order builtin_names() gives. */
static const struct builtin_info builtin_table[] = {
    {"breast_cancer", 569, 31,
     "breast_cancer: 569 x 31, 30 features of cell nuclei from fine-needle aspirates, last "
     "column 1 = malignant; Wisconsin Diagnostic Breast Cancer (UCI), via scikit-learn "
     "(BSD-3-Clause)"},
    {"co2_monthly", 521, 2,
     "co2_monthly: 521 x 2, Mauna Loa atmospheric CO2, monthly means 1958-2001 (decimal year, "
     "ppm); Keeling & Whorf, SIO/CDIAC, via statsmodels (public domain)"},
    {"diabetes", 442, 11,
     "diabetes: 442 x 11, ten baseline variables and disease progression one year later; Efron, "
     "Hastie, Johnstone & Tibshirani (2004), via scikit-learn (BSD-3-Clause)"},
    {"sunspots_yearly", 309, 2,
     "sunspots_yearly: 309 x 2, yearly mean sunspot numbers 1700-2008; NOAA NGDC, via "
     "statsmodels (public domain)"},
};
#define BUILTIN_N (sizeof builtin_table / sizeof builtin_table[0])

static const char *const builtin_name_list[BUILTIN_N + 1] = {
    "breast_cancer", "co2_monthly", "diabetes", "sunspots_yearly", NULL,
};

static const struct builtin_info *
builtin_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < BUILTIN_N; i++)
        if (strcmp(builtin_table[i].name, name) == 0)
            return &builtin_table[i];
    return NULL;
}

const char *const *
builtin_names(void)
{
    return builtin_name_list;
}

table *
builtin_load(const char *name, bl_err *err)
{
    char source[64];

    if (builtin_find(name) != NULL) {
        for (const struct builtin_blob *b = builtin_blobs; b->name != NULL; b++) {
            if (strcmp(b->name, name) == 0) {
                snprintf(source, sizeof source, "builtin:%s", name);
                return csv_parse(b->data, b->len, source, err);
            }
        }
    }
    char choices[160] = "";
    for (size_t i = 0; i < BUILTIN_N; i++) {
        if (i > 0)
            strncat(choices, ", ", sizeof choices - strlen(choices) - 1);
        strncat(choices, builtin_table[i].name, sizeof choices - strlen(choices) - 1);
    }
    bl_fail(err, BL_EINVAL, "unknown data set '%.40s' (choose %s)", name ? name : "", choices);
    return NULL;
}

long
builtin_default_target(const char *name)
{
    const struct builtin_info *b = builtin_find(name);
    return b == NULL ? -1 : (long)b->cols - 1;
}

const char *
builtin_describe(const char *name)
{
    const struct builtin_info *b = builtin_find(name);
    return b == NULL ? NULL : b->line;
}
