/* commands/manpage.h - the bayeslens(1) manual page, generated from the
 * command table so that it cannot drift from what the parser accepts.
 *
 * The COMMANDS section is written from cmd_table (commands/table.c): every
 * verb with its usage, summary, detail, subjects, keys (type, default, range
 * or choices) and example, exactly the data `help VERB` prints. The OPTIONS
 * section comes from man_options below; tests/man/check_man.cmake checks it
 * against `bayeslens --help` in both directions. The build runs
 * `bayeslens --man` into build/bayeslens.1 (CMakeLists.txt). */
#ifndef BAYESLENS_COMMANDS_MANPAGE_H
#define BAYESLENS_COMMANDS_MANPAGE_H

#include <stdio.h>

#include "core/base/err.h"

/* One command-line flag of ui/main.c as the manual describes it. */
struct man_option {
    const char *flag; /* "-e 'CMD; CMD'", "--plain" */
    const char *help; /* one or two sentences */
};

/* The flags, terminated by {0}; keep in step with ui/main.c's usage(). */
extern const struct man_option man_options[];

/* Write the page (roff, man macros) to f. version is printed in the title
 * line. BL_EIO ("man: write failed") if f reports an error after writing;
 * nothing else can fail. */
int cmd_manpage(FILE *f, const char *version, bl_err *err);

#endif
