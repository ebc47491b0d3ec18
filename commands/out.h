/* commands/out.h - the output interface commands write through.
 *
 * Commands never touch stdout, ncurses or readline: they call out_* and the
 * front end decides where text goes (the log pane, stdout, a test buffer).
 * `show` output follows docs/design.md: one `key = value` per line, numbers with
 * %.10g, vectors as [a, b, c], matrices as [[a, b], [c, d]]. */
#ifndef BAYESLENS_COMMANDS_OUT_H
#define BAYESLENS_COMMANDS_OUT_H

#include <stddef.h>

#include "core/base/err.h"

enum out_kind { OUT_TEXT = 0, OUT_ERROR = 1 };

struct out {
    /* Receives one complete line (no trailing newline). */
    void (*line)(void *ctx, enum out_kind kind, const char *text);
    void *ctx;
};

void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_error(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failed command as the REPL reports it: "error: MSG", except an
 * interrupt the user asked for (Ctrl-C, BL_ECANCEL), which is what the
 * command did ("interrupted after 251 of 1000 iterations"), not an error. */
void out_failure(struct out *o, const bl_err *err);
void out_kv_real(struct out *o, const char *key, double v);
/* As out_kv_real; a value that is not finite gets its reason on the line,
 * "key = nan  # why" (issue 10: nothing prints nan or inf unexplained). */
void out_kv_why(struct out *o, const char *key, double v, const char *why);
void out_kv_int(struct out *o, const char *key, long long v);
void out_kv_str(struct out *o, const char *key, const char *v);
void out_kv_vec(struct out *o, const char *key, const double *v, size_t n);
/* As out_kv_vec; when an entry is not finite, the reason goes on the line,
 * "key = [nan, 5.3]  # why", as out_kv_why's. */
void out_kv_vec_why(struct out *o, const char *key, const double *v, size_t n, const char *why);
/* rows x cols, row-major. */
void out_kv_mat(struct out *o, const char *key, const double *m, size_t rows, size_t cols);
/* Format one number as show does (%.10g; nan, inf, -inf). buf of >= 32 bytes. */
const char *out_num(char *buf, size_t size, double v);

/* An out that appends everything to a growing buffer (tests, screenshots). */
struct out_buffer {
    struct out out;
    char *text; /* NUL-terminated, owned; errors are prefixed "error: " */
    size_t len, cap;
};
void out_buffer_init(struct out_buffer *b);
void out_buffer_free(struct out_buffer *b);

#endif
