/* commands/wfile.h - the one way bayeslens writes a file (exports,
 * screenshots): docs/robustness.md states the policy.
 *
 *   struct wfile w;
 *   if (wfile_open(&w, path, err) != BL_OK) return ...;
 *   fprintf(w.f, ...);
 *   return wfile_commit(&w, err);      (or wfile_abort(&w) on an error)
 *
 * The data go to a fresh temporary file (mkstemp) in the target's directory,
 * which is flushed, fsync'ed and renamed over the target: a reader sees the
 * old file or the whole new one, and an export that fails or is interrupted
 * leaves the target as it was and no temporary behind. Only regular files
 * are replaced; a symbolic link is followed and the file it points to
 * replaced (the link stays a link); a FIFO, device, directory or socket is
 * refused without being opened, and so is a file the user may not write
 * (the rename needs only the directory's permission). An existing target keeps its permission
 * bits (and, when allowed, its owner); a new one gets 0666 less the umask.
 * "-" and /dev/stdout mean standard output. Every error names the path and
 * the system's reason. */
#ifndef BAYESLENS_COMMANDS_WFILE_H
#define BAYESLENS_COMMANDS_WFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base/err.h"

struct wfile {
    FILE *f;          /* write here */
    char *path;       /* the file replaced (a symlink resolved), for messages */
    char *tmp;        /* the temporary; NULL for standard output */
    bool to_stdout;
};

int wfile_open(struct wfile *w, const char *path, bl_err *err);
/* Flush, sync and rename into place; frees w either way. */
int wfile_commit(struct wfile *w, bl_err *err);
/* Discard the temporary; the target is untouched. Safe on a zeroed w. */
void wfile_abort(struct wfile *w);

#endif
