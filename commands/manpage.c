/* commands/manpage.c - bayeslens(1) in roff, written from the command table.
 * See manpage.h. Every string of the table goes through roff_text, which
 * escapes what roff would otherwise interpret (backslashes, hyphens that must
 * stay ASCII minus signs when copied, control characters at line start), so
 * a new command or key appears in the page with no edit here. */
#include "commands/manpage.h"

#include <string.h>

#include "commands/cmd.h"

const struct man_option man_options[] = {
    {"-e 'CMD; CMD'", "Run the commands (the option may be repeated) and exit: batch mode."},
    {"-x FILE", "Run the script FILE and exit (batch mode); '-' reads standard input."},
    {"--plain", "The interactive REPL as plain text, without the panes."},
    {"--demo", "Start with a live demo: a world streaming into Bayesian linear regression."},
    {"--ascii", "ASCII instead of braille and box drawing (automatic in a non-UTF-8 locale)."},
    {"--no-color", "No colours (also when NO_COLOR is set)."},
    {"--version", "Print the version and the BLAS/LAPACK actually loaded, then exit."},
    {"-h, --help", "Print the options and modes, then exit."},
    {0},
};

/* The entry's usage, keys and subjects. Entries whose keys are built from
 * data another layer owns may give them by function (see cmd.h); read them
 * here and nowhere else, so that change touches these three lines. */
static const char *
entry_usage(const struct cmd_entry *c)
{
    const char *u = cmd_usage(c);
    return u != NULL ? u : c->name;
}

static const struct arg_spec *
entry_keys(const struct cmd_entry *c)
{
    return cmd_keys(c);
}

static const struct subject_spec *
entry_subjects(const struct cmd_entry *c)
{
    return cmd_subjects(c);
}

static const char *const kind_word[] = {"INT", "NUMBER", "CHOICE", "N,N,..", "WORD", "FILE"};

/* s as roff text on the current line: no request can start, and \ - ' .
 * reach the reader as typed. */
static void
roff_text(FILE *f, const char *s)
{
    if (s[0] == '.' || s[0] == '\'')
        fputs("\\&", f);
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '\\': fputs("\\e", f); break;
        case '-': fputs("\\-", f); break;
        case '\'': fputs("\\(aq", f); break;
        case '`': fputs("\\(ga", f); break;
        case '~': fputs("\\(ti", f); break;
        case '^': fputs("\\(ha", f); break;
        default: fputc(*s, f);
        }
    }
}

static void
man_arg(FILE *f, const struct arg_spec *sp)
{
    char lhs[96], rng[200] = "";
    if (sp->positional)
        snprintf(lhs, sizeof lhs, "[%s=]%s", sp->name, kind_word[sp->type]);
    else
        snprintf(lhs, sizeof lhs, "%s=%s", sp->name, kind_word[sp->type]);
    fputs(".TP\n.B ", f);
    roff_text(f, lhs);
    fputc('\n', f);
    roff_text(f, sp->help != NULL ? sp->help : "");
    if (sp->required)
        fputs("; required", f);
    else if (sp->def != NULL) {
        fputs("; default ", f);
        roff_text(f, sp->def);
    }
    if (sp->type == ARG_INT || sp->type == ARG_REAL) {
        arg_range_text(sp, rng, sizeof rng);
        fputs("; ", f);
        roff_text(f, rng);
    } else if (sp->type == ARG_CHOICE && sp->choices != NULL) {
        fputs("; one of ", f);
        for (size_t i = 0; sp->choices[i] != NULL; i++) {
            if (i > 0)
                fputs(", ", f);
            fputs("\\fB", f);
            roff_text(f, sp->choices[i]);
            fputs("\\fR", f);
        }
    }
    fputs(".\n", f);
}

static void
man_args(FILE *f, const struct arg_spec *args)
{
    if (args == NULL || args[0].name == NULL)
        return;
    fputs(".RS\n", f);
    for (const struct arg_spec *a = args; a->name != NULL; a++)
        man_arg(f, a);
    fputs(".RE\n", f);
}

static void
man_example(FILE *f, const char *label, const char *ex)
{
    fputs(".IP\n", f);
    roff_text(f, label);
    fputs(" \\fB", f);
    roff_text(f, ex);
    fputs("\\fR\n", f);
}

static void
man_command(FILE *f, const struct cmd_entry *c)
{
    fputs(".SS ", f);
    roff_text(f, entry_usage(c));
    fputc('\n', f);
    roff_text(f, c->summary);
    fputs(".\n", f);
    if (c->detail != NULL) {
        fputs(".PP\n", f);
        roff_text(f, c->detail);
        fputc('\n', f);
    }
    for (const struct subject_spec *s = entry_subjects(c); s != NULL && s->name != NULL; s++) {
        fputs(".TP\n.B ", f);
        roff_text(f, c->name);
        fputc(' ', f);
        roff_text(f, s->name);
        fputc('\n', f);
        roff_text(f, s->summary);
        fputs(".\n", f);
        man_args(f, s->args);
        if (s->example != NULL)
            man_example(f, "e.g.", s->example);
    }
    const struct arg_spec *keys = entry_keys(c);
    if (keys != NULL && keys[0].name != NULL) {
        if (entry_subjects(c) != NULL) {
            fputs(".PP\nKeys for every ", f);
            roff_text(f, c->name);
            fputs(":\n", f);
        }
        man_args(f, keys);
    }
    man_example(f, "Example:", c->example);
}

int
cmd_manpage(FILE *f, const char *version, bl_err *err)
{
    char title[96];
    snprintf(title, sizeof title, "bayeslens %s", version);
    fputs(".\\\" Generated by `bayeslens --man` from commands/table.c; do not edit.\n", f);
    fputs(".TH BAYESLENS 1 \"\" \"", f);
    roff_text(f, title);
    fputs("\" \"User Commands\"\n", f);
    /* Keys, values and commands must read as typed: no hyphenation, no
     * stretched spaces. */
    fputs(".nh\n.ad l\n", f);

    fputs(".SH NAME\nbayeslens \\- an interactive terminal lab for Bayesian learning theory\n", f);

    fputs(".SH SYNOPSIS\n.B bayeslens\n[\\fIoptions\\fR] [\\fISCRIPT.lens\\fR]\n", f);

    fputs(".SH DESCRIPTION\n"
          "bayeslens is a read\\-eval\\-print loop over a numerical core for Bayesian\n"
          "learning theory: synthetic worlds and data sets stream points into Bayesian\n"
          "linear regression, Gaussian and Student\\-t processes (with NNGP and NTK\n"
          "kernels of deep networks), and posterior samplers. Terminal panes plot,\n"
          "as each point arrives, how the posterior concentrates, the spectra of\n"
          "kernels and representations, and the cumulative log\\-loss regret against\n"
          "its closed forms and bounds.\n"
          ".PP\n"
          "\\fBInteractive mode\\fR (standard input and output are terminals): the live\n"
          "panes with a command line (history, Tab completion, Emacs keys; type\n"
          "\\fBhelp keys\\fR for the controls).\n"
          "\\fBPlain mode\\fR (\\fB\\-\\-plain\\fR, TERM=dumb, or output not a terminal):\n"
          "the same REPL as text.\n"
          "\\fBBatch mode\\fR (\\fB\\-e\\fR, \\fB\\-x\\fR, a SCRIPT argument, or standard\n"
          "input not a terminal): the commands run in order; the first failing command\n"
          "stops the run with exit status 1 and a message naming its line\n"
          "(SCRIPT:LINE:). Jobs that animate live run to completion, so a script with\n"
          "a seed prints the same output every run.\n"
          ".PP\n"
          "A line holds commands separated by \\fB;\\fR, and \\fB#\\fR starts a comment.\n"
          "A command is a verb (a unique prefix is enough), an optional subject and\n"
          "\\fIkey\\fB=\\fIvalue\\fR arguments. Every key is checked against its type,\n"
          "range or choices before the command runs; a command that fails changes\n"
          "nothing. \\fBshow\\fR prints one \\fIkey\\fR = \\fIvalue\\fR per line with\n"
          "numbers to 10 significant digits, so scripts can read it.\n",
          f);

    fputs(".SH OPTIONS\n", f);
    for (const struct man_option *o = man_options; o->flag != NULL; o++) {
        fputs(".TP\n.B ", f);
        roff_text(f, o->flag);
        fputc('\n', f);
        roff_text(f, o->help);
        fputc('\n', f);
    }

    fputs(".SH COMMANDS\n"
          "Generated from the command table; \\fBhelp\\fR \\fIVERB\\fR prints the same.\n"
          "Key types: INT an integer, NUMBER a finite real, CHOICE one of the listed\n"
          "words (unique prefixes work), N,N,.. a comma\\-separated vector, WORD any\n"
          "word, FILE a file name. [\\fIkey\\fB=\\fR] marks a key that may be given by\n"
          "position.\n",
          f);
    for (size_t i = 0; cmd_table[i] != NULL; i++)
        man_command(f, cmd_table[i]);

    fputs(".SH EXIT STATUS\n"
          "0 on success; 1 when a command of a batch run failed; 2 for a bad option\n"
          "or when the program could not start; 128+N when signal N (SIGTERM, SIGHUP)\n"
          "ended it, after the terminal was restored.\n",
          f);

    fputs(".SH ENVIRONMENT\n"
          ".TP\n.B NO_COLOR\nWhen set and not empty, no colours (as \\fB\\-\\-no\\-color\\fR).\n"
          ".TP\n.B TERM\n\\fBdumb\\fR (or unset) gives the plain REPL instead of the panes.\n"
          ".TP\n.BR LANG \", \" LC_CTYPE \", \" LC_ALL\n"
          "A locale whose character set is not UTF\\-8 selects ASCII drawing.\n"
          ".TP\n.BR XDG_STATE_HOME \", \" HOME\n"
          "Where the command history is kept (see FILES).\n"
          ".TP\n.B BAYESLENS_MEM_LIMIT\n"
          "Bytes a large construction (a lens class, a GP replay, a sampler ensemble)\n"
          "may take; by default half the memory available. Larger requests are refused\n"
          "at once with their size.\n"
          ".TP\n.B OPENBLAS_NUM_THREADS\n"
          "Threads of OpenBLAS; \\fB\\-\\-version\\fR shows the count in use.\n",
          f);

    fputs(".SH FILES\n"
          ".TP\n.I $XDG_STATE_HOME/bayeslens/history\n"
          "The command history, one line appended per command (default\n"
          "\\fI~/.local/state/bayeslens/history\\fR).\n"
          ".TP\n.I *.lens\n"
          "Scripts: one or more commands per line, as typed at the prompt.\n",
          f);

    fputs(".SH EXAMPLES\n"
          "Fit a posterior in batch mode:\n"
          ".PP\n.nf\n.RS\n"
          "bayeslens \\-e \\(aqseed 1; data linear d=3 noise=0.1; model blr alpha=1 beta=100;\n"
          "              observe 200; show posterior\\(aq\n"
          ".RE\n.fi\n"
          ".PP\n"
          "Run a lecture script, or start the live demo:\n"
          ".PP\n.nf\n.RS\n"
          "bayeslens examples/sequential.lens\n"
          "bayeslens \\-\\-demo\n"
          ".RE\n.fi\n",
          f);

    fputs(".SH SEE ALSO\n"
          "The documents shipped with the sources: \\fIREADME.md\\fR,\n"
          "\\fIdocs/math.md\\fR (every formula, with the reference values the tests\n"
          "use), \\fIdocs/traces.md\\fR (what each trace and \\fBshow\\fR figure means),\n"
          "\\fIdocs/design.md\\fR, \\fIdocs/ui.md\\fR and \\fICONTRIBUTING.md\\fR.\n",
          f);

    if (fflush(f) != 0 || ferror(f))
        return bl_fail(err, BL_EIO, "man: write failed");
    return BL_OK;
}
