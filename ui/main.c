/* ui/main.c - bayeslens entry point: options, mode, signals.
 *
 * Modes (DESIGN.md): batch when -e/-x/a script is given or stdin is not a
 * terminal; otherwise the interactive REPL (plain text for now; the curses
 * panes plug in here without touching commands/). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "commands/cmd.h"
#include "commands/session.h"
#include "ui/blasinfo.h"
#include "ui/plain.h"

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
    int nitems = 0, plain = 0, status;

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
        } else if (strcmp(a, "--plain") == 0) {
            plain = 1;
        } else if ((strcmp(a, "-e") == 0 || strcmp(a, "-x") == 0) && i + 1 < argc) {
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
    struct session *s = session_alloc(&err);
    if (s == NULL) {
        fprintf(stderr, "bayeslens: %s\n", err.msg);
        free(items);
        return 2;
    }
    s->cancel = &interrupted;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    if (nitems == 0 && !isatty(STDIN_FILENO)) {
        items[nitems].kind = BATCH_FILE;
        items[nitems++].text = "-";
    }
    if (nitems > 0)
        status = plain_batch(s, items, nitems);
    else {
        (void)plain;
        status = plain_repl(s);
    }
    session_free(s);
    free(items);
    return status;
}
