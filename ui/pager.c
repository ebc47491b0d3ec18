/* ui/pager.c - see pager.h. */
#include "ui/pager.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pager_init(struct pager *p)
{
    memset(p, 0, sizeof *p);
    p->match = -1;
    p->page = 1;
}

static void
drop_lines(struct pager *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->line[i]);
    p->n = 0;
}

static void
drop_sources(struct pager *p)
{
    for (size_t i = 0; i < p->nsrc; i++)
        free(p->src[i]);
    p->nsrc = 0;
}

void
pager_free(struct pager *p)
{
    drop_lines(p);
    drop_sources(p);
    free(p->line);
    free(p->error);
    free(p->origin);
    free(p->src);
    free(p->src_error);
    free(p->src_wrap);
    pager_init(p);
}

void
pager_begin(struct pager *p, const char *title)
{
    drop_lines(p);
    drop_sources(p);
    snprintf(p->title, sizeof p->title, "%s", title);
    p->top = 0;
    p->prompting = false;
    p->input[0] = '\0';
    p->match = -1;
    p->note[0] = '\0';
    p->open = false;
}

/* Append one row shown, made from source line origin. */
static int
add_row(struct pager *p, const char *text, bool error, size_t origin)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        char **l = realloc(p->line, cap * sizeof *l);
        if (l == NULL)
            return -1;
        p->line = l;
        bool *e = realloc(p->error, cap * sizeof *e);
        if (e == NULL)
            return -1;
        p->error = e;
        size_t *o = realloc(p->origin, cap * sizeof *o);
        if (o == NULL)
            return -1;
        p->origin = o;
        p->cap = cap;
    }
    char *copy = strdup(text);
    if (copy == NULL)
        return -1;
    p->line[p->n] = copy;
    p->error[p->n] = error;
    p->origin[p->n] = origin;
    p->n++;
    return 0;
}

/* Keep a copy of a line as added; -1 when out of memory. */
static int
add_source(struct pager *p, const char *text, bool error, bool wrap)
{
    if (p->nsrc == p->src_cap) {
        size_t cap = p->src_cap ? 2 * p->src_cap : 64;
        char **l = realloc(p->src, cap * sizeof *l);
        if (l == NULL)
            return -1;
        p->src = l;
        bool *e = realloc(p->src_error, cap * sizeof *e);
        if (e == NULL)
            return -1;
        p->src_error = e;
        bool *w = realloc(p->src_wrap, cap * sizeof *w);
        if (w == NULL)
            return -1;
        p->src_wrap = w;
        p->src_cap = cap;
    }
    char *copy = strdup(text);
    if (copy == NULL)
        return -1;
    p->src[p->nsrc] = copy;
    p->src_error[p->nsrc] = error;
    p->src_wrap[p->nsrc] = wrap;
    p->nsrc++;
    return 0;
}

int
pager_add(struct pager *p, const char *text, bool error)
{
    if (add_source(p, text, error, false) != 0)
        return -1;
    return add_row(p, text, error, p->nsrc - 1);
}

/* Bytes of the first n code points of s (or all of it). */
static size_t
utf8_prefix(const char *s, int n)
{
    size_t i = 0;
    for (int k = 0; s[i] != '\0' && k < n; k++) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Code points from s up to (not including) end. */
static size_t
utf8_width_to(const char *s, const char *end)
{
    size_t n = 0;
    for (const char *q = s; q < end; q++)
        n += ((unsigned char)*q & 0xC0) != 0x80;
    return n;
}

int
pager_wrap(const char *text, int width, int (*row)(void *ctx, const char *piece), void *ctx)
{
    if (width < 16 || canvas_text_width(text) <= width)
        return row(ctx, text);
    /* Continuation rows are indented under the line's description column
     * (help's "  key=TYPE    text" layout), else by two, so a wrapped item
     * reads as one; breaks go at the last blank that fits. */
    int indent = 2;
    const char *gap = text;
    while (*gap == ' ')
        gap++;
    gap = strstr(gap, "  ");
    if (gap != NULL) {
        while (*gap == ' ')
            gap++;
        int col = (int)utf8_width_to(text, gap);
        if (col < width / 2)
            indent = col;
    }
    char piece[1024];
    const char *at = text;
    for (bool first = true; *at != '\0'; first = false) {
        int room = first ? width : width - indent;
        size_t cut = utf8_prefix(at, room);
        if (at[cut] != '\0') {
            size_t b = cut;
            while (b > 0 && at[b] != ' ')
                b--;
            if (b > 0)
                cut = b;
        }
        size_t len = cut < sizeof piece - 3 ? cut : sizeof piece - 3;
        snprintf(piece, sizeof piece, "%*s%.*s", first ? 0 : indent, "", (int)len, at);
        int rc = row(ctx, piece);
        if (rc != 0)
            return rc;
        at += len; /* what a row too long for piece left goes on the next */
        while (*at == ' ')
            at++;
    }
    return 0;
}

struct wrap_to {
    struct pager *p;
    bool error;
    size_t origin;
};

static int
wrap_row(void *ctx, const char *piece)
{
    const struct wrap_to *w = ctx;
    return add_row(w->p, piece, w->error, w->origin);
}

/* The rows of source line k wrapped at width. */
static int
wrap_rows(struct pager *p, size_t k, int width)
{
    struct wrap_to w = {.p = p, .error = p->src_error[k], .origin = k};
    return pager_wrap(p->src[k], width, wrap_row, &w);
}

int
pager_add_wrapped(struct pager *p, const char *text, bool error, int width)
{
    if (add_source(p, text, error, true) != 0)
        return -1;
    p->width = width;
    return wrap_rows(p, p->nsrc - 1, width);
}

int
pager_rewrap(struct pager *p, int width)
{
    if (p->width == 0 || width == p->width)
        return 0; /* nothing was wrapped, or at this width already */
    size_t top = p->n > 0 && p->top < p->n ? p->origin[p->top] : 0;
    drop_lines(p);
    p->width = width;
    p->match = -1; /* a row index, of rows that are gone */
    p->top = 0;
    for (size_t k = 0; k < p->nsrc; k++) {
        if (k == top)
            p->top = p->n;
        int rc = p->src_wrap[k] ? wrap_rows(p, k, width)
                                : add_row(p, p->src[k], p->src_error[k], k);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void
pager_show(struct pager *p)
{
    p->open = true;
}

void
pager_close(struct pager *p)
{
    p->open = false;
    p->prompting = false;
}

static size_t
max_top(const struct pager *p)
{
    size_t page = p->page > 0 ? (size_t)p->page : 1;
    return p->n > page ? p->n - page : 0;
}

static void
scroll(struct pager *p, long by)
{
    long t = (long)p->top + by;
    if (t < 0)
        t = 0;
    if ((size_t)t > max_top(p))
        t = (long)max_top(p);
    p->top = (size_t)t;
}

/* Case-insensitive substring: the offset of pat in s, or -1. */
static long
find_ci(const char *s, const char *pat)
{
    size_t m = strlen(pat);
    if (m == 0)
        return -1;
    for (size_t i = 0; s[i] != '\0'; i++) {
        size_t k = 0;
        while (k < m && s[i + k] != '\0' &&
               tolower((unsigned char)s[i + k]) == tolower((unsigned char)pat[k]))
            k++;
        if (k == m)
            return (long)i;
    }
    return -1;
}

/* The next line holding the pattern after from (dir +1) or before it (-1),
 * wrapping around once; -1 when none. */
static long
search(const struct pager *p, long from, int dir)
{
    if (p->n == 0 || p->pattern[0] == '\0')
        return -1;
    long n = (long)p->n;
    for (long k = 1; k <= n; k++) {
        long i = ((from + dir * k) % n + n) % n;
        if (find_ci(p->line[i], p->pattern) >= 0)
            return i;
    }
    return -1;
}

static void
go_to_match(struct pager *p, int dir)
{
    long from = p->match >= 0 ? p->match : (dir > 0 ? (long)p->top - 1 : (long)p->top);
    long m = search(p, from, dir);
    if (m < 0) {
        snprintf(p->note, sizeof p->note, "pattern not found: %s", p->pattern);
        p->match = -1;
        return;
    }
    if ((dir > 0 && m <= p->match) || (dir < 0 && p->match >= 0 && m >= p->match))
        snprintf(p->note, sizeof p->note, "search wrapped around");
    p->match = m;
    /* Show the match with a little context above it. */
    size_t page = p->page > 0 ? (size_t)p->page : 1;
    if ((size_t)m < p->top || (size_t)m >= p->top + page) {
        p->top = (size_t)m > 2 ? (size_t)m - 2 : 0;
        if (p->top > max_top(p))
            p->top = max_top(p);
    }
}

bool
pager_key(struct pager *p, enum pager_key key, int ch)
{
    if (!p->open)
        return false;
    p->note[0] = '\0';
    if (p->prompting) {
        size_t len = strlen(p->input);
        switch (key) {
        case PK_CHAR:
            if (len + 1 < sizeof p->input && ch >= 0x20 && ch < 0x7f) {
                p->input[len] = (char)ch;
                p->input[len + 1] = '\0';
            }
            break;
        case PK_BACKSPACE:
            if (len > 0)
                p->input[len - 1] = '\0';
            else
                p->prompting = false;
            break;
        case PK_ENTER:
            p->prompting = false;
            if (p->input[0] != '\0')
                snprintf(p->pattern, sizeof p->pattern, "%s", p->input);
            p->match = -1;
            go_to_match(p, 1);
            break;
        case PK_ESC:
        case PK_CTRL_C: p->prompting = false; break;
        default: break;
        }
        return true;
    }
    long page = p->page > 1 ? p->page - 1 : 1; /* keep one line of context */
    switch (key) {
    case PK_CHAR:
        switch (ch) {
        case 'q':
        case 'Q': pager_close(p); break;
        case ' ':
        case 'f': scroll(p, page); break;
        case 'b': scroll(p, -page); break;
        case 'j': scroll(p, 1); break;
        case 'k': scroll(p, -1); break;
        case 'g':
        case '<': p->top = 0; break;
        case 'G':
        case '>': p->top = max_top(p); break;
        case '/':
            p->prompting = true;
            p->input[0] = '\0';
            break;
        case 'n':
            if (p->pattern[0] == '\0')
                snprintf(p->note, sizeof p->note, "no search yet: / and a word");
            else
                go_to_match(p, 1);
            break;
        case 'N':
            if (p->pattern[0] != '\0')
                go_to_match(p, -1);
            break;
        default: snprintf(p->note, sizeof p->note, "q closes the pager"); break;
        }
        break;
    case PK_ESC:
    case PK_CTRL_C: pager_close(p); break;
    case PK_ENTER:
    case PK_DOWN: scroll(p, 1); break;
    case PK_UP: scroll(p, -1); break;
    case PK_PGDN: scroll(p, page); break;
    case PK_PGUP: scroll(p, -page); break;
    case PK_HOME: p->top = 0; break;
    case PK_END: p->top = max_top(p); break;
    default: return false;
    }
    return true;
}

/* Columns taken by the first `bytes` bytes of s. */
static int
prefix_width(const char *s, long bytes)
{
    char buf[1024];
    size_t n = (size_t)bytes < sizeof buf - 1 ? (size_t)bytes : sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return canvas_text_width(buf);
}

void
pager_draw(struct pager *p, struct canvas *c, int *cursor_col, int *cursor_row)
{
    int cols = c->cols, rows = c->rows;
    canvas_clear(c);
    p->page = rows > 1 ? rows - 1 : 1;
    if (p->top > max_top(p))
        p->top = max_top(p);
    for (int r = 0; r < rows - 1; r++) {
        size_t i = p->top + (size_t)r;
        if (i >= p->n)
            break;
        const char *s = p->line[i];
        canvas_text(c, 0, r, s, p->error[i] ? COL_ERROR : COL_DEFAULT, ATTR_NONE, cols);
        /* Every occurrence of the pattern shows reversed. */
        long off = 0, at;
        size_t m = strlen(p->pattern);
        while (m > 0 && (at = find_ci(s + off, p->pattern)) >= 0) {
            long start = off + at;
            char piece[sizeof p->pattern];
            memcpy(piece, s + start, m);
            piece[m] = '\0';
            int col = prefix_width(s, start);
            if (col < cols)
                canvas_text(c, col, r, piece, COL_DEFAULT, ATTR_REVERSE, cols - col);
            off = start + (long)m;
        }
    }
    char status[512];
    size_t last = p->top + (size_t)p->page < p->n ? p->top + (size_t)p->page : p->n;
    int pct = p->n ? (int)(100 * last / p->n) : 100;
    if (p->prompting)
        snprintf(status, sizeof status, "/%s", p->input);
    else if (p->note[0] != '\0')
        snprintf(status, sizeof status, "%s  (q close, / search, n next)", p->note);
    else {
        /* The keys a reader needs first come first; the rest are dropped
         * whole when the line is too narrow (80 columns cut the list to
         * "... PgUp arrows Home …"). */
        static const char *const keys[] = {"  q close  /search  n next  space PgDn PgUp arrows Home End",
                                           "  q close  /search  n next  space PgDn PgUp",
                                           "  q close  /search  n next", "  q close  /search",
                                           "  q close"};
        size_t k = 0;
        for (;; k++) {
            snprintf(status, sizeof status, "%.24s  lines %zu-%zu/%zu %d%%%s", p->title,
                     p->n ? p->top + 1 : 0, last, p->n, pct, keys[k]);
            if (k + 1 == sizeof keys / sizeof keys[0] || canvas_text_width(status) <= cols)
                break;
        }
    }
    if (rows > 0) {
        canvas_clear_rect(c, 0, rows - 1, cols, 1);
        char pad[512];
        snprintf(pad, sizeof pad, "%-*s", cols < (int)sizeof pad - 1 ? cols : (int)sizeof pad - 1,
                 status);
        canvas_text(c, 0, rows - 1, pad, COL_DEFAULT, ATTR_REVERSE, cols);
    }
    *cursor_row = rows > 0 ? rows - 1 : 0;
    *cursor_col = p->prompting ? 1 + canvas_text_width(p->input) : 0;
    if (*cursor_col >= cols)
        *cursor_col = cols > 0 ? cols - 1 : 0;
}
