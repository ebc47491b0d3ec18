/* ui/main.c - bayeslens entry point: options, mode, signals.
 *
 * Modes (docs/design.md): batch when -e/-x/a script is given or stdin is not a
 * terminal; otherwise the interactive REPL (plain text for now; the curses
 * panes plug in here without touching commands/). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <langinfo.h>
#include <locale.h>

#include <gsl/gsl_errno.h>

#include "commands/cmd.h"
#include "commands/manpage.h"
#include "commands/session.h"
#include "ui/blasinfo.h"
#include "ui/ending.h"
#include "ui/loop.h"
#include "ui/pane.h"
#include "ui/plain.h"
#include "ui/render.h"

/* What `make run` shows: a world streaming into BLR with every pane moving.
 * The posterior pane follows the posterior (frame=posterior): in the
 * prior's frame it is a dot after a few seconds of streaming. */
#define DEMO "seed 1; data fourier k=3 noise=0.2; model blr alpha=1 features=fourier m=3; " \
             "pane posterior frame=posterior; stream rate=8"

static bl_cancel interrupted;

static void
on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void
usage(FILE *f)
{
    fprintf(f, "usage: bayeslens [options] [SCRIPT.lens]\n"
               "\n"
               "An interactive lab for Bayesian learning theory: worlds stream data into\n"
               "Bayesian models; posteriors, evidence, regret and concentration update live.\n"
               "\n"
               "options:\n"
               "  -e 'CMD; CMD'   run commands (repeatable) and exit (batch mode)\n"
               "  -x FILE         run a script file and exit (batch mode; '-' is stdin)\n"
               "  --plain         interactive text REPL without panes\n"
            "  --demo          start with a live demo (a world streaming into BLR)\n"
            "  --ascii         ASCII instead of braille and box drawing\n"
            "  --no-color      no colours (also when NO_COLOR is set)\n"
               "  --version       version and the BLAS/LAPACK in use\n"
               "  -h, --help      this help\n"
               "\n"
               "modes:\n"
               "  interactive  stdin and stdout are terminals: the REPL with history and Tab\n"
               "               completion (type 'help')\n"
               "  batch        -e, -x, a SCRIPT argument, or stdin not a terminal: commands run\n"
               "               in order; the first error stops the run with exit status 1 and a\n"
               "               message naming the line (SCRIPT:LINE:)\n"
               "\n"
               "example:\n"
               "  bayeslens -e 'seed 1; data linear d=3 noise=0.1; model blr alpha=1 beta=100;\n"
               "                observe 200; show posterior'\n");
}

int
main(int argc, char **argv)
{
    struct batch_item *items = calloc((size_t)argc + 1, sizeof *items);
    int nitems = 0, plain = 0, demo = 0, ascii = 0, color = 1, status;
    int man = 0;

    gsl_set_error_handler_off();
    if (items == NULL)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(items);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            char buf[1024];
            blasinfo_describe(buf, sizeof buf);
            printf("bayeslens %s\n%s\n", BAYESLENS_VERSION, buf);
            free(items);
            return 0;
        } else if (strcmp(a, "--man") == 0) { /* hidden: the build's bayeslens.1 */
            man = 1;
        } else if (strcmp(a, "--plain") == 0) {
            plain = 1;
        } else if (strcmp(a, "--demo") == 0) {
            demo = 1;
        } else if (strcmp(a, "--ascii") == 0) {
            ascii = 1;
        } else if (strcmp(a, "--no-color") == 0) {
            color = 0;
        } else if (strcmp(a, "-e") == 0 || strcmp(a, "-x") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bayeslens: option %s needs %s argument (try --help)\n", a,
                        a[1] == 'e' ? "a command line" : "a file name ('-' for stdin)");
                free(items);
                return 2;
            }
            items[nitems].kind = a[1] == 'e' ? BATCH_EXPR : BATCH_FILE;
            items[nitems++].text = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "bayeslens: unknown option '%s' (try --help)\n", a);
            free(items);
            return 2;
        } else {
            items[nitems].kind = BATCH_FILE;
            items[nitems++].text = a;
        }
    }

    bl_err err;
    /* The panes and layouts before the session: its view starts from them. */
    if (pane_register(pane_table, &err) != BL_OK) {
        fprintf(stderr, "bayeslens: %s\n", err.msg);
        free(items);
        return 2;
    }
    struct session *s = session_alloc(&err);
    if (s == NULL) {
        fprintf(stderr, "bayeslens: %s\n", err.msg);
        free(items);
        return 2;
    }
    /* After everything that fills the command table at start-up (keys made
     * from registered data), so the page shows what the parser accepts. */
    if (man) {
        status = cmd_manpage(stdout, BAYESLENS_VERSION, &err) == BL_OK ? 0 : 2;
        if (status != 0)
            fprintf(stderr, "bayeslens: %s\n", err.msg);
        session_free(s);
        free(items);
        return status;
    }
    s->cancel = &interrupted;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    ending_install(&interrupted);

    if (nitems == 0 && !isatty(STDIN_FILENO)) {
        items[nitems].kind = BATCH_FILE;
        items[nitems++].text = "-";
    }
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    if (nc != NULL && nc[0] != '\0')
        color = 0;
    if (nitems > 0) {
        /* Batch: print, and keep a renderer for `screenshot` (UTF-8 files). */
        struct ui ui;
        if (ui_init(&ui, ascii) != 0) {
            fprintf(stderr, "bayeslens: out of memory\n");
            session_free(s);
            free(items);
            return 2;
        }
        ui_attach(&ui, s);
        struct out out = ui_log_out(&ui, true);
        status = plain_batch(s, items, nitems, &out);
        ui_free(&ui);
    } else {
        /* Only the character type comes from the environment (wide
         * characters, UTF-8 detection). LC_NUMERIC is never set, so it
         * stays "C": strtod and printf read and write '.' in commands,
         * output and exported CSV under any LANG/LC_ALL (de_DE would make
         * "noise=0.5" not a number). Neither ncurses nor readline sets a
         * locale category; tests/e2e/locale.sh checks it under de_DE. */
        setlocale(LC_CTYPE, "");
        if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
            ascii = 1;
        bool curses = !plain && isatty(STDOUT_FILENO) && term != NULL && strcmp(term, "dumb");
        status = curses ? loop_run(s, ascii, color, demo ? DEMO : NULL) : -1;
        if (status < 0) {
            if (demo) {
                struct out out = plain_out();
                cmd_run_line(s, "seed 1; data fourier k=3 noise=0.2; model blr alpha=1 "
                                "features=fourier m=3; observe 50", &out, &err);
            }
            status = plain_repl(s);
        }
    }
    session_free(s);
    free(items);
    /* SIGTERM or SIGHUP: the terminal is restored by now; exit as a shell
     * reports a death by that signal. */
    if (ending_signal() != 0)
        return 128 + ending_signal();
    return status;
}
