/* commands/memlimit.c - see memlimit.h. */
#include "commands/memlimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

double
mem_limit(void)
{
    /* An explicit limit (tests, fuzzing, a shared machine): used as is. */
    const char *env = getenv("BAYESLENS_MEM_LIMIT");
    if (env != NULL && env[0] != '\0') {
        char *end;
        double v = strtod(env, &end);
        if (*end == '\0' && v > 0 && v < 1e300)
            return v;
    }
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
    double lim = mem_limit();
    if (lim <= 0 || bytes <= lim)
        return BL_OK;
    char b[32], l[32];
    return bl_fail(err, BL_ENOMEM, "%s: needs %s, more than %s (half the memory available)", what,
                   human(b, sizeof b, bytes), human(l, sizeof l, lim));
}
