/* commands/memlimit.h - up-front memory checks for large constructions
 * (lens classes, GP replays, sampler ensembles): a request that cannot fit
 * fails at once with its size and the limit, instead of swapping the
 * machine for minutes (docs/robustness.md). core/ never reads the system:
 * it reports sizes, and the limit found here is passed down as a number. */
#ifndef BAYESLENS_COMMANDS_MEMLIMIT_H
#define BAYESLENS_COMMANDS_MEMLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

/* Bytes a new allocation may take: MemAvailable of /proc/meminfo, lowered
 * to the address-space and data limits (ulimit -v, -d) when they are set,
 * and halved (room for everything else); 0 when nothing is known (then
 * nothing is refused). BAYESLENS_MEM_LIMIT (bytes) replaces all of it. */
double mem_limit(void);
/* BL_OK when bytes fit under mem_limit(); else BL_ENOMEM:
 * "WHAT: needs 17.3 GB, more than 12.1 GB (half the memory available)",
 * or "(BAYESLENS_MEM_LIMIT)" when that sets the limit. */
int mem_check(double bytes, const char *what, bl_err *err);
/* Before a sampler ensemble of that many chains in d dimensions. */
int mem_check_sampler(size_t d, size_t chains, bl_err *err);

#endif
