/* commands/compare.h - `compare`: a second side (side b) beside the session's
 * own model or sampler (side a), on the same stream or the same target, so
 * that the panes show both with the same axes (docs/compare.md).
 *
 * Side b is a struct session (s->side_b) that follows s: it borrows s's
 * world, takes its points from s's stream (never draws its own) and is fed
 * every arrival s keeps, by the same path (blocks for `observe N`, one point
 * at a time for the live stream), so its traces are those a fresh session
 * with its model would have on the same points. */
#ifndef BAYESLENS_COMMANDS_COMPARE_H
#define BAYESLENS_COMMANDS_COMPARE_H

#include "commands/cmd.h"
#include "commands/session.h"

/* The side a command acts on: `side=b` (the key of show and export) names
 * side b, which must exist; otherwise s. NULL, err filled, when asked for a
 * side b there is not. */
struct session *compare_side(struct session *s, const struct cmd_args *a, bl_err *err);

/* The arg spec of `side=a|b`, for commands that take it. */
#define COMPARE_SIDE_ARG                                                                     \
    {.name = "side", .type = ARG_CHOICE, .def = "a", .choices = compare_side_names,          \
     .help = "a: the session's model or sampler; b: the other side of compare"}
extern const char *const compare_side_names[];

/* `sample N` with a side b sampler: run it beside side a's. Batch: n
 * iterations now, one line on out; live: start its job at rate. No-op
 * without a side b sampler. */
int compare_sample(struct session *s, size_t n, bool all, double rate, struct out *out,
                   bl_err *err);

#endif
