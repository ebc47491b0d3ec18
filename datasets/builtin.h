/* datasets/builtin.h - the classic data sets compiled into bayeslens
 * (datasets/data/*.csv, provenance in datasets/data/PROVENANCE.md). */
#ifndef BAYESLENS_DATASETS_BUILTIN_H
#define BAYESLENS_DATASETS_BUILTIN_H

#include <stddef.h>

#include "core/err.h"
#include "datasets/csv.h"

/* Names of the builtin sets, NULL-terminated (for help and completion). */
const char *const *builtin_names(void);
/* Load a builtin set by name; BL_EINVAL lists the valid names when unknown. */
table *builtin_load(const char *name, bl_err *err);
/* Default target column of a builtin set (its last column). */
/* One-line description and provenance of a builtin set, or NULL. */
const char *builtin_describe(const char *name);

#endif
