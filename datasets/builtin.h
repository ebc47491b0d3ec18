/* datasets/builtin.h - the classic data sets compiled into bayeslens
 * (datasets/data/NAME.csv, provenance in datasets/data/PROVENANCE.md). */
#ifndef BAYESLENS_DATASETS_BUILTIN_H
#define BAYESLENS_DATASETS_BUILTIN_H

#include <stddef.h>

#include "core/base/err.h"
#include "datasets/csv.h"

/* Names of the builtin sets, sorted, NULL-terminated (for help and completion).
 * Static storage. */
const char *const *builtin_names(void);
/* Load a builtin set by name: a new table (free with table_free) whose source is
 * "builtin:NAME". BL_EINVAL lists the valid names when unknown ("unknown data set
 * 'foo' (choose breast_cancer, co2_monthly, diabetes, sunspots_yearly)"); BL_ENOMEM.
 * Cost: one parse of the embedded CSV (well under a millisecond per set). */
table *builtin_load(const char *name, bl_err *err);
/* Default target column (0-based) of a builtin set: its last column (co2_ppm,
 * sunspots, progression, the malignant label); -1 if the name is unknown. */
long builtin_default_target(const char *name);
/* One-line description and provenance of a builtin set ("diabetes: 442 x 11, ...;
 * Efron, ... via scikit-learn (BSD-3-Clause)"), static storage; NULL if unknown. */
const char *builtin_describe(const char *name);

#endif
