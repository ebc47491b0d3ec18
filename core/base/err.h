/* core/err.h - status codes and user-facing error messages.
 *
 * Every fallible function in core/, datasets/ and commands/ returns one of the
 * BL_* codes (or NULL) and fills a bl_err whose message names the culprit and
 * what is allowed: "noise=-1: must be >= 0". Lowercase, no final period.
 * Nothing a user can cause ever aborts the process. */
#ifndef BAYESLENS_CORE_ERR_H
#define BAYESLENS_CORE_ERR_H

#include <signal.h>
#include <stddef.h>

enum {
    BL_OK = 0,
    BL_EINVAL,  /* bad argument or input data */
    BL_ENOMEM,  /* allocation failed (a user can ask for d = 10^6) */
    BL_ENUM,    /* numerical failure: not positive definite, no convergence */
    BL_ECANCEL, /* the caller's cancel flag was raised (Ctrl-C) */
    BL_EIO,     /* file could not be read or written */
    BL_ESTATE,  /* the session lacks what the command needs (no model yet...) */
};

typedef struct bl_err {
    int code;      /* BL_OK, BL_EINVAL, ... */
    char msg[256]; /* for the user: names the culprit and the valid choice */
} bl_err;

/* Cancel flag polled by long loops; raised by the front end's SIGINT handler.
 * NULL means "cannot be cancelled". */
typedef volatile sig_atomic_t bl_cancel;

/* Fill *err (if not NULL) with code and a printf-style message; return code. */
int bl_fail(bl_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reset *err to BL_OK with an empty message. */
void bl_err_clear(bl_err *err);

/* True when the cancel flag is non-NULL and raised. */
static inline int
bl_cancelled(const bl_cancel *c)
{
    return c != NULL && *c != 0;
}

#endif
