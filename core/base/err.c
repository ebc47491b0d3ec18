/* core/err.c - see err.h.
 *
 * Messages quote what the user typed, so bl_fail cleans them: control
 * characters are shown escaped (\x1b, \n), never sent to the terminal (a
 * quoted "d=1\e[2J" would clear the screen), and a message longer than the
 * buffer is fitted by cutting the middle of its longest word (a path, a
 * pasted token) with an ellipsis, so the reason after it survives. */
#include "core/base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELLIPSIS  "\xe2\x80\xa6" /* U+2026 */
#define WORD_KEEP 12             /* bytes kept on each side of a cut */

/* src with control bytes escaped, into a fresh string (NULL: no memory). */
static char *
escape_controls(const char *src)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++)
        n += *p < 0x20 || *p == 0x7f ? 4 : 1;
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

/* Move i back to the start of a UTF-8 sequence. */
static size_t
utf8_start(const char *s, size_t i)
{
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Shorten m in place to fit size bytes (with the NUL): cut the middle of the
 * longest space-free word while that helps, then the end. */
static void
fit(char *m, size_t size)
{
    size_t len = strlen(m), el = strlen(ELLIPSIS);
    while (len + 1 > size) {
        size_t best = 0, best_len = 0;
        for (size_t i = 0; i < len;) {
            size_t j = i;
            while (j < len && m[j] != ' ')
                j++;
            if (j - i > best_len) {
                best = i;
                best_len = j - i;
            }
            i = j + 1;
        }
        if (best_len <= 2 * WORD_KEEP + el)
            break;
        /* Replace [a, b) by the ellipsis: a net gain of b - a - el bytes. */
        size_t want = len + 1 - size + el, most = best_len - 2 * WORD_KEEP;
        size_t b = best + best_len - WORD_KEEP;
        size_t a = utf8_start(m, b - (want < most ? want : most));
        b = utf8_start(m, b);
        if (b <= a + el)
            break;
        memcpy(m + a, ELLIPSIS, el);
        memmove(m + a + el, m + b, len - b + 1);
        len -= b - a - el;
    }
    if (len + 1 > size) {
        size_t a = utf8_start(m, size - 1 - el);
        memcpy(m + a, ELLIPSIS, el);
        m[a + el] = '\0';
    }
}

int
bl_fail(bl_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap, aq;
        va_start(ap, fmt);
        va_copy(aq, ap);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        char *raw = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (raw != NULL)
            vsnprintf(raw, (size_t)n + 1, fmt, aq);
        else
            vsnprintf(err->msg, sizeof err->msg, fmt, aq);
        va_end(aq);
        char *clean = raw != NULL ? escape_controls(raw) : NULL;
        if (clean != NULL) {
            fit(clean, sizeof err->msg);
            snprintf(err->msg, sizeof err->msg, "%s", clean);
        } else if (raw != NULL) {
            snprintf(err->msg, sizeof err->msg, "%s", raw);
        }
        free(clean);
        free(raw);
        err->code = code;
    }
    return code;
}

void
bl_err_clear(bl_err *err)
{
    if (err != NULL) {
        err->code = BL_OK;
        err->msg[0] = '\0';
    }
}
