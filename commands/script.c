/* commands/script.c - run a script file (`source FILE`, `bayeslens -x FILE`),
 * at once or, in the live screen, one command at a time as a lecture.
 * Scripts stop at the first failing command, like `sh -e`: a lecture script
 * that goes on after an error shows the class wrong pictures.
 *
 * A stepped script is a stack of open files (a nested source is pushed and
 * runs before the rest of its parent) with the commands of the current line
 * of each, so that `sample 2000; show sampler` waits between its two
 * commands too. What it waits for (a key, a time, the jobs the last command
 * started) is its hold; the front end asks session_script_hold whether the
 * next command may run, and passes keys on (docs/lectures.md). */
#include "commands/session.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/clock.h"
#include "commands/cmd.h"

#define SOURCE_MAX_DEPTH 16
#define SCRIPT_MAX_BYTES (64 << 20) /* lecture scripts are kilobytes */

struct script_frame {
    FILE *f;
    char *path;           /* as given: a nested script's errors start with it */
    const char *name;     /* for messages: path, or "<stdin>" */
    size_t lineno, total; /* lines and bytes read */
    struct cmd_line cmds; /* the current line's commands (stepped) */
    size_t next;          /* the next of them to run */
};

struct script_run {
    struct script_frame frame[SOURCE_MAX_DEPTH];
    size_t n;
    char *line;                            /* CMD_LINE_MAX + 2 bytes */
    enum script_hold hold;                 /* SCRIPT_READY, SCRIPT_KEY, SCRIPT_TIME or SCRIPT_JOB */
    double until;                          /* SCRIPT_TIME: clock_now() at which it ends */
    const struct job_class *wait[JOB_MAX]; /* SCRIPT_JOB: the jobs waited for, by class */
    size_t nwait;
};

static int
frame_open(struct script_frame *fr, const char *path, bl_err *err)
{
    memset(fr, 0, sizeof *fr);
    fr->path = strdup(path);
    if (fr->path == NULL)
        return bl_fail(err, BL_ENOMEM, "out of memory");
    fr->f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (fr->f == NULL) {
        int e = errno;
        free(fr->path);
        fr->path = NULL;
        return bl_fail(err, BL_EIO, "%s: %s", path, strerror(e));
    }
    fr->name = strcmp(path, "-") ? fr->path : "<stdin>";
    return BL_OK;
}

static void
frame_close(struct script_frame *fr)
{
    if (fr->f != NULL && fr->f != stdin)
        fclose(fr->f);
    cmd_line_free(&fr->cmds);
    free(fr->path);
    memset(fr, 0, sizeof *fr);
}

/* The next line of fr into line (CMD_LINE_MAX + 2 bytes): 1, 0 at the end
 * of the file, or a code with err naming the file and line. */
static int
frame_read(struct script_frame *fr, char *line, bl_err *err)
{
    /* A bounded line: source /dev/zero or a binary file must fail, not
     * read gigabytes looking for a newline. */
    size_t len = 0;
    int c = EOF;
    while (len <= CMD_LINE_MAX && (c = getc(fr->f)) != EOF && c != '\n')
        line[len++] = (char)c;
    if (c == EOF && len == 0) {
        if (ferror(fr->f))
            return -bl_fail(err, BL_EIO, "%s: %s", fr->name, strerror(errno));
        return 0;
    }
    line[len] = '\0';
    fr->lineno++;
    fr->total += len + 1;
    if (len > CMD_LINE_MAX)
        return -bl_fail(err, BL_EINVAL, "%s:%zu: line longer than %d bytes (not a script?)",
                        fr->name, fr->lineno, CMD_LINE_MAX);
    const char *nul = memchr(line, '\0', len);
    if (nul != NULL)
        return -bl_fail(err, BL_EINVAL, "%s:%zu: a NUL byte at column %zu (not a script?)",
                        fr->name, fr->lineno, (size_t)(nul - line) + 1);
    if (fr->total > SCRIPT_MAX_BYTES)
        return -bl_fail(err, BL_EINVAL, "%s:%zu: script longer than %d MiB", fr->name, fr->lineno,
                        SCRIPT_MAX_BYTES >> 20);
    return 1;
}

/* err gets "FILE:LINE: " in front, unless a nested script named its own
 * line already. */
static void
name_line(const struct script_frame *fr, int rc, bl_err *err)
{
    if (err == NULL)
        return;
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg);
    size_t plen = strlen(fr->path);
    if (strncmp(msg, fr->path, plen) != 0 || msg[plen] != ':')
        bl_fail(err, rc, "%s:%zu: %s", fr->name, fr->lineno, msg);
}

/* Which jobs are started (job_start) by one command: their start counts
 * before it, by class. */
struct job_marks {
    const struct job_class *cls[JOB_MAX];
    unsigned long starts[JOB_MAX];
    size_t n;
};

static void
marks_take(const struct session *s, struct job_marks *m)
{
    m->n = s->jobs.n;
    for (size_t k = 0; k < s->jobs.n; k++) {
        m->cls[k] = s->jobs.slot[k].cls;
        m->starts[k] = s->jobs.slot[k].starts;
    }
}

static bool
marks_started(const struct job_marks *m, const struct job *j)
{
    if (!j->pace.active)
        return false;
    for (size_t k = 0; k < m->n; k++)
        if (m->cls[k] == j->cls)
            return m->starts[k] != j->starts;
    return true; /* a class that was not there: new */
}

/* In a script run at once by an interactive front end (--plain), a job a
 * command started runs to its end before the next command. */
static void
finish_started(struct session *s, const struct job_marks *m, struct out *out)
{
    struct run_ctx ctx = session_run_ctx(s);
    for (size_t k = 0; k < s->jobs.n; k++)
        if (marks_started(m, &s->jobs.slot[k])) {
            job_finish(&s->jobs.slot[k], &ctx, out);
            s->generation++;
        }
}

static int
source_now(struct session *s, const char *path, struct out *out, bl_err *err)
{
    struct script_frame fr;
    int rc = frame_open(&fr, path, err);
    if (rc != BL_OK)
        return rc;
    char *line = malloc(CMD_LINE_MAX + 2);
    if (line == NULL) {
        frame_close(&fr);
        return bl_fail(err, BL_ENOMEM, "out of memory");
    }
    s->depth++;
    while (rc == BL_OK && !s->quit) {
        int got = frame_read(&fr, line, err);
        if (got <= 0) {
            rc = -got;
            break;
        }
        struct cmd_line l;
        if ((rc = cmd_split(line, &l, err)) == BL_OK) {
            for (size_t i = 0; i < l.n && rc == BL_OK && !s->quit; i++) {
                struct job_marks m;
                marks_take(s, &m);
                rc = cmd_run_words(s, &l.cmds[i], out, err);
                if (rc == BL_OK && s->interactive)
                    finish_started(s, &m, out);
            }
            cmd_line_free(&l);
        }
        if (rc != BL_OK)
            name_line(&fr, rc, err);
    }
    s->depth--;
    free(line);
    frame_close(&fr);
    return rc;
}

int
session_source(struct session *s, const char *path, struct out *out, bl_err *err)
{
    struct script_run *r = s->script;
    size_t depth = (size_t)s->depth + (r != NULL && s->depth == 0 ? r->n : 0);
    if (depth >= SOURCE_MAX_DEPTH)
        return bl_fail(err, BL_EINVAL, "%s: scripts nested deeper than %d (a source loop?)", path,
                       SOURCE_MAX_DEPTH);
    if (!s->stepwise)
        return source_now(s, path, out, err);
    if (r == NULL) {
        r = calloc(1, sizeof *r);
        char *line = malloc(CMD_LINE_MAX + 2);
        if (r == NULL || line == NULL) {
            free(r);
            free(line);
            return bl_fail(err, BL_ENOMEM, "out of memory");
        }
        r->line = line;
        r->hold = SCRIPT_READY;
        int rc = frame_open(&r->frame[0], path, err);
        if (rc != BL_OK) {
            free(r->line);
            free(r);
            return rc;
        }
        r->n = 1;
        s->script = r;
        return BL_OK;
    }
    int rc = frame_open(&r->frame[r->n], path, err);
    if (rc == BL_OK)
        r->n++;
    return rc;
}

bool
session_in_script(const struct session *s)
{
    return s->depth > 0;
}

enum script_hold
session_script_hold(const struct session *s, double *until)
{
    const struct script_run *r = s->script;
    if (r == NULL)
        return SCRIPT_NONE;
    if (until != NULL)
        *until = r->until;
    switch (r->hold) {
    case SCRIPT_TIME: return clock_now() >= r->until ? SCRIPT_READY : SCRIPT_TIME;
    case SCRIPT_JOB:
        for (size_t i = 0; i < r->nwait; i++)
            for (size_t k = 0; k < s->jobs.n; k++)
                if (s->jobs.slot[k].cls == r->wait[i] && s->jobs.slot[k].pace.active)
                    return SCRIPT_JOB;
        return SCRIPT_READY;
    default: return r->hold;
    }
}

static void
run_free(struct session *s)
{
    struct script_run *r = s->script;
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        frame_close(&r->frame[i]);
    free(r->line);
    free(r);
    s->script = NULL;
}

/* Lines of these only talk to the audience or wait: not echoed. */
static bool
quiet_line(const struct cmd_line *l)
{
    static const char *const quiet[] = {"say", "pause", "wait", NULL};
    for (size_t i = 0; i < l->n; i++) {
        bool q = false;
        for (size_t k = 0; quiet[k] != NULL; k++)
            q = q || strcmp(l->cmds[i].argv[0], quiet[k]) == 0;
        if (!q)
            return false;
    }
    return true;
}

int
session_script_step(struct session *s, struct out *out, bl_err *err)
{
    struct script_run *r = s->script;
    if (r == NULL || session_script_hold(s, NULL) != SCRIPT_READY)
        return BL_OK;
    r->hold = SCRIPT_READY;
    r->nwait = 0;
    for (;;) {
        struct script_frame *fr = &r->frame[r->n - 1];
        if (fr->next < fr->cmds.n)
            break;
        cmd_line_free(&fr->cmds);
        fr->next = 0;
        int got = frame_read(fr, r->line, err);
        if (got < 0) {
            run_free(s);
            return -got;
        }
        if (got == 0) {
            if (r->n == 1)
                out_printf(out, "end of %s", fr->name);
            frame_close(fr);
            if (--r->n == 0) {
                run_free(s);
                s->generation++;
                return BL_OK;
            }
            continue;
        }
        int rc = cmd_split(r->line, &fr->cmds, err);
        if (rc != BL_OK) {
            name_line(fr, rc, err);
            run_free(s);
            return rc;
        }
        if (fr->cmds.n > 0 && !quiet_line(&fr->cmds))
            out_printf(out, "> %s", r->line + strspn(r->line, " \t"));
    }
    size_t at = r->n - 1;
    struct script_frame *fr = &r->frame[at];
    struct job_marks m;
    marks_take(s, &m);
    int depth = s->depth;
    s->depth = (int)r->n;
    int rc = cmd_run_words(s, &fr->cmds.cmds[fr->next++], out, err);
    s->depth = depth;
    if (rc != BL_OK) {
        name_line(&r->frame[at], rc, err);
        run_free(s);
        return rc;
    }
    for (size_t k = 0; k < s->jobs.n; k++)
        if (marks_started(&m, &s->jobs.slot[k]) && r->nwait < JOB_MAX) {
            r->wait[r->nwait++] = s->jobs.slot[k].cls;
            r->hold = SCRIPT_JOB;
        }
    return BL_OK;
}

void
session_script_go(struct session *s, struct out *out)
{
    struct script_run *r = s->script;
    if (r == NULL)
        return;
    if (session_script_hold(s, NULL) == SCRIPT_JOB) {
        struct run_ctx ctx = session_run_ctx(s);
        for (size_t i = 0; i < r->nwait; i++) {
            struct job *j = job_set_find(&s->jobs, r->wait[i]);
            if (j != NULL)
                job_finish(j, &ctx, out);
        }
        s->generation++;
    }
    r->hold = SCRIPT_READY;
    r->nwait = 0;
}

void
session_script_stop(struct session *s, struct out *out)
{
    struct script_run *r = s->script;
    if (r == NULL)
        return;
    if (session_script_hold(s, NULL) == SCRIPT_JOB && out != NULL) {
        for (size_t i = 0; i < r->nwait; i++) {
            struct job *j = job_set_find(&s->jobs, r->wait[i]);
            if (j != NULL)
                job_stop(j, out);
        }
    }
    const struct script_frame *fr = &r->frame[r->n - 1];
    if (out != NULL)
        out_printf(out, "lecture stopped at %s:%zu (type a command, or source it again)", fr->name,
                   fr->lineno);
    run_free(s);
    s->caption[0] = '\0';
    s->generation++;
}

void
session_script_pause(struct session *s)
{
    if (s->stepwise && s->script != NULL)
        s->script->hold = SCRIPT_KEY;
}

void
session_script_wait(struct session *s, double seconds)
{
    if (s->stepwise && s->script != NULL && seconds > 0) {
        s->script->hold = SCRIPT_TIME;
        s->script->until = clock_now() + seconds;
    }
}
