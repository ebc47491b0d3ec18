/* commands/sampler_preset.c - the failure presets of `sampler preset=NAME`.
 * Each is a setting that fails in one recognisable way, with the numbers
 * that make it fail stated here; tests/cmd/sampler_presets.lens runs every
 * one and tests/test_cmd_sampler.c checks its signature. */
#include "commands/sampler_preset.h"

#include <string.h>

const struct smp_preset smp_presets[] = {
    /* Banana: the smallest conditional sd is 0.5, so the leapfrog limit
     * 2 sqrt(lambda_min) is about 1 where the density is; 1.5 is beyond. */
    {.name = "step_large",
     .kind = "hmc",
     .tid = SMP_BANANA,
     .key = {"step", "leapfrog"},
     .value = {1.5, 10},
     .expect = "step 1.5 is beyond the leapfrog limit (about 1 here): acceptance near 0 and "
               "divergences; try step=0.15"},
    /* Banana: a random walk of sd 0.02 against sds of 1.5: accepted almost
     * always, and it takes (1.5/0.02)^2 ~ 5600 steps to cross the density once. */
    {.name = "step_small",
     .kind = "rwm",
     .tid = SMP_BANANA,
     .key = {"sigma"},
     .value = {0.02},
     .expect = "sigma 0.02 is accepted almost always but crawls: ESS tiny, R-hat far above 1; "
               "try sigma=1.5"},
    /* Two modes 16 sds apart: a random walk of the modes' sd never crosses;
     * pt's hottest replica (T = 100, sd 5) does. */
    {.name = "modes",
     .kind = "rwm",
     .tid = SMP_MODES,
     .key = {"sigma", "temps", "tmax"},
     .value = {0.5, 6, 100},
     .expect = "each chain stays in the mode it starts in: R-hat far above 1 while each chain "
               "looks fine; try sampler pt preset=modes"},
    {.name = "funnel_centered",
     .kind = "nuts",
     .tid = SMP_FUNNEL,
     .key = {"step"},
     .value = {0.3},
     .expect = "one step cannot fit both the neck (sd e^(v/2)) and the mouth: divergences in the "
               "neck, v's lower tail missed; try preset=funnel_noncentered"},
    {.name = "funnel_noncentered",
     .kind = "nuts",
     .tid = SMP_FUNNEL_NC,
     .key = {"step"},
     .value = {0.3},
     .expect = "the same law in (z, v), x = z e^(v/2): a Gaussian, no divergences"},
    /* d = 1000: a random-walk step of sd 0.3 moves |w|^2 by ~ 0.3^2 d = 90,
     * so exp(-dU) is ~ 0; HMC at step 0.25 has an energy error of sd ~ sqrt(d/32) eps^3
     * ~ 0.09, and 8 steps (length 2, under the half period pi) keep it moving. */
    {.name = "highdim",
     .kind = "rwm",
     .tid = SMP_NORMAL,
     .dim = 1000,
     .key = {"sigma", "step", "leapfrog"},
     .value = {0.3, 0.25, 8},
     .expect = "sigma 0.3, fine in 2-D, is rejected almost always in d = 1000 (the typical set "
               "is a thin shell of radius sqrt(d)); try sampler hmc preset=highdim"},
    {0},
};

const char *const smp_preset_names[] = {
    "step_large", "step_small", "modes", "funnel_centered", "funnel_noncentered", "highdim", NULL,
};

const struct smp_preset *
smp_preset_find(const char *name)
{
    for (size_t i = 0; name != NULL && smp_presets[i].name != NULL; i++)
        if (strcmp(smp_presets[i].name, name) == 0)
            return &smp_presets[i];
    return NULL;
}
