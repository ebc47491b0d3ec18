/* commands/wfile.c - see wfile.h. */
#include "commands/wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
kind_name(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
           : S_ISSOCK(m) ? "a socket"
                         : "not a regular file";
}

static char *
dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* The directory part of path ("." when none), freshly allocated. */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return dup_str(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

void
wfile_abort(struct wfile *w)
{
    if (w->f != NULL && !w->to_stdout)
        fclose(w->f);
    if (w->tmp != NULL)
        unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    *w = (struct wfile){0};
}

int
wfile_open(struct wfile *w, const char *path, bl_err *err)
{
    *w = (struct wfile){0};
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0) {
        w->to_stdout = true;
        w->f = stdout;
        return BL_OK;
    }
    if (path[0] == '\0')
        return bl_fail(err, BL_EINVAL, "empty file name");
    if (path[strspn(path, " \t")] == '\0') /* a quoted blank, most likely a slip */
        return bl_fail(err, BL_EINVAL, "'%s': a file name of blanks only", path);
    struct stat st;
    bool exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT)
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(errno));
    /* A symbolic link: replace what it points to, so the link survives. */
    if (exists && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real == NULL)
            return bl_fail(err, BL_EIO, "%s: a symbolic link to nothing (%s)", path,
                           strerror(errno));
        w->path = real;
        if (lstat(real, &st) != 0) {
            int e = errno;
            wfile_abort(w);
            return bl_fail(err, BL_EIO, "%s: %s", path, strerror(e));
        }
    } else if ((w->path = dup_str(path)) == NULL) {
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    if (exists && !S_ISREG(st.st_mode)) {
        const char *k = kind_name(st.st_mode);
        wfile_abort(w);
        return bl_fail(err, BL_EIO, "%s: %s; only regular files are replaced", path, k);
    }
    /* Replacing by rename needs only the directory's permission: a file the
     * user may not write (mode 444, another owner's) would be replaced all
     * the same. Refuse it as the shell's `>` would. */
    if (exists && faccessat(AT_FDCWD, w->path, W_OK, AT_EACCESS) != 0) {
        int e = errno;
        wfile_abort(w);
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(e));
    }
    char *dir = dir_of(w->path);
    const char *base = strrchr(w->path, '/');
    base = base ? base + 1 : w->path;
    size_t n = (dir ? strlen(dir) : 0) + strlen(base) + 16;
    w->tmp = dir ? malloc(n) : NULL;
    if (w->tmp == NULL) {
        free(dir);
        wfile_abort(w);
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    /* Hidden, unpredictable and created exclusively (mkstemp: O_EXCL). */
    snprintf(w->tmp, n, "%s/.%s.XXXXXX", dir, base);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        wfile_abort(w);
        int rc = bl_fail(err, BL_EIO, "%s: cannot create a file in %s (%s)", path, dir,
                         strerror(e));
        free(dir);
        return rc;
    }
    free(dir);
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
        if (fchown(fd, st.st_uid, st.st_gid) != 0) {
            /* not the owner: the new file is ours, as with any editor */
        }
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    if (fchmod(fd, mode) != 0 || (w->f = fdopen(fd, "w")) == NULL) {
        int e = errno;
        close(fd);
        wfile_abort(w);
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(e));
    }
    return BL_OK;
}

int
wfile_commit(struct wfile *w, bl_err *err)
{
    if (w->to_stdout) {
        int bad = fflush(stdout) != 0 || ferror(stdout);
        int e = errno;
        clearerr(stdout);
        *w = (struct wfile){0};
        return bad ? bl_fail(err, BL_EIO, "standard output: %s", strerror(e)) : BL_OK;
    }
    int e = 0;
    if (fflush(w->f) != 0 || ferror(w->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(w->f)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    int closed = fclose(w->f);
    w->f = NULL;
    if (e == 0 && closed != 0)
        e = errno;
    if (e == 0 && rename(w->tmp, w->path) != 0)
        e = errno;
    if (e != 0) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s", w->path);
        wfile_abort(w);
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(e));
    }
    /* The rename is durable once the directory is. */
    char *dir = dir_of(w->path);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) {
        if (fsync(dfd) != 0) {
            /* some file systems cannot sync a directory: the data are written */
        }
        close(dfd);
    }
    free(dir);
    free(w->tmp);
    w->tmp = NULL;
    free(w->path);
    w->path = NULL;
    return BL_OK;
}
