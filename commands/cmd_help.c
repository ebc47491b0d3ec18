/* commands/cmd_help.c - "help [VERB]": the command list, or one command's
 * usage, subjects, every key with its default and range, and an example.
 * Everything is generated from the command table, so help cannot drift from
 * what the parser accepts. */
#include "commands/cmd.h"

#include <stdio.h>
#include <string.h>

#include "commands/session.h"

static const char *const kind_word[] = {"INT", "NUMBER", "CHOICE", "N,N,..", "WORD", "FILE"};

static void
print_arg(struct out *out, const struct arg_spec *sp)
{
    char lhs[64], rng[160] = "", def[96] = "";
    if (sp->positional)
        snprintf(lhs, sizeof lhs, "[%s=]%s", sp->name, kind_word[sp->type]);
    else
        snprintf(lhs, sizeof lhs, "%s=%s", sp->name, kind_word[sp->type]);
    char alias[48] = "";
    if (sp->alias != NULL)
        snprintf(alias, sizeof alias, "; alias %s=", sp->alias);
    if (sp->type == ARG_INT || sp->type == ARG_REAL) {
        arg_range_text(sp, rng, sizeof rng);
    } else if (sp->type == ARG_CHOICE) {
        size_t len = 0;
        for (size_t i = 0; sp->choices[i] != NULL && len < sizeof rng; i++)
            len +=
                (size_t)snprintf(rng + len, sizeof rng - len, "%s%s", i ? "|" : "", sp->choices[i]);
    }
    if (sp->required)
        snprintf(def, sizeof def, "required");
    else if (sp->def != NULL)
        snprintf(def, sizeof def, "default %s", sp->def);
    else
        snprintf(def, sizeof def, "optional");
    out_printf(out, "  %-22s %s (%s%s%s%s)", lhs, sp->help, def, rng[0] ? "; " : "", rng, alias);
}

void
cmd_help_all(struct out *out)
{
    out_printf(out, "commands (unique prefixes work; 'help VERB' for usage, keys, an example):");
    for (size_t i = 0; cmd_table[i] != NULL; i++)
        out_printf(out, "  %-10s %s", cmd_table[i]->name, cmd_table[i]->summary);
    out_printf(out, "a line may hold several commands separated by ';'; '#' starts a comment");
    out_printf(out, "'help keys' lists the live controls (F5 pause, F6 step, ...)");
    out_printf(out, "try: data linear d=1 noise=0.2; model blr; observe 20; show posterior");
}

/* The live controls of the interactive front end. They are documented here
 * (not in ui/) so that `help keys` reads the same in every mode. Letters
 * always go to the command line; controls are function keys and chords. */
static void
help_keys(struct out *out)
{
    static const char *const keys[][2] = {
        {"F1", "this list of keys"},
        {"F2", "focus the next pane"},
        {"F3", "zoom the focused pane (again: unzoom)"},
        {"F5", "pause / resume the stream (commands: pause, resume)"},
        {"F6", "one more point (command: step; Enter on an empty line repeats step)"},
        {"F7 / F8", "stream slower / faster (halve / double the rate)"},
        {"PgUp / PgDn", "scroll the log"},
        {"q, /, n, space", "in the pager (output longer than the log): close, search, next, page"},
        {"space, Enter; Esc, q",
         "in a lecture (source FILE): go on or skip a job; stop the script"},
        {"Ctrl-C", "stop the stream or the running command; at the prompt: clear the line"},
        {"Ctrl-L", "redraw the screen"},
        {"Tab", "complete commands, subjects, keys and values (twice: list them)"},
        {"Up / Down, Ctrl-R", "history (kept in ~/.local/state/bayeslens/history)"},
        {"Ctrl-D", "leave (on an empty line), as does quit"},
    };
    out_printf(out, "keys of the live screen:");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        out_printf(out, "  %-18s %s", keys[i][0], keys[i][1]);
}

int
cmd_help_one(const char *name, struct out *out, bl_err *err)
{
    if (strcmp(name, "keys") == 0) {
        help_keys(out);
        return BL_OK;
    }
    const struct cmd_entry *c = cmd_find(name, err);
    if (c == NULL)
        return err ? err->code : BL_EINVAL;
    out_printf(out, "usage: %s", cmd_usage(c));
    out_printf(out, "%s", c->summary);
    if (c->detail != NULL)
        out_printf(out, "%s", c->detail);
    for (const struct subject_spec *s = cmd_subjects(c); s != NULL && s->name != NULL; s++) {
        out_printf(out, "%s %s: %s", c->name, s->name, s->summary);
        for (const struct arg_spec *a = s->args; a != NULL && a->name != NULL; a++)
            print_arg(out, a);
        if (s->example != NULL)
            out_printf(out, "  e.g. %s", s->example);
    }
    const struct arg_spec *keys = cmd_keys(c);
    if (keys != NULL && keys[0].name != NULL) {
        if (cmd_subjects(c) != NULL)
            out_printf(out, "keys for every %s:", c->name);
        for (const struct arg_spec *a = keys; a->name != NULL; a++)
            print_arg(out, a);
    }
    out_printf(out, "example: %s", c->example);
    return BL_OK;
}

static const struct arg_spec help_args[] = {
    {.name = "verb", .type = ARG_STR, .positional = 1, .help = "command to explain"},
    {0},
};

static int
help_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)s;
    if (!args_given(a, "verb")) {
        cmd_help_all(out);
        return BL_OK;
    }
    return cmd_help_one(args_str(a, "verb"), out, err);
}

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .usage = "help [VERB|keys]",
    .summary = "list commands, or one command's usage, keys and an example",
    .example = "help data",
    .args = help_args,
    .exec = help_exec,
};
