/* ui/axis.c - tick positions and tick labels (the pure half of plot.h).
 *
 * Ticks are multiples of a step on the 1-2-5 ladder ({1, 2, 5} x 10^k): the
 * smallest such step whose multiples inside [lo, hi] number at most max
 * (Heckbert's "nice numbers", as gnuplot and most plotting libraries do).
 * Each tick is computed as k * step from an integer k, never accumulated,
 * and ticks within rounding of an end are clamped onto it, so every tick
 * lies inside [lo, hi]. Log axes use powers of ten (every k-th decade when
 * there are too many), 1-2-5 values when the range spans under two decades,
 * and linear ticks when even that gives fewer than two.
 *
 * Labels share one style per axis (axis_format_ticks), tried in this order
 * until every label fits in 7 columns and neighbours differ:
 *   M suffix (|v| >= 1e6, step >= 1e5):  0.5M 1M 1.5M
 *   k suffix (|v| >= 1e4, step >= 100):  20k 40k 12.5k
 *   decimals (1e-3 <= |v| < 1e5): as many decimals as the step needs,
 *     trailing zeros dropped per label (0 0.5 1 1.5)
 *   scientific: printf style 2e-05 1.5e+06, shortened to 2e-5 when long.
 * Log axes whose ticks are all 1-2-5 values: decimals when every tick is in
 * [0.01, 10000], else 1e-3, 2e-3 ... 1, 1e3 (10^0 always reads "1"). */
#include "ui/plot.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX  7 /* columns */
#define EPS        1e-9
#define MAX_LABELS 64 /* axis_format_ticks formats at most this many */

/* Smallest value on the 1-2-5 ladder >= raw (raw > 0, finite). */
static double
ladder_ceil(double raw)
{
    double e = floor(log10(raw));
    double p = pow(10, e);
    double m = raw / p;
    double nm = m <= 1 + EPS ? 1 : m <= 2 + EPS ? 2 : m <= 5 + EPS ? 5 : 10;
    return nm * p;
}

/* The ladder value after / before s (s on the ladder). */
static double
ladder_step(double s, int dir)
{
    double e = floor(log10(s) + EPS);
    double p = pow(10, e);
    double m = s / p;
    if (dir > 0)
        return m < 1.5 ? 2 * p : m < 3.5 ? 5 * p : 10 * p;
    return m < 1.5 ? 0.5 * p : m < 3.5 ? p : 2 * p;
}

/* Multiples k*s inside [lo, hi]: first k and count. */
static double
multiples(double lo, double hi, double s, double *k0)
{
    *k0 = ceil(lo / s - EPS);
    double k1 = floor(hi / s + EPS);
    return k1 >= *k0 ? k1 - *k0 + 1 : 0;
}

static double
clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static size_t
linear_ticks(double lo, double hi, size_t max, double *ticks, double *step)
{
    double span = hi - lo;
    double mag = fmax(fabs(lo), fabs(hi));
    if (span <= mag * 1e-12 || span == 0) {
        /* A point: one tick; the step sets the label precision. */
        ticks[0] = 0.5 * lo + 0.5 * hi;
        *step = ticks[0] == 0 ? 1 : ladder_ceil(fabs(ticks[0]) * 1e-3);
        return 1;
    }
    /* hi/max - lo/max cannot overflow where hi - lo can (-1e308 .. 1e308). */
    double raw = hi / (double)max - lo / (double)max;
    if (!isfinite(raw))
        raw = 1e308;
    double s = ladder_step(ladder_ceil(raw), -1);
    if (!isfinite(s))
        s = 1e308;
    double k0 = 0, n = 0, prev_s = s, prev_k0 = 0, prev_n = 0;
    for (int guard = 0; guard < 64; guard++) {
        n = multiples(lo, hi, s, &k0);
        if (n <= (double)max)
            break;
        double next = ladder_step(s, +1);
        if (!isfinite(next))
            break; /* the top of the double range: thin out below */
        prev_s = s;
        prev_k0 = k0;
        prev_n = n;
        s = next;
    }
    /* Thinning: every stride-th multiple, centred. Used when the step above
     * overshoots to fewer than two ticks (e.g. [0.31, 0.39] with max 3:
     * 0.05 gives only 0.35, so 0.32 and 0.36 out of the 0.02 multiples), and
     * when no finite step is coarse enough. The ticks stay multiples of step. */
    double stride = 1;
    if ((n < 2 && max >= 2 && prev_n >= 2) || (n == 0 && prev_n >= 1)) {
        s = prev_s;
        k0 = prev_k0;
        n = prev_n;
    }
    if (n > (double)max) {
        stride = ceil((n - 1) / (double)(max > 1 ? max - 1 : 1));
        double used = floor((n - 1) / stride) + 1;
        if (used > (double)max)
            used = (double)max;
        k0 += floor((n - 1 - (used - 1) * stride) / 2);
        n = used;
    }
    if (n == 0) {
        ticks[0] = clamp(0.5 * lo + 0.5 * hi, lo, hi);
        *step = s;
        return 1;
    }
    size_t cnt = 0;
    for (double i = 0; i < n && cnt < max; i++) {
        double v = (k0 + i * stride) * s;
        if (fabs(v) < s * 1e-6)
            v = 0;
        v = clamp(v, lo, hi);
        if (cnt == 0 || v > ticks[cnt - 1])
            ticks[cnt++] = v;
    }
    *step = s;
    return cnt;
}

static size_t
log_ticks(double lo, double hi, size_t max, double *ticks, double *step)
{
    double a = log10(lo), b = log10(hi);
    if (b - a < 1e-12) {
        ticks[0] = lo;
        *step = 1;
        return 1;
    }
    if (b - a < 2) {
        static const double mant[] = {1, 2, 5};
        size_t n = 0;
        bool over = false;
        for (double e = floor(a) - 1; e <= ceil(b) && !over; e++)
            for (int m = 0; m < 3; m++) {
                double v = mant[m] * pow(10, e);
                if (v < lo * (1 - EPS) || v > hi * (1 + EPS))
                    continue;
                if (n == max) {
                    over = true;
                    break;
                }
                ticks[n++] = clamp(v, lo, hi);
            }
        if (!over && n >= 2) {
            *step = 0;
            return n;
        }
    }
    double d0 = ceil(a - EPS), d1 = floor(b + EPS);
    double k = 1, n = 0, e0 = 0;
    for (; k < 4096; k++) {
        e0 = ceil(d0 / k) * k;
        n = d1 >= e0 ? floor((d1 - e0) / k) + 1 : 0;
        if (n <= (double)max)
            break;
    }
    if (n < 2 && max >= 2 && d1 > d0) {
        /* Aligned decades leave one tick: spread from the first decade instead. */
        k = ceil((d1 - d0) / (double)(max - 1));
        e0 = d0;
        n = floor((d1 - d0) / k) + 1;
    }
    if (n >= 2 || (n == 1 && max == 1)) {
        size_t cnt = 0;
        for (double i = 0; i < n && cnt < max; i++)
            ticks[cnt++] = clamp(pow(10, e0 + i * k), lo, hi);
        *step = k;
        return cnt;
    }
    return linear_ticks(lo, hi, max, ticks, step);
}

size_t
axis_ticks(double lo, double hi, bool log, size_t max, double *ticks, double *step)
{
    double dummy;
    if (step == NULL)
        step = &dummy;
    *step = 0;
    if (max == 0 || !isfinite(lo) || !isfinite(hi))
        return 0;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (log)
        return lo > 0 ? log_ticks(lo, hi, max, ticks, step) : 0;
    return linear_ticks(lo, hi, max, ticks, step);
}

size_t
axis_ticks_int(double lo, double hi, bool log, size_t max, double *ticks, double *step)
{
    double dummy;
    if (step == NULL)
        step = &dummy;
    size_t n = axis_ticks(lo, hi, log, max, ticks, step);
    /* A short log index axis (1..d, d small) gets every index: 1, 2, 3, not 1, 2. */
    if (log && lo >= 1 - EPS && hi <= 20 && floor(hi + EPS) - ceil(lo - EPS) + 1 <= (double)max &&
        max <= 64) {
        size_t c = 0;
        for (double v = ceil(lo - EPS); v <= hi + EPS; v++)
            ticks[c++] = v;
        *step = 0;
        return c;
    }
    bool whole = true;
    for (size_t i = 0; i < n; i++)
        whole = whole && ticks[i] == floor(ticks[i]);
    if (whole || !isfinite(lo) || !isfinite(hi) || max == 0)
        return n;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (log && hi >= 1 && lo < 1)
        lo = 1;
    double k0 = ceil(lo - EPS), k1 = floor(hi + EPS);
    if (k1 < k0)
        return 0;
    /* The finest 1-2-5 step of at least 1 giving at most max multiples. */
    double s = 1;
    while (floor(k1 / s) - ceil(k0 / s) + 1 > (double)max && isfinite(s))
        s = ladder_step(s, +1);
    double a = ceil(k0 / s) * s;
    size_t cnt = 0;
    for (double v = a; v <= k1 && cnt < max; v += s)
        ticks[cnt++] = v;
    if (cnt == 0) {
        ticks[cnt++] = k0; /* no multiple of s inside: the first integer */
        s = 1;
    }
    *step = s;
    return cnt;
}

/* Decimals needed to show multiples of step. */
static int
decimals_for(double step)
{
    if (!(step > 0) || !isfinite(step))
        return 0;
    double d = ceil(-log10(step) - EPS);
    return d < 0 ? 0 : d > 15 ? 15 : (int)d;
}

/* Drop trailing zeros after a decimal point (and the point). */
static void
strip_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (dot == NULL)
        return;
    char *end = s + strlen(s);
    while (end > dot + 1 && end[-1] == '0')
        end--;
    if (end == dot + 1)
        end = dot;
    *end = '\0';
}

static void
fmt_decimal(double v, int dp, const char *suffix, char *buf, size_t size)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", dp, v);
    strip_zeros(tmp);
    if (strcmp(tmp, "-0") == 0)
        strcpy(tmp, "0");
    if (strcmp(tmp, "0") == 0)
        suffix = "";
    snprintf(buf, size, "%s%s", tmp, suffix);
}

/* Scientific with dp mantissa decimals (zeros dropped); the exponent loses
 * its '+' and leading zeros when the label would exceed 7 columns. */
static void
fmt_sci(double v, int dp, char *buf, size_t size)
{
    if (v == 0) {
        snprintf(buf, size, "0");
        return;
    }
    char tmp[64], mant[48];
    snprintf(tmp, sizeof tmp, "%.*e", dp, v);
    char *e = strchr(tmp, 'e');
    if (e == NULL) {
        snprintf(buf, size, "%s", tmp);
        return;
    }
    size_t ml = (size_t)(e - tmp);
    memcpy(mant, tmp, ml);
    mant[ml] = '\0';
    strip_zeros(mant);
    int ex = (int)strtol(e + 1, NULL, 10);
    snprintf(tmp, sizeof tmp, "%se%c%02d", mant, ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    if (strlen(tmp) > LABEL_MAX)
        snprintf(tmp, sizeof tmp, "%se%d", mant, ex);
    if (strlen(tmp) > LABEL_MAX && strchr(mant, '.') != NULL) {
        /* 2.5e-300 -> 25e-301: an integer mantissa saves the point. */
        int d = (int)strlen(strchr(mant, '.') + 1);
        snprintf(tmp, sizeof tmp, "%.0fe%d", round(v / pow(10, ex - d)), ex - d);
    }
    snprintf(buf, size, "%s", tmp);
}

/* A log-axis label for a 1-2-5 value. */
static void
fmt_log(double v, bool decimal, char *buf, size_t size)
{
    double e = floor(log10(v) + EPS);
    double m = round(v / pow(10, e));
    if (decimal) {
        fmt_decimal(v, e < 0 ? (int)-e : 0, "", buf, size);
    } else if (e == 0) {
        snprintf(buf, size, "%.0f", m);
    } else {
        snprintf(buf, size, "%.0fe%.0f", m, e);
    }
}

static bool
is_125(double v)
{
    if (!(v > 0))
        return false;
    double e = floor(log10(v) + EPS);
    double m = v / pow(10, e);
    return fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 || fabs(m - 5) < 1e-6;
}

enum lstyle { LS_MEGA, LS_KILO, LS_DEC, LS_SCI };

static void
fmt_style(double v, enum lstyle st, double step, int sci_dp, char *buf, size_t size)
{
    switch (st) {
    case LS_MEGA: fmt_decimal(v / 1e6, decimals_for(step / 1e6), "M", buf, size); break;
    case LS_KILO: fmt_decimal(v / 1e3, decimals_for(step / 1e3), "k", buf, size); break;
    case LS_DEC: fmt_decimal(v, decimals_for(step), "", buf, size); break;
    case LS_SCI: fmt_sci(v, sci_dp, buf, size); break;
    }
}

/* Format all ticks in style st; true when every label fits and neighbours differ. */
static bool
try_style(const double *t, size_t n, enum lstyle st, double step, int sci_dp,
          char (*labels)[AXIS_LABEL_SIZE])
{
    for (size_t i = 0; i < n; i++) {
        fmt_style(t[i], st, step, sci_dp, labels[i], AXIS_LABEL_SIZE);
        if (strlen(labels[i]) > LABEL_MAX)
            return false;
        if (i > 0 && t[i] != t[i - 1] && strcmp(labels[i], labels[i - 1]) == 0)
            return false;
    }
    return true;
}

void
axis_format_ticks(const double *ticks, size_t n, double step, bool log,
                  char (*labels)[AXIS_LABEL_SIZE])
{
    if (n == 0)
        return;
    double t[MAX_LABELS];
    if (n > MAX_LABELS)
        n = MAX_LABELS;
    for (size_t i = 0; i < n; i++) /* rounding noise next to a zero tick is zero */
        t[i] = !log && step > 0 && fabs(ticks[i]) < step * 1e-6 ? 0 : ticks[i];
    ticks = t;
    double M = 0, minpos = INFINITY, maxpos = 0;
    bool all125 = true;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(ticks[i]);
        if (isfinite(a))
            M = fmax(M, a);
        all125 = all125 && is_125(ticks[i]);
        if (ticks[i] > 0) {
            minpos = fmin(minpos, ticks[i]);
            maxpos = fmax(maxpos, ticks[i]);
        }
    }
    if (log && all125) {
        bool dec = minpos >= 1e-2 * (1 - EPS) && maxpos <= 1e4 * (1 + EPS);
        for (size_t i = 0; i < n; i++)
            fmt_log(ticks[i], dec, labels[i], AXIS_LABEL_SIZE);
        return;
    }
    if (!(step > 0) || !isfinite(step)) {
        /* No usable step (a single tick, or log ticks): infer it. */
        step = INFINITY;
        for (size_t i = 1; i < n; i++)
            if (ticks[i] != ticks[i - 1])
                step = fmin(step, fabs(ticks[i] - ticks[i - 1]));
        if (!isfinite(step))
            step = M > 0 ? ladder_ceil(M * 1e-3) : 1;
    }
    int sci_dp = 0;
    if (M > 0 && step > 0) {
        double d = floor(log10(M) + EPS) - floor(log10(step) + EPS);
        sci_dp = d < 0 ? 0 : d > 6 ? 6 : (int)d;
    }
    if (M >= 1e6 && step >= 1e5 && try_style(ticks, n, LS_MEGA, step, 0, labels))
        return;
    if (M >= 1e4 && step >= 100 && try_style(ticks, n, LS_KILO, step, 0, labels))
        return;
    if ((M == 0 || (M >= 1e-3 && M < 1e5)) && try_style(ticks, n, LS_DEC, step, 0, labels))
        return;
    for (int dp = sci_dp; dp >= 0; dp--)
        if (try_style(ticks, n, LS_SCI, step, dp, labels))
            return;
    /* Fine steps on large values (1000020 1000040): plain digits may still fit. */
    if (M < 1e7 && try_style(ticks, n, LS_DEC, step, 0, labels))
        return;
    /* Last resort (digits beyond 7 columns): keep each label within 7 columns.
     * Every label is written here: a failed try_style stops at the first bad
     * label and leaves the rest as they were (unwritten on a first call). */
    for (size_t i = 0; i < n; i++) {
        fmt_style(ticks[i], LS_SCI, step, sci_dp, labels[i], AXIS_LABEL_SIZE);
        if (strlen(labels[i]) > LABEL_MAX)
            fmt_sci(ticks[i], 0, labels[i], AXIS_LABEL_SIZE);
    }
    /* Ticks finer than 7 columns can tell apart (0.1 .. 0.1000001): the first
     * keeps its value and the others say how far they are from it ("+2e-08"),
     * instead of repeating one label for different ticks. */
    bool dup = false;
    for (size_t i = 1; i < n; i++)
        dup = dup || (ticks[i] != ticks[i - 1] && strcmp(labels[i], labels[i - 1]) == 0);
    if (!dup)
        return;
    double off[MAX_LABELS];
    for (size_t i = 1; i < n; i++)
        off[i] = ticks[i] - ticks[0];
    char tmp[AXIS_LABEL_SIZE];
    for (size_t i = 1; i < n; i++) {
        fmt_style(off[i], LS_DEC, step, 0, tmp, sizeof tmp);
        if (strlen(tmp) + 1 > LABEL_MAX)
            fmt_sci(off[i], 0, tmp, sizeof tmp);
        snprintf(labels[i], AXIS_LABEL_SIZE, "+%s", tmp);
    }
}

void
axis_format(double v, double step, bool log, char *buf, size_t size)
{
    char labels[1][AXIS_LABEL_SIZE];
    axis_format_ticks(&v, 1, step, log, labels);
    snprintf(buf, size, "%s", labels[0]);
}
