/* commands/cmd.h - the command table: what a command is, how its arguments
 * are described, and the one entry point the front ends call.
 *
 * Types, ranges, choices and defaults are data (tmux options-table.c): the
 * dispatcher validates every argument before a handler runs, so handlers never
 * re-check, all commands reject bad input alike, and `help`, Tab completion
 * and error messages all read the same entry. A command that fails changes
 * nothing in the session. */
#ifndef BAYESLENS_COMMANDS_CMD_H
#define BAYESLENS_COMMANDS_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/out.h"
#include "core/base/err.h"

struct session;

enum arg_type {
    ARG_INT,    /* integer in [min, max] */
    ARG_REAL,   /* finite real in [min, max] (or > min when open_min) */
    ARG_CHOICE, /* one of choices; unique prefixes accepted */
    ARG_VEC,    /* comma-separated finite reals: x=0.1,0.2 */
    ARG_STR,    /* any word */
    ARG_FILE,   /* a file name (Tab completes file names) */
};

struct arg_spec {
    const char *name;
    enum arg_type type;
    bool positional; /* may be given without "name=", in declaration order */
    bool required;
    bool open_min;              /* ARG_REAL: value must be > min rather than >= min */
    double min, max;            /* ARG_INT, ARG_REAL */
    const char *def;            /* default as the user would type it; NULL: none */
    const char *const *choices; /* ARG_CHOICE: NULL-terminated */
    const char *help;
    /* Another name accepted for this key, where a neighbouring table says
     * the same concept differently (the fourier world's k= is the feature
     * map's m=); help lists it, completion offers only name. */
    const char *alias;
    /* ARG_INT, ARG_REAL: why the range ends where it does (the refusal says
     * it: "beta=1e308: must be in 1e-100..1e+100: beta |phi|^2 overflows").
     * NULL: the range needs no reason. */
    const char *why;
};

struct subject_spec {
    const char *name;
    const char *summary;
    const struct arg_spec *args; /* terminated by {0}; may be NULL */
    const char *example;
};

struct arg_value {
    const struct arg_spec *spec;
    bool given;      /* typed by the user (else the default, if any) */
    bool has;        /* a value is present (given or default) */
    double num;      /* ARG_INT, ARG_REAL */
    const char *str; /* ARG_CHOICE (the full choice), ARG_STR, ARG_FILE, raw text */
    double *vec;     /* ARG_VEC, owned by cmd_args */
    size_t vlen;
};

#define CMD_MAX_ARGS 48

struct cmd_args {
    const struct cmd_entry *cmd;
    const struct subject_spec *subject; /* NULL when the command has none */
    size_t n;
    struct arg_value v[CMD_MAX_ARGS];
    char *words; /* owned copy of the words the values point into */
    /* passthrough commands: the words after the verb, borrowed from the
     * caller's split line (valid while exec runs). */
    char *const *rest;
    size_t nrest;
};

/* A command's usage line and its keys (common to all subjects). */
struct cmd_spec {
    const char *usage;
    const struct arg_spec *args; /* terminated by {0}; may be NULL */
};

struct cmd_entry {
    const char *name;
    const char *usage;
    const char *summary;
    const char *example;
    const char *detail;                  /* optional longer help text */
    const struct subject_spec *subjects; /* terminated by {0}; NULL: no subject */
    /* Subjects that come from another table (model classes); read through
     * cmd_subjects. NULL: subjects is the array. */
    const struct subject_spec *(*subjects_fn)(void);
    bool subject_optional;
    const struct arg_spec *args; /* common to all subjects; terminated by {0} */
    /* Instead of usage and args, for a command whose keys are made from data
     * this layer does not own (`sampler`: the core's kind table): returns
     * them, built on its first call and the same constant object after.
     * An entry sets spec or usage/args, never both. Parsing, help and
     * completion all read them through cmd_usage() and cmd_keys(). */
    const struct cmd_spec *(*spec)(void);
    /* The words after the verb are one text, joined by single spaces, into
     * the first (ARG_STR) key: no key=value is parsed (say The bound: n=10). */
    bool text;
    int (*exec)(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err);
    /* The words after the verb are not keys but a command of their own
     * (`compare model blr m=9` runs `model blr m=9` on side b) or a grammar
     * of the handler's (`sweep m=0..9`): cmd_bind validates none of them and
     * hands them over in cmd_args.rest. */
    bool passthrough;
};

/* The table: sorted by name, NULL-terminated (commands/table.c). */
extern const struct cmd_entry *const cmd_table[];

/* A command's subjects (either form above), or NULL. */
const struct subject_spec *cmd_subjects(const struct cmd_entry *c);
/* The entry's usage line and keys, from spec when it has one. Commands run
 * on one thread, so a spec's first call needs no lock. */
const char *cmd_usage(const struct cmd_entry *c);
const struct arg_spec *cmd_keys(const struct cmd_entry *c);

/* Lookup by exact name or unique prefix. On failure fills err: unknown (with
 * "did you mean" when one verb is close, commands/suggest.h) or ambiguous
 * (listing the candidates). */
const struct cmd_entry *cmd_find(const char *name, bl_err *err);

/* Values: the default applies when not given. Asking for an arg the command
 * does not declare is a programming error (assert). */
bool args_given(const struct cmd_args *a, const char *name);
bool args_has(const struct cmd_args *a, const char *name);
long long args_int(const struct cmd_args *a, const char *name);
double args_real(const struct cmd_args *a, const char *name);
const char *args_str(const struct cmd_args *a, const char *name);
const double *args_vec(const struct cmd_args *a, const char *name, size_t *len);
void args_free(struct cmd_args *a);

/* The allowed range of a numeric spec as text: "> 0", ">= 1", "in 1..4096". */
void arg_range_text(const struct arg_spec *sp, char *buf, size_t size);

/* Validate one command's words (argv[0] is the verb) into *a. */
int cmd_bind(const struct cmd_entry *c, char *const *argv, size_t argc, struct cmd_args *a,
             bl_err *err);

/* Split a line into commands and words: `;` separates commands, `#` starts a
 * comment, "double" or 'single' quotes keep spaces (key="my file.csv"),
 * backslash escapes the next character inside double quotes. */
struct cmd_words {
    size_t argc;
    char **argv; /* owned */
};
struct cmd_line {
    size_t n;
    struct cmd_words *cmds; /* owned */
};
int cmd_split(const char *line, struct cmd_line *out, bl_err *err);
void cmd_line_free(struct cmd_line *l);

/* Run every command of a line in order, stopping at the first failure (its
 * code is returned and err filled). Errors are not printed here: the caller
 * adds context (file:line) and prints them. */
/* The longest input line (typed, -e, or in a script): a pasted blob or a
 * binary file fails with a message instead of growing without bound. */
#define CMD_LINE_MAX 65536
int cmd_run_line(struct session *s, const char *line, struct out *out, bl_err *err);
/* One command of a split line (a stepped script runs them one at a time). */
int cmd_run_words(struct session *s, const struct cmd_words *w, struct out *out, bl_err *err);

/* help: all commands, or one (usage, subjects, every key with default and
 * range, example). Used by cmd_help and by the front ends' --help. */
void cmd_help_all(struct out *out);
int cmd_help_one(const char *name, struct out *out, bl_err *err);

/* Completion candidates for the word that starts at `start` in line (the text
 * before the cursor is line[0..end)): verbs, subjects, keys, choice values,
 * and inside kernel=SPEC kernel names ("kernel=rbf(") and a leaf's keys
 * ("kernel=rbf(ls="), from the core's kernel table. Returns a malloc'd NULL-terminated array
 * of malloc'd strings (maybe empty), or NULL when the word is a file name and
 * the front end should complete files. */
char **cmd_complete(const char *line, size_t start, size_t end);

#endif
