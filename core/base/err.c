/* core/err.c - see err.h. */
#include "core/base/err.h"

#include <stdarg.h>
#include <stdio.h>

int
bl_fail(bl_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
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
