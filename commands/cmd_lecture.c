/* commands/cmd_lecture.c - the verbs of a lecture script: reset, say, wait
 * (and `pause` in a script, commands/cmd_stream.c). In the live screen a
 * sourced script runs one command at a time (commands/script.c); in batch
 * and --plain, say prints its text and wait does nothing, so a lecture's
 * output is its batch output plus its narration (docs/lectures.md). */
#include "commands/cmd.h"

#include <stdio.h>

#include "commands/session.h"

static int
reset_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)a;
    (void)err;
    session_reset(s);
    /* Silent in a script: every example starts with it, and its output is
     * what the lecture prints. */
    if (!session_in_script(s))
        out_printf(out, "reset: a fresh session (seed %lu kept)", s->seed);
    return BL_OK;
}

const struct cmd_entry cmd_reset_entry = {
    .name = "reset",
    .usage = "reset",
    .summary = "back to a fresh session: no world, model, sampler or instrument",
    .detail = "Clears the world and its stream, the model, the sampler, the theory instrument, "
              "every job (pause state and speed), the layout, the panes and their options, and "
              "the caption. The seed stays (the next world draws from it as in a new session), "
              "and so does the command history. Every example starts with it, so lectures can "
              "follow one another in one session.",
    .example = "reset",
    .exec = reset_exec,
};

static const struct arg_spec say_args[] = {
    {.name = "text",
     .type = ARG_STR,
     .positional = 1,
     .help = "the caption: the rest of the line (quote it to keep ; # or '); none: clear it"},
    {0},
};

static int
say_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)err;
    const char *text = args_has(a, "text") ? args_str(a, "text") : "";
    if (text[0] != '\0')
        out_printf(out, "%s", text);
    if (s->stepwise) {
        snprintf(s->caption, sizeof s->caption, "%s", text);
        s->generation++;
    }
    return BL_OK;
}

const struct cmd_entry cmd_say_entry = {
    .name = "say",
    .usage = "say [TEXT]",
    .summary = "a caption above the panes (live); the text as a line (batch)",
    .detail = "Live, TEXT stays highlighted on its own line above the panes (two lines when "
              "long) until the next say or reset, and goes to the log; say alone clears it. "
              "Batch and --plain print it as a line. The words after say are the text: "
              "key=value is not parsed.",
    .example = "say The posterior concentrates like 1/n",
    .text = true,
    .args = say_args,
    .exec = say_exec,
};

static const struct arg_spec wait_args[] = {
    {.name = "seconds",
     .type = ARG_REAL,
     .positional = 1,
     .required = 1,
     .min = 0,
     .max = 600,
     .why = "a lecture waits at most ten minutes; pause waits for a key",
     .help = "how long the script waits (a key goes on sooner)"},
    {0},
};

static int
wait_exec(struct session *s, const struct cmd_args *a, struct out *out, bl_err *err)
{
    (void)out;
    (void)err;
    if (session_in_script(s))
        session_script_wait(s, args_real(a, "seconds"));
    return BL_OK;
}

const struct cmd_entry cmd_wait_entry = {
    .name = "wait",
    .usage = "wait SECONDS",
    .summary = "in a live script: wait, or until a key (batch: nothing)",
    .detail = "Live, a sourced script waits SECONDS before its next command; any key goes on "
              "sooner, Esc or q stops the script, Ctrl-C too. Batch, --plain and at the prompt "
              "it does nothing, so a lecture's output does not depend on it.",
    .example = "wait 2",
    .args = wait_args,
    .exec = wait_exec,
};
