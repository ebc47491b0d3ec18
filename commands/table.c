/* commands/table.c - the one table of commands, lookup and dispatch.
 * A new command is one file (commands/cmd_NAME.c) plus one line here; the
 * table is sorted (tests/test_cmd_table.c checks it, and that every entry has
 * usage, summary and example). */
#include "commands/cmd.h"

#include <stdio.h>
#include <string.h>

#include "commands/session.h"
#include "commands/suggest.h"

extern const struct cmd_entry cmd_bma_entry;
extern const struct cmd_entry cmd_compare_entry;
extern const struct cmd_entry cmd_data_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_judge_entry;
extern const struct cmd_entry cmd_layout_entry;
extern const struct cmd_entry cmd_lens_entry;
extern const struct cmd_entry cmd_model_entry;
extern const struct cmd_entry cmd_observe_entry;
extern const struct cmd_entry cmd_optimize_entry;
extern const struct cmd_entry cmd_pane_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_quit_entry;
extern const struct cmd_entry cmd_reset_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_sample_entry;
extern const struct cmd_entry cmd_sampler_entry;
extern const struct cmd_entry cmd_say_entry;
extern const struct cmd_entry cmd_screenshot_entry;
extern const struct cmd_entry cmd_seed_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_source_entry;
extern const struct cmd_entry cmd_step_entry;
extern const struct cmd_entry cmd_stream_entry;
extern const struct cmd_entry cmd_sweep_entry;
extern const struct cmd_entry cmd_train_entry;
extern const struct cmd_entry cmd_wait_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_bma_entry,      &cmd_compare_entry,    &cmd_data_entry,
    &cmd_export_entry,   &cmd_help_entry,       &cmd_judge_entry,
    &cmd_layout_entry,   &cmd_lens_entry,       &cmd_model_entry,
    &cmd_observe_entry,  &cmd_optimize_entry,   &cmd_pane_entry,
    &cmd_pause_entry,    &cmd_quit_entry,       &cmd_reset_entry,
    &cmd_resume_entry,   &cmd_run_entry,        &cmd_sample_entry,
    &cmd_sampler_entry,  &cmd_say_entry,        &cmd_screenshot_entry,
    &cmd_seed_entry,     &cmd_show_entry,       &cmd_source_entry,
    &cmd_step_entry,     &cmd_stream_entry,     &cmd_sweep_entry,
    &cmd_train_entry,    &cmd_wait_entry,     NULL,
};

const char *
cmd_usage(const struct cmd_entry *c)
{
    return c->spec != NULL ? c->spec()->usage : c->usage;
}

const struct arg_spec *
cmd_keys(const struct cmd_entry *c)
{
    return c->spec != NULL ? c->spec()->args : c->args;
}

const struct cmd_entry *
cmd_find(const char *name, bl_err *err)
{
    const struct cmd_entry *match = NULL;
    size_t n = strlen(name), count = 0;
    char list[256] = "";
    size_t len = 0;
    if (n == 0) { /* a quoted empty word: a prefix of every command */
        bl_fail(err, BL_EINVAL, "empty command name: type help for the commands");
        return NULL;
    }

    for (size_t i = 0; cmd_table[i] != NULL; i++) {
        if (strcmp(cmd_table[i]->name, name) == 0)
            return cmd_table[i];
        if (strncmp(cmd_table[i]->name, name, n) == 0) {
            match = cmd_table[i];
            count++;
            if (len < sizeof list)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                        count > 1 ? ", " : "", cmd_table[i]->name);
        }
    }
    if (count == 1)
        return match;
    if (count > 1) {
        bl_fail(err, BL_EINVAL, "ambiguous command '%s' (could be %s)", name, list);
        return NULL;
    }
    struct suggest sg;
    suggest_init(&sg, name);
    for (size_t i = 0; cmd_table[i] != NULL; i++)
        suggest_add(&sg, cmd_table[i]->name);
    const char *near = suggest_result(&sg);
    if (near != NULL)
        bl_fail(err, BL_EINVAL, "unknown command '%s': did you mean '%s'?", name, near);
    else
        bl_fail(err, BL_EINVAL, "unknown command '%s' (type 'help' for the list)", name);
    return NULL;
}

int
cmd_run_line(struct session *s, const char *line, struct out *out, bl_err *err)
{
    struct cmd_line l;
    size_t len = strnlen(line, CMD_LINE_MAX + 1);
    if (len > CMD_LINE_MAX)
        return bl_fail(err, BL_EINVAL, "input line longer than %d bytes (split it, or use a script)",
                       CMD_LINE_MAX);
    int rc = cmd_split(line, &l, err);
    if (rc != BL_OK)
        return rc;
    for (size_t i = 0; i < l.n && rc == BL_OK && !s->quit; i++)
        rc = cmd_run_words(s, &l.cmds[i], out, err);
    cmd_line_free(&l);
    return rc;
}

int
cmd_run_words(struct session *s, const struct cmd_words *w, struct out *out, bl_err *err)
{
    const struct cmd_entry *c = cmd_find(w->argv[0], err);
    if (c == NULL)
        return err ? err->code : BL_EINVAL;
    struct cmd_args a;
    int rc = cmd_bind(c, w->argv, w->argc, &a, err);
    if (rc != BL_OK)
        return rc;
    const char *outer = s->running; /* a command a script runs is named, then its script's */
    s->running = c->name;
    rc = c->exec(s, &a, out, err);
    s->running = outer;
    args_free(&a);
    return rc;
}
