/* commands/sampler_preset.h - `sampler preset=NAME`: one word that sets the
 * kind, the target and the keys of a classic sampler failure for a lecture
 * (docs/samplers.md, "Failure presets"). What the user gives besides the
 * preset wins over it: `sampler hmc preset=highdim` is the preset's target
 * and keys with hmc. */
#ifndef BAYESLENS_COMMANDS_SAMPLER_PRESET_H
#define BAYESLENS_COMMANDS_SAMPLER_PRESET_H

#include <stddef.h>

#include "commands/sampler_job.h"

#define SMP_PRESET_KEYS 4

struct smp_preset {
    const char *name;
    const char *kind;    /* the sampler kind's name */
    enum smp_target tid; /* the target */
    size_t dim;          /* normal: the dimension; 0 otherwise */
    /* Tunables, applied only to a kind that reads them. */
    const char *key[SMP_PRESET_KEYS];
    double value[SMP_PRESET_KEYS];
    const char *expect; /* one line: the failure to look for, and the fix to try */
};

/* The presets, NULL-name-terminated, and their names (NULL-terminated) for
 * the `preset` key's choices. */
extern const struct smp_preset smp_presets[];
extern const char *const smp_preset_names[];
/* By exact name; NULL if unknown. */
const struct smp_preset *smp_preset_find(const char *name);

#endif
