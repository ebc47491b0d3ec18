/* commands/memlimit.c - see memlimit.h. */
#include "commands/memlimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/kernel/gp.h"

/* The limit, and in *why where it comes from (for messages). */
static double
limit_and_source(const char **why)
{
    /* An explicit limit (tests, fuzzing, a shared machine): used as is. */
    *why = "BAYESLENS_MEM_LIMIT";
    const char *env = getenv("BAYESLENS_MEM_LIMIT");
    if (env != NULL && env[0] != '\0') {
        char *end;
        double v = strtod(env, &end);
        if (*end == '\0' && v > 0 && v < 1e300)
            return v;
    }
    *why = "half the memory available";
    double avail = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f != NULL) {
        char line[128];
        unsigned long long kb;
        while (fgets(line, sizeof line, f) != NULL)
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                avail = (double)kb * 1024;
                break;
            }
        fclose(f);
    }
    static const int res[] = {RLIMIT_AS, RLIMIT_DATA};
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        struct rlimit rl;
        if (getrlimit(res[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
            double lim = (double)rl.rlim_cur;
            if (avail == 0 || lim < avail)
                avail = lim;
        }
    }
    /* Half: a lecture machine also runs a browser and a projector, and a
     * construction near all of it would swap rather than fail. */
    return avail / 2;
}

double
mem_limit(void)
{
    const char *why;
    return limit_and_source(&why);
}

static const char *
human(char *buf, size_t size, double bytes)
{
    if (bytes >= 1e9)
        snprintf(buf, size, "%.1f GB", bytes / 1e9);
    else
        snprintf(buf, size, "%.0f MB", bytes / 1e6 < 1 ? 1 : bytes / 1e6);
    return buf;
}

int
mem_check(double bytes, const char *what, bl_err *err)
{
    const char *why;
    double lim = limit_and_source(&why);
    if (lim <= 0 || bytes <= lim)
        return BL_OK;
    char b[32], l[32];
    return bl_fail(err, BL_ENOMEM, "%s: needs %s, more than %s (%s)", what,
                   human(b, sizeof b, bytes), human(l, sizeof l, lim), why);
}

int
mem_check_sampler(size_t d, size_t chains, bl_err *err)
{
    /* At least 1000 draws of d numbers per chain, and the reference mean
     * and covariance (d x d, twice while they are formed). */
    double dd = (double)(d > 0 ? d : 1);
    double bytes = 8 * ((double)chains * 1000 * dd + 2 * dd * dd);
    char what[64];
    snprintf(what, sizeof what, "sampler with %zu chains in %zu dimensions", chains, d);
    return mem_check(bytes, what, err);
}
