/* commands/out.c - see out.h. Long lines (a 256x256 covariance) are built in
 * a growing heap buffer, never truncated: scripts parse them. */
#include "commands/out.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
};

static void
sb_add(struct sbuf *b, const char *t)
{
    size_t n = strlen(t);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (s == NULL) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, t, n + 1);
    b->len += n;
}

/* One line to the sink, control characters shown escaped (\x1b): a path
 * or word echoed from the input must not drive the terminal. */
static void
emit_line(struct out *o, enum out_kind kind, const char *p, size_t n)
{
    size_t extra = 0;
    for (size_t i = 0; i < n; i++)
        extra += (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? 3 : 0;
    char *line = malloc(n + extra + 1), *q = line;
    if (line == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            *q++ = '\\';
            *q++ = 'x';
            *q++ = hex[ch >> 4];
            *q++ = hex[ch & 15];
        } else {
            *q++ = (char)ch;
        }
    }
    *q = '\0';
    o->line(o->ctx, kind, line);
    free(line);
}

static void
emit(struct out *o, enum out_kind kind, const char *text)
{
    /* Split on newlines so every sink sees whole lines. */
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (nl == NULL) {
            emit_line(o, kind, p, strlen(p));
            return;
        }
        emit_line(o, kind, p, (size_t)(nl - p));
        p = nl + 1;
        if (*p == '\0')
            return;
    }
}

static void
vemit(struct out *o, enum out_kind kind, const char *fmt, va_list ap)
{
    char small[512];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n < sizeof small) {
        emit(o, kind, small);
    } else {
        char *big = malloc((size_t)n + 1);
        if (big != NULL) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            emit(o, kind, big);
            free(big);
        }
    }
    va_end(ap2);
}

void
out_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(o, OUT_TEXT, fmt, ap);
    va_end(ap);
}

void
out_error(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(o, OUT_ERROR, fmt, ap);
    va_end(ap);
}

void
out_failure(struct out *o, const bl_err *err)
{
    if (err->code == BL_ECANCEL)
        out_printf(o, "%s", err->msg);
    else
        out_error(o, "error: %s", err->msg);
}

const char *
out_num(char *buf, size_t size, double v)
{
    if (isnan(v))
        snprintf(buf, size, "nan");
    else if (isinf(v))
        snprintf(buf, size, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, size, "%.10g", v == 0 ? 0.0 : v); /* no "-0" */
    return buf;
}

void
out_kv_real(struct out *o, const char *key, double v)
{
    char b[32];
    out_printf(o, "%s = %s", key, out_num(b, sizeof b, v));
}

void
out_kv_why(struct out *o, const char *key, double v, const char *why)
{
    char b[32];
    if (isfinite(v) || why == NULL)
        out_kv_real(o, key, v);
    else
        out_printf(o, "%s = %s  # %s", key, out_num(b, sizeof b, v), why);
}

void
out_kv_int(struct out *o, const char *key, long long v)
{
    out_printf(o, "%s = %lld", key, v);
}

void
out_kv_str(struct out *o, const char *key, const char *v)
{
    out_printf(o, "%s = %s", key, v);
}

/* Longest vectors and matrices shown in full: a 4096-dimensional posterior
 * made one 290 MB line. Beyond, the head and a note with the size; a
 * spectrum of a few hundred points or a 32 x 32 covariance stays whole. */
#define SHOW_VEC_MAX 256
#define SHOW_MAT_MAX 32

static void
sb_vec(struct sbuf *b, const double *v, size_t n, size_t stride, size_t max)
{
    char num[32];
    sb_add(b, "[");
    for (size_t i = 0; i < n && i < max; i++) {
        if (i > 0)
            sb_add(b, ", ");
        sb_add(b, out_num(num, sizeof num, v[i * stride]));
    }
    if (n > max)
        sb_add(b, ", ...");
    sb_add(b, "]");
}

void
out_kv_vec_why(struct out *o, const char *key, const double *v, size_t n, const char *why)
{
    struct sbuf b = {0};
    sb_add(&b, key);
    sb_add(&b, " = ");
    sb_vec(&b, v, n, 1, SHOW_VEC_MAX);
    if (n > SHOW_VEC_MAX) {
        char note[96];
        snprintf(note, sizeof note, " (%zu entries, the first %d shown)", n, SHOW_VEC_MAX);
        sb_add(&b, note);
    }
    bool finite = true;
    for (size_t i = 0; i < n && i < SHOW_VEC_MAX; i++)
        finite = finite && isfinite(v[i]);
    if (!finite && why != NULL && why[0] != '\0') {
        sb_add(&b, "  # ");
        sb_add(&b, why);
    }
    if (!b.oom)
        emit(o, OUT_TEXT, b.s);
    free(b.s);
}

void
out_kv_vec(struct out *o, const char *key, const double *v, size_t n)
{
    out_kv_vec_why(o, key, v, n, NULL);
}

void
out_kv_mat(struct out *o, const char *key, const double *m, size_t rows, size_t cols)
{
    struct sbuf b = {0};
    const size_t max = SHOW_MAT_MAX;
    sb_add(&b, key);
    sb_add(&b, " = [");
    for (size_t i = 0; i < rows && i < max; i++) {
        if (i > 0)
            sb_add(&b, ", ");
        sb_vec(&b, m + i * cols, cols, 1, max);
    }
    if (rows > max)
        sb_add(&b, ", ...");
    sb_add(&b, "]");
    if (rows > max || cols > max) {
        char note[96];
        snprintf(note, sizeof note, " (%zu x %zu, the first %zu x %zu shown)", rows, cols,
                 rows < max ? rows : max, cols < max ? cols : max);
        sb_add(&b, note);
    }
    if (!b.oom)
        emit(o, OUT_TEXT, b.s);
    free(b.s);
}

static void
buffer_line(void *ctx, enum out_kind kind, const char *text)
{
    struct out_buffer *ob = ctx;
    struct sbuf b = {ob->text, ob->len, ob->cap, 0};
    if (kind == OUT_ERROR)
        sb_add(&b, "error: ");
    sb_add(&b, text);
    sb_add(&b, "\n");
    ob->text = b.s;
    ob->len = b.len;
    ob->cap = b.cap;
}

void
out_buffer_init(struct out_buffer *b)
{
    memset(b, 0, sizeof *b);
    b->out.line = buffer_line;
    b->out.ctx = b;
}

void
out_buffer_free(struct out_buffer *b)
{
    free(b->text);
    memset(b, 0, sizeof *b);
}
